"""The runner's machinery: settings, per-round series and their cells, the fake server in a
subprocess, and the interleaved loop every in-process scenario runs through."""

from __future__ import annotations

import gc
import http.client
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import clients as C

HERE = Path(__file__).resolve().parent


@dataclass
class Settings:
    """How much of each scenario to run."""

    invoke_rounds: int = 15
    invoke_calls: int = 30
    stream_rounds: int = 21
    stream_chunks: int = 1000
    paced_rounds: int = 5
    paced_chunks: int = 200
    pace_ms: float = 1.0
    async_rounds: int = 7
    async_seconds: float = 0.25
    tools_rounds: int = 11
    tools_calls: int = 5
    import_repeats: int = 5
    rss_repeats: int = 3
    footprint_all: bool = True  # False: import/RSS only for the baselines and our two classes


QUICK = Settings(
    invoke_rounds=2,
    invoke_calls=5,
    stream_rounds=2,
    paced_rounds=1,
    paced_chunks=50,
    async_rounds=1,
    async_seconds=0.1,
    tools_rounds=1,
    tools_calls=2,
    import_repeats=1,
    rss_repeats=1,
    footprint_all=False,
)


# --------------------------------------------------------------------------- statistics


@dataclass
class Series:
    """Per-round values of one client in one scenario (or the error that stopped it).

    ``rounds[i]`` is the number of the round ``values[i]`` (and each ``extra[key][i]``) was
    measured in; a series built without it numbers its values 0, 1, 2, … (every round)."""

    values: list[float] = field(default_factory=list)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    rounds: list[int] = field(default_factory=list)

    def by_round(self, key: str | None = None) -> dict[int, float]:
        """The values (or ``extra[key]``) keyed by their round, for per-round pairing
        (``paired.py``)."""
        values = self.values if key is None else list(self.extra.get(key, []))
        numbers = self.rounds if len(self.rounds) == len(values) else range(len(values))
        return dict(zip(numbers, values, strict=True))

    def add(self, round_no: int, value: float, extra: dict[str, Any] | None = None) -> None:
        """Record the value (and the extra figures) of round ``round_no``."""
        for key, item in (extra or {}).items():
            self.extra.setdefault(key, []).append(item)
        self.values.append(value)
        self.rounds.append(round_no)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def spread(self) -> tuple[float, float] | None:
        if not self.values:
            return None
        values = sorted(self.values)
        if len(values) < 5:
            return values[0], values[-1]
        q = statistics.quantiles(values, n=4, method="inclusive")
        return q[0], q[2]


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def cell(series: Series | None, scale: float = 1.0, digits: int = 0) -> str:
    if series is None:
        return "–"
    if series.error:
        return series.error
    median = series.median
    spread = series.spread()
    if median is None or spread is None:
        return "–"
    lo, hi = spread
    return f"{fmt(median * scale, digits)} ({fmt(lo * scale, digits)}–{fmt(hi * scale, digits)})"


# --------------------------------------------------------------------------- the server


