"""Run the benchmark: every client, every scenario, interleaved round by round, in one run.

    python benchmarks/run.py --quick    # a smoke run (about a minute), writes nothing
    python benchmarks/run.py            # the full interleaved run (about 10 minutes on 2 cores)
    python benchmarks/run.py --update-readme   # full run, then splice the tables into README.md
    python benchmarks/run.py --quick --only "ours: ChatCloud"   # rows whose name contains
                                                    # the text (floors, thin adapters, refs too)
    python benchmarks/run.py --quick --scenarios stream      # some scenarios only
    python benchmarks/run.py --scenarios stream --only "ours: ChatCloudflareAIGateway, messages"
                                 # one target, full rounds, about a minute (README: "Checking")

Run the full one on a quiet machine (nothing else using the CPUs: on a shared machine every
figure moves), from a virtualenv with the peers installed (``benchmarks/README.md``,
"Reproduce"). It starts ``fake_server.py`` in a subprocess, builds every client of ``rows.py``
(the thinnest adapter of each framework included), checks each with one call, then runs the
scenarios. Within a scenario each round visits every client once, in a new order every round,
so the bursts of a shared machine hit all clients alike, with the rows of one framework and
API side by side (``harness.run_interleaved``, ``harness.family_order``). Each figure is the
median over rounds with its spread (interquartile range, or min–max for fewer than 5 rounds);
each ratio is to the raw-httpx floor of the same API (× floor) or to the thinnest adapter of the
same framework and API (× thin), the median over rounds of the two rows' ratio in the same
round (``paired.py``). Import time
and peak RSS are measured in fresh interpreters. The tables are printed, and a full run writes
them to ``benchmarks/results/latest.md`` (and ``.json``).

Modules: ``clients.py`` (what a row is), ``rows.py`` (the table of rows) with ``floors.py``,
``thin.py`` (+ ``thin_lc.py``, ``thin_li.py``), ``frameworks.py`` and ``peers.py`` (the rows);
``harness.py`` (settings, series, the server process, the
interleaved loop), ``scenarios.py`` (in-process scenarios), ``footprint.py`` (import time and
peak RSS in fresh interpreters), ``report.py`` (the tables, with
``paired.py``: the per-round paired ratios), ``fake_server.py`` (the server).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clients as C  # noqa: E402
import rows  # noqa: E402
from footprint import AFTER, scenario_import, scenario_rss  # noqa: E402
from harness import QUICK, Series, Server, ServerMeter, Settings, fail, freeze  # noqa: E402
from scenarios import (  # noqa: E402
    event_loop,
    scenario_async,
    scenario_invoke,
    scenario_paced,
    scenario_stream,
    scenario_tools,
)

RESULTS = HERE / "results"
README = HERE / "README.md"
MARK_START = "<!-- results:start -->"
MARK_END = "<!-- results:end -->"
SCENARIOS = ("invoke", "stream", "paced", "tools", "async50", "async200", "import", "rss")


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
            broken[client.name] = fail(exc)
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
        "affinity": sorted(os.sched_getaffinity(0)),  # the vCPUs this run may use
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def run(
    settings: Settings, only: str | None, scenarios: tuple[str, ...] = SCENARIOS
) -> dict[str, Any]:
    """Everything (or the ``scenarios`` named); returns the raw results."""
    wanted = [
        c
        for c in rows.all_clients()
        if not only or only in c.name or c.group in ("floor", "thin", "ref")
    ]
    server = Server(settings)
    results: dict[str, Any] = {"machine": machine(), "settings": settings.__dict__}
    results.update({name: {} for name in SCENARIOS})
    try:
        print(f"fake server on {server.root}; building {len(wanted)} clients", flush=True)
        live, broken = build_clients(server.root, wanted)
        results["broken"] = broken
        results["server"] = _timed(server, live, settings, scenarios, results)
        footprint = [
            c
            for c in wanted
            if settings.footprint_all or (c.group == "ours" and c.api == "chat_completions")
        ]
        if "import" in scenarios:
            results["import"] = scenario_import(_import_targets(footprint), settings.import_repeats)
        rss_names = [c.name for c in footprint if "rss" in c.scenarios and c.name not in broken]
        if "rss" in scenarios:
            results["rss"] = scenario_rss(rss_names, server.root, settings.rss_repeats)
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


def _timed(
    server: Server,
    live: list[tuple[C.Client, Any]],
    settings: Settings,
    scenarios: tuple[str, ...],
    results: dict[str, Any],
) -> dict[str, dict[str, float]]:
    """The in-process scenarios into ``results``; returns the server's cost of each."""
    # The same clients once more, pointed at the paced streams (path prefix /paced).
    streaming = [c for c, _ in live if "stream" in c.scenarios]
    paced_live = build_clients(server.root + "/paced", streaming)[0] if "paced" in scenarios else []
    loop = event_loop()
    freeze()  # and again after each scenario's warm-up (harness.freeze says why)

    def pick(scenario: str) -> list[tuple[C.Client, Any]]:
        return [pair for pair in live if scenario in pair[0].scenarios]

    table: dict[str, Callable[[], dict[str, Series]]] = {
        "invoke": lambda: scenario_invoke(pick("invoke"), settings),
        "stream": lambda: scenario_stream(pick("stream"), settings),
        "paced": lambda: scenario_paced(paced_live, settings),
        "tools": lambda: scenario_tools(pick("tools"), settings),
        "async50": lambda: scenario_async(pick("async"), settings, 50, loop),
        "async200": lambda: scenario_async(pick("async"), settings, 200, loop),
    }
    server_cost: dict[str, dict[str, float]] = {}
    for name, fn in table.items():
        if name in scenarios:
            meter = ServerMeter(server)
            results[name] = fn()
            server_cost[name] = meter.done()
    return server_cost


def _import_targets(footprint: list[C.Client]) -> dict[str, tuple[str, str]]:
    """Each import statement to time, and (prefixed) after its framework's own import."""
    targets = {stmt: ("", stmt) for stmt in C.BASELINE_IMPORTS.values()}
    for client in footprint:
        if "import" in client.scenarios:
            targets.setdefault(client.import_stmt, ("", client.import_stmt))
            if client.framework:
                pre = C.FRAMEWORK_IMPORTS[client.framework]
                targets[AFTER + client.import_stmt] = (pre, client.import_stmt)
    return targets


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
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, of: {', '.join(SCENARIOS)} (default: all)",
    )
    args = parser.parse_args()
    scenarios = tuple(name.strip() for name in args.scenarios.split(",") if name.strip())
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(SCENARIOS)}")
    if args.update_readme and (args.quick or args.only or set(scenarios) != set(SCENARIOS)):
        parser.error("--update-readme needs a full run (no --quick, --only or --scenarios)")
    from report import render, targets_table

    settings = QUICK if args.quick else Settings()
    started = time.perf_counter()
    results = run(settings, args.only, scenarios)
    results["elapsed_s"] = time.perf_counter() - started
    text = render(results)
    print(text)
    print(targets_table(results))
    if args.quick or args.only or set(scenarios) != set(SCENARIOS):
        # Only a full run replaces results/latest.* (they are the record of the last full run).
        print(f"partial or quick run done in {results['elapsed_s']:.0f} s (nothing written)")
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
        return {
            "values": value.values,
            "rounds": value.rounds,
            "error": value.error,
            "extra": value.extra,
        }
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


if __name__ == "__main__":
    main()
