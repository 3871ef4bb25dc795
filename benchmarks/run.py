"""Run the benchmark: every client, every scenario, interleaved round by round, in one run.

    python benchmarks/run.py --quick    # a smoke run (about a minute), writes nothing
    python benchmarks/run.py            # the full interleaved run (about 10 minutes on 2 cores)
    python benchmarks/run.py --update-readme   # full run, then splice the tables into README.md
    python benchmarks/run.py --quick --only "ours: ChatCloud"   # rows whose name contains
                                                    # the text (floors, thin adapters, refs too)

Run the full one on a quiet machine (nothing else using the CPUs: on a shared machine every
figure moves), from a virtualenv with the peers installed (``benchmarks/README.md``,
"Reproduce"). It starts ``fake_server.py`` in a subprocess, builds every client of ``clients.py``
(and ``thin.py``, the thinnest adapter of each framework), checks each with one call, then runs
the scenarios. Within a scenario each round visits every client once, in
an order rotated every round, so slow drift of the machine hits all clients alike. Each figure is
the median over rounds with its spread (interquartile range, or min–max for fewer than 5 rounds);
each ratio is to the raw-httpx floor of the same API (× floor) or to the thinnest adapter of the
same framework and API (× thin), measured in the same run. Import time and peak RSS are measured
in fresh interpreters. The tables are printed and written to
``benchmarks/results/latest.md`` (and ``.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clients as C  # noqa: E402

RESULTS = HERE / "results"
README = HERE / "README.md"
MARK_START = "<!-- results:start -->"
MARK_END = "<!-- results:end -->"


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


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _cell(series: Series | None, scale: float = 1.0, digits: int = 0) -> str:
    if series is None:
        return "–"
    if series.error:
        return series.error
    median = series.median
    spread = series.spread()
    if median is None or spread is None:
        return "–"
    lo, hi = spread
    return f"{_fmt(median * scale, digits)} ({_fmt(lo * scale, digits)}–{_fmt(hi * scale, digits)})"


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


def _rotation(items: list[Any], round_no: int) -> list[Any]:
    k = round_no % len(items) if items else 0
    return items[k:] + items[:k]


def _fail(exc: BaseException) -> str:
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
                results[client.name].error = _fail(exc)
    for round_no in range(rounds):
        gc.collect()
        for client, obj in _rotation(live, round_no):
            series = results[client.name]
            if series.error:
                continue
            try:
                outcome = measure(client, obj)
            except Exception as exc:
                series.error = _fail(exc)
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


def scenario_invoke(live: list[tuple[C.Client, Any]], s: Settings) -> dict[str, Series]:
    def measure(client: C.Client, obj: Any) -> float:
        invoke = client.invoke
        t0 = time.perf_counter()
        for _ in range(s.invoke_calls):
            invoke(obj)
        return (time.perf_counter() - t0) / s.invoke_calls

    return run_interleaved("invoke", live, s.invoke_rounds, measure)


def _consume(client: C.Client, obj: Any) -> tuple[float, float, float, int]:
    """Iterate one stream: wall time, time to the first chunk carrying text, this process's CPU
    time, and the number of chunks with text."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    first = 0.0
    chunks = 0
    for text in client.stream(obj):
        if text:
            if not chunks:
                first = time.perf_counter() - t0
            chunks += 1
    return time.perf_counter() - t0, first, time.process_time() - c0, chunks


def scenario_stream(live: list[tuple[C.Client, Any]], s: Settings) -> dict[str, Series]:
    """Streams of ``stream_chunks`` events sent back to back, one HTTP chunk each."""

    def measure(client: C.Client, obj: Any) -> tuple[float, dict[str, Any]]:
        total, first, cpu, chunks = _consume(client, obj)
        return total, {"ttfc": first, "chunks": chunks, "cpu_per_event": cpu / s.stream_chunks}

    return run_interleaved("stream", live, s.stream_rounds, measure)