class Server:
    """The fake gateway in a subprocess; stops when this process closes its stdin."""

    def __init__(self, s: Settings) -> None:
        command = [
            *(sys.executable, str(HERE / "fake_server.py"), "--chunks", str(s.stream_chunks)),
            *("--paced-chunks", str(s.paced_chunks), "--pace-ms", str(s.pace_ms)),
        ]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.port = int(line.split()[1])
        self.root = f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict[str, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/__stats")
        stats: dict[str, float] = json.loads(conn.getresponse().read())
        conn.close()
        return stats

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class ServerMeter:
    """The server's own CPU per request over one scenario."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.start = server.stats()

    def done(self) -> dict[str, float]:
        end = self.server.stats()
        requests = end["requests"] - self.start["requests"]
        cpu = end["cpu_s"] - self.start["cpu_s"]
        return {
            "requests": requests,
            "cpu_s": cpu,
            "cpu_us_per_request": cpu / requests * 1e6 if requests else 0.0,
        }


# --------------------------------------------------------------------------- scenarios


def shuffled(items: list[Any], round_no: int) -> list[Any]:
    """The order of round ``round_no``: a permutation drawn afresh every round (seeded by the
    round, so two runs use the same orders). A shared machine slows down in bursts of a second
    or two, which hit the clients that run during them; a rotation keeps neighbours together
    (the rows of one kind sit side by side in the table) so a burst hits a whole block of them,
    while a new permutation spreads the bursts over every client alike."""
    return random.Random(round_no).sample(items, len(items))


def family(client: C.Client) -> tuple[str, ...]:
    """The rows compared with each other by a "× thin" ratio or a stream peer target: the
    thinnest adapter, ours and the peers of one framework and API. A floor or a reference is a
    family of its own."""
    if client.group in ("thin", "ours", "peer") and client.framework:
        return (client.framework, client.api)
    return (client.name,)


def family_order(live: list[tuple[C.Client, Any]], round_no: int) -> list[tuple[C.Client, Any]]:
    """The order of round ``round_no`` in the in-process scenarios: the families
    (:func:`family`) in a new random order every round, and the rows of each family one after
    another, in a new random order within the family every round (seeded by the round, so two
    runs use the same orders). A per-round ratio pairs two samples of the same round; the
    closer in time they run, the more often the machine is in the same speed mode for both
    (``benchmarks/README.md``, "Why the per-event times are bimodal"). Within a family each row
    runs before the other as often as after it, so the order favours none."""
    rng = random.Random(round_no)
    families: dict[tuple[str, ...], list[tuple[C.Client, Any]]] = {}
    for pair in live:
        families.setdefault(family(pair[0]), []).append(pair)
    groups = rng.sample(list(families.values()), len(families))
    return [pair for group in groups for pair in rng.sample(group, len(group))]


_PROBE_FRAME = b'{"choices":[{"index":0,"delta":{"content":"w1 "},"finish_reason":null}]}'


def probe() -> float:
    """The CPU time of a fixed task (parsing 100 small JSON frames, 0.3–0.5 ms), run
    untimed before every sample and kept with it (``extra["probe"]``): the speed of the core at
    the time of the sample. On the project's 2-core virtual machine the same task takes one of
    two times about 1.6× apart, for milliseconds to seconds at a time, and the samples of every
    client follow it (``benchmarks/README.md``, "Why the per-event times are bimodal")."""
    loads = json.loads
    started = time.thread_time()
    for _ in range(100):
        loads(_PROBE_FRAME)
    return time.thread_time() - started


def settle() -> None:
    """Run before every timed sample, untimed: collect the garbage the previous client left, so
    that no client pays on its own clock for collecting another's (the generation counters
    start from zero for every sample)."""
    gc.collect()


def freeze() -> None:
    """Move every object alive now out of the collector's sight (``gc.freeze``), once the
    clients are built and after each warm-up: the process holds every framework, peer SDK and
    their first-use imports, a heap no user's process has; a full collection that scanned it
    would land on whichever client happened to trigger it. Each client still pays for
    collecting the garbage it makes."""
    gc.collect()
    gc.freeze()


def fail(exc: BaseException) -> str:
    if isinstance(exc, C.Unsupported):
        return f"n/a: {exc}"
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace("|", "/")
    return f"failed: {text[:140]}"


def run_interleaved(
    label: str,
    live: list[tuple[C.Client, Any]],
    rounds: int,
    measure: Callable[[C.Client, Any], float | tuple[float, dict[str, Any]]],
    warm_up: bool = True,
) -> dict[str, Series]:
    """``measure`` once per client per round, in a new order every round (:func:`family_order`),
    after one untimed warm-up call each (``warm_up``) and :func:`freeze`; :func:`probe` and
    :func:`settle` before every sample."""
    results = {client.name: Series() for client, _ in live}
    started = time.perf_counter()
    if warm_up:  # untimed: first-use costs (lazy imports, connections) stay out of the rounds
        for client, obj in live:
            try:
                measure(client, obj)
            except Exception as exc:
                results[client.name].error = fail(exc)
    freeze()
    for round_no in range(rounds):
        for client, obj in family_order(live, round_no):
            series = results[client.name]
            if series.error:
                continue
            try:
                speed = probe()
                settle()
                outcome = measure(client, obj)
            except Exception as exc:
                series.error = fail(exc)
                continue
            value, extra = outcome if isinstance(outcome, tuple) else (outcome, {})
            series.add(round_no, value, {**extra, "probe": speed})
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return results
