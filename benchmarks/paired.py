"""The statistic of every ratio in the report: the median of per-round paired ratios.

In each round every client runs once (``harness.run_interleaved``), so a round gives one value of
each client measured within about a second of each other. A ratio such as "ours × thin" is taken
round by round (ours in round r over the thinnest adapter in round r), and the reported ratio is
the median of those per-round ratios, with their interquartile range (min–max below 5 rounds).

Why not the ratio of two medians: on a shared machine the time of one sample moves between modes
(``benchmarks/README.md``, "Ratios: the median of per-round pairs"), and the median of each row
lands in whichever mode most of its rounds fell in, so the ratio of two medians can move by the
distance between the modes. When the machine's mode does not depend on which client runs, the
log of a per-round ratio is symmetric around the true log ratio, and the median of a sample from
a symmetric distribution estimates its centre.

The median and the quartiles are taken on the logarithms of the ratios (an even count takes the
geometric mean of the two middle ratios), so a ratio and its inverse get reciprocal figures: a
throughput ratio (requests per second, higher is better) and a time ratio (lower is better) use
the same function, only the reading of "better" differs.

Rounds are matched by their number, not by position: a client that failed from some round on has
no value for the later rounds, and only the rounds where both clients have a positive value count.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Ratio:
    """A median of per-round ratios, its spread and the number of rounds paired."""

    median: float
    low: float
    high: float
    rounds: int

    def text(self) -> str:
        """``1.02 (0.96–1.08)``: median (interquartile range, or min–max below 5 rounds)."""
        return f"{self.median:.2f} ({self.low:.2f}–{self.high:.2f})"


def per_round(num: Mapping[int, float], den: Mapping[int, float]) -> dict[int, float]:
    """``num[r] / den[r]`` for every round ``r`` where both have a positive value."""
    return {
        r: num[r] / den[r] for r in sorted(num.keys() & den.keys()) if num[r] > 0 and den[r] > 0
    }


def summarize(ratios: Mapping[int, float]) -> Ratio | None:
    """The median and spread of per-round ratios, taken on their logarithms."""
    logs = sorted(math.log(value) for value in ratios.values() if value > 0)
    if not logs:
        return None
    if len(logs) < 5:
        low, high = logs[0], logs[-1]
    else:
        quartiles = statistics.quantiles(logs, n=4, method="inclusive")
        low, high = quartiles[0], quartiles[2]
    middle = statistics.median(logs)
    return Ratio(math.exp(middle), math.exp(low), math.exp(high), len(logs))


def paired(num: Mapping[int, float], den: Mapping[int, float]) -> Ratio | None:
    """The median over rounds of ``num[r] / den[r]`` (``None`` when no round has both)."""
    return summarize(per_round(num, den))