def scenario_paced(live: list[tuple[C.Client, Any]], s: Settings) -> dict[str, Series]:
    """Streams of ``paced_chunks`` events ``pace_ms`` apart (a model producing tokens): the value
    is the client's CPU time per event, what a stream costs the machine beside the wait."""

    def measure(client: C.Client, obj: Any) -> tuple[float, dict[str, Any]]:
        total, _, cpu, _ = _consume(client, obj)
        return cpu / s.paced_chunks, {"wall": total}

    return run_interleaved("paced stream", live, s.paced_rounds, measure)


def scenario_tools(live: list[tuple[C.Client, Any]], s: Settings) -> dict[str, Series]:
    def measure(client: C.Client, obj: Any) -> float:
        if client.tools is None:
            raise C.Unsupported("no tool calling")
        t0 = time.perf_counter()
        for _ in range(s.tools_calls):
            client.tools(obj)
        return (time.perf_counter() - t0) / s.tools_calls

    return run_interleaved("tools", live, s.tools_rounds, measure)


def event_loop() -> asyncio.AbstractEventLoop:
    """The one event loop of every async scenario (some peers bind their clients to the first
    loop they see). The warnings of sessions left open at exit are not reported."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "Unclosed" not in str(context.get("message", "")):
            loop.default_exception_handler(context)

    loop.set_exception_handler(quiet)
    return loop


def scenario_async(
    live: list[tuple[C.Client, Any]],
    s: Settings,
    concurrency: int,
    loop: asyncio.AbstractEventLoop,
) -> dict[str, Series]:
    """``async_requests`` calls with at most ``concurrency`` in flight, all on one event loop."""

    async def batch(client: C.Client, obj: Any, total: int) -> float:
        assert client.ainvoke is not None
        ainvoke = client.ainvoke
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await ainvoke(obj)

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(total)))
        return total / (time.perf_counter() - t0)

    def measure(client: C.Client, obj: Any) -> float:
        return loop.run_until_complete(batch(client, obj, s.async_requests))

    # Warm-up: open the connections once, outside the timed rounds.
    warm: list[tuple[C.Client, Any]] = []
    for client, obj in live:
        try:
            loop.run_until_complete(batch(client, obj, min(concurrency, s.async_requests)))
            warm.append((client, obj))
        except Exception as exc:
            print(f"  async warm-up failed for {client.name}: {_fail(exc)}", flush=True)
    results = run_interleaved(
        f"async c={concurrency}", warm, s.async_rounds, measure, warm_up=False
    )
    for client, _ in live:
        results.setdefault(client.name, Series(error="failed in warm-up"))
    return results


# --------------------------------------------------------------------------- fresh interpreters

_IMPORT_CODE = (
    "{pre}\nimport time\nt = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t)\n"
)
AFTER = "after its framework: "

# Fresh interpreters run as a user's would: writing byte-code caches. A PYTHONDONTWRITEBYTECODE
# in the caller's environment would leave this editable checkout without .pyc files (pip
# compiles the installed peers and frameworks), so every timed import of ours would include
# compiling its source.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time_import(target: tuple[str, str]) -> float:
    pre, stmt = target
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_CODE.format(pre=pre, stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        env=CHILD_ENV,
    )
    return float(out.stdout.strip().splitlines()[-1])


def scenario_import(targets: dict[str, tuple[str, str]], repeats: int) -> dict[str, Series]:
    """Import time of each statement in a fresh interpreter (after ``pre``, untimed, when given:
    the marginal cost beyond the framework), interleaved, after one warm-up."""
    results = {name: Series() for name in targets}
    items = list(targets.items())
    started = time.perf_counter()
    for name, stmt in items:  # warm-up: byte-code caches written, files in the page cache
        try:
            _time_import(stmt)
        except subprocess.CalledProcessError as exc:
            results[name].error = f"failed: {exc.stderr.strip().splitlines()[-1][:140]}"
    for round_no in range(repeats):
        for name, stmt in _rotation(items, round_no):
            if not results[name].error:
                results[name].values.append(_time_import(stmt))
    print(f"  import: {time.perf_counter() - started:.1f} s", flush=True)
    return results


PROBE_BASELINES: dict[str, str] = {
    "bare python (runner modules only)": "",
    "httpx floor call": "floor",
    "langchain framework: GenericFakeChatModel.invoke + httpx floor call": "langchain",
    "llamaindex framework: MockLLM.chat + httpx floor call": "llamaindex",
}


def _probe(target: str, root: str) -> None:
    """Child process: import + build + one call, then print VmHWM in KiB."""
    if target in ("floor", "langchain", "llamaindex"):
        if target == "langchain":
            from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

            GenericFakeChatModel(messages=iter(["hi"])).invoke("hi")
        elif target == "llamaindex":
            from llama_index.core.llms import ChatMessage, MockLLM

            MockLLM().chat([ChatMessage(role="user", content="hi")])
        C.Floor(root, "chat_completions").invoke()
    elif target:
        client = next(c for c in C.all_clients() if c.name == target)
        client.invoke(client.build(root))
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]))
            return


def scenario_rss(names: list[str], root: str, repeats: int) -> dict[str, Series]:
    """Peak RSS (VmHWM, MiB) after import + build + one call, each in a fresh interpreter."""
    targets = {**PROBE_BASELINES, **{n: n for n in names}}
    results = {name: Series() for name in targets}
    started = time.perf_counter()
    for round_no in range(repeats):
        for label, target in _rotation(list(targets.items()), round_no):
            if results[label].error:
                continue
            out = subprocess.run(
                [sys.executable, __file__, "--probe", target, "--root", root],
                capture_output=True,
                text=True,
                env=CHILD_ENV,
            )
            if out.returncode != 0:
                results[label].error = "failed: " + out.stderr.strip().splitlines()[-1][:140]
                continue
            results[label].values.append(int(out.stdout.strip().splitlines()[-1]) / 1024)
    print(f"  rss: {time.perf_counter() - started:.1f} s", flush=True)
    return results


# --------------------------------------------------------------------------- the run


def build_clients(
    root: str, wanted: list[C.Client]
) -> tuple[list[tuple[C.Client, Any]], dict[str, str]]:
    """Build every client and check it with one call; failures are kept with their reason."""
    live: list[tuple[C.Client, Any]] = []
    broken: dict[str, str] = {}
    for client in wanted:
        try:
            obj = client.build(root)
            if "invoke" in client.scenarios:
                text = client.invoke(obj)
                if "Cloudflare" not in text:
                    raise RuntimeError(f"unexpected reply text {text[:60]!r}")
        except Exception as exc:
            broken[client.name] = _fail(exc)
            print(f"  {client.name}: {broken[client.name]}", flush=True)
            continue
        live.append((client, obj))
    return live, broken


def machine() -> dict[str, Any]:
    """CPU, cores, Python and the versions of the packages compared."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    packages = {}
    for dist in (
        "cf-gateway",
        "httpx",
        "h11",
        "httpcore",
        "aiohttp",
        "langchain-core",
        "llama-index-core",
        "langchain-cloudflare",
        "langchain-openai",
        "openai",
        "langchain-anthropic",
        "anthropic",
        "llama-index-llms-openai-like",
        "llama-index-llms-openai",
        "llama-index-llms-cloudflare-ai-gateway",
    ):
        try:
            packages[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            packages[dist] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def run(settings: Settings, only: str | None) -> dict[str, Any]:
    """Everything; returns the raw results."""
    wanted = [
        c
        for c in C.all_clients()
        if not only or only in c.name or c.group in ("floor", "thin", "ref")
    ]
    server = Server(settings)
    results: dict[str, Any] = {"machine": machine(), "settings": settings.__dict__}
    server_cost: dict[str, dict[str, float]] = {}
    try:
        print(f"fake server on {server.root}; building {len(wanted)} clients", flush=True)
        live, broken = build_clients(server.root, wanted)
        results["broken"] = broken
        # The same clients once more, pointed at the paced streams (path prefix /paced).
        streaming = [c for c, _ in live if "stream" in c.scenarios]
        paced_live, _ = build_clients(server.root + "/paced", streaming)
        loop = event_loop()
        # Every client and framework is loaded in this one process, a heap no single user would
        # have: freezing it keeps full garbage collections (which would scan all of it) from
        # landing on whichever client happens to trigger them. Each client still pays for
        # collecting its own garbage.
        gc.collect()
        gc.freeze()

        def pick(scenario: str) -> list[tuple[C.Client, Any]]:
            return [pair for pair in live if scenario in pair[0].scenarios]

        for name, fn in (
            ("invoke", lambda: scenario_invoke(pick("invoke"), settings)),
            ("stream", lambda: scenario_stream(pick("stream"), settings)),
            ("paced", lambda: scenario_paced(paced_live, settings)),
            ("tools", lambda: scenario_tools(pick("tools"), settings)),
            ("async50", lambda: scenario_async(pick("async"), settings, 50, loop)),
            ("async200", lambda: scenario_async(pick("async"), settings, 200, loop)),
        ):
            meter = ServerMeter(server)
            results[name] = fn()
            server_cost[name] = meter.done()
        footprint = [
            c
            for c in wanted
            if settings.footprint_all or (c.group == "ours" and c.api == "chat_completions")
        ]
        import_targets = {stmt: ("", stmt) for stmt in C.BASELINE_IMPORTS.values()}
        for client in footprint:
            if "import" in client.scenarios:
                import_targets.setdefault(client.import_stmt, ("", client.import_stmt))
                if client.framework:
                    pre = C.FRAMEWORK_IMPORTS[client.framework]
                    import_targets[AFTER + client.import_stmt] = (pre, client.import_stmt)
        results["import"] = scenario_import(import_targets, settings.import_repeats)
        rss_names = [c.name for c in footprint if "rss" in c.scenarios and c.name not in broken]
        results["rss"] = scenario_rss(rss_names, server.root, settings.rss_repeats)
        results["server"] = server_cost
        results["clients"] = [
            {
                "name": c.name,
                "api": c.api,
                "group": c.group,
                "framework": c.framework,
                "import": c.import_stmt,
                "note": c.note,
                "scenarios": sorted(c.scenarios),
            }
            for c in wanted
        ]
    finally:
        server.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short smoke run (~1-2 min); writes nothing"
    )
    parser.add_argument(
        "--only", help="only rows whose name contains this (floors, thin adapters, refs always)"
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="full run, then replace the results block of benchmarks/README.md",
    )
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe is not None:
        _probe(args.probe, args.root)
        return
    from report import render, targets_table

    settings = QUICK if args.quick else Settings()
    started = time.perf_counter()
    results = run(settings, args.only)
    results["elapsed_s"] = time.perf_counter() - started
    text = render(results)
    print(text)
    print(targets_table(results))
    if args.quick:
        print(f"quick run done in {results['elapsed_s']:.0f} s (nothing written)")
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(_jsonable(results), indent=1))
    (RESULTS / "latest.md").write_text(text + "\n\n" + targets_table(results) + "\n")
    if args.update_readme:
        readme = README.read_text()
        head, rest = readme.split(MARK_START, 1)
        _, tail = rest.split(MARK_END, 1)
        block = f"{MARK_START}\n{text}\n{targets_table(results)}\n{MARK_END}"
        README.write_text(head + block + tail)
    print(f"done in {results['elapsed_s']:.0f} s; results in {RESULTS}/latest.md")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Series):
        return {"values": value.values, "error": value.error, "extra": value.extra}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


if __name__ == "__main__":
    main()
