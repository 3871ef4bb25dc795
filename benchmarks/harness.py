"""The runner's machinery: settings, per-round series and their cells, the fake server in a
subprocess, and the interleaved loop every in-process scenario runs through."""

from __future__ import annotations

import gc
import http.client
import json
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

    invoke_rounds: int = 9
    invoke_calls: int = 30
    stream_rounds: int = 9
    stream_chunks: int = 1000
    paced_rounds: int = 3
    paced_chunks: int = 200
    pace_ms: float = 1.0
    async_rounds: int = 3
    async_requests: int = 300
    tools_rounds: int = 7
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
    async_requests=50,
    tools_rounds=1,
    tools_calls=2,
    import_repeats=1,
    rss_repeats=1,
    footprint_all=False,
)


# --------------------------------------------------------------------------- statistics


@dataclass
class Series:
    """Per-round values of one client in one scenario (or the error that stopped it)."""

    values: list[float] = field(default_factory=list)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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


def rotation(items: list[Any], round_no: int) -> list[Any]:
    k = round_no % len(items) if items else 0
    return items[k:] + items[:k]


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
    """``measure`` once per client per round, rotating the order every round."""
    results = {client.name: Series() for client, _ in live}
    started = time.perf_counter()
    if warm_up:  # untimed: first-use costs (lazy imports, connections) stay out of the rounds
        for client, obj in live:
            try:
                measure(client, obj)
            except Exception as exc:
                results[client.name].error = fail(exc)
    for round_no in range(rounds):
        gc.collect()
        for client, obj in rotation(live, round_no):
            series = results[client.name]
            if series.error:
                continue
            try:
                outcome = measure(client, obj)
            except Exception as exc:
                series.error = fail(exc)
                continue
            if isinstance(outcome, tuple):
                value, extra = outcome
                for key, item in extra.items():
                    series.extra.setdefault(key, []).append(item)
            else:
                value = outcome
            series.values.append(value)
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return results
