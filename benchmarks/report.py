"""Markdown tables from one run's results (``run.py`` calls :func:`render` and
:func:`targets_table`); ratios are always to the same-API floor of the same run."""

from __future__ import annotations

from typing import Any

import clients as C
from run import Series, _cell, _fmt

FLOOR = "floor: raw httpx, {api}"

# perf.md "Targets for this package" / the acceptance limits.
TARGETS = {
    "invoke": 1.3,
    "invoke_issue": 1.5,
    "stream": 1.6,
    "ttfc": 1.3,
    "ttfc_issue": 1.5,
    "async": 1.5,
    "import_ms": 60.0,
    "core_import_ms": 80.0,
    "rss_mib": 10.0,
}


def _median(series: Series | None) -> float | None:
    return None if series is None or series.error else series.median


def _ttfc(series: Series | None) -> Series | None:
    if series is None or series.error:
        return series
    return Series(values=list(series.extra.get("ttfc", [])))


def _ratio(value: float | None, floor: float | None, invert: bool = False) -> float | None:
    if value is None or floor is None or not floor or not value:
        return None
    return floor / value if invert else value / floor


def _r(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _rows(results: dict[str, Any], scenario: str) -> list[dict[str, Any]]:
    return [c for c in results["clients"] if scenario in c["scenarios"]]


class Figures:
    """Medians and ratios, looked up by client name."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.by_name = {c["name"]: c for c in results["clients"]}

    def series(self, scenario: str, name: str) -> Series | None:
        table = self.results.get(scenario) or {}
        return table.get(name)

    def floor_name(self, name: str) -> str:
        return FLOOR.format(api=self.by_name[name]["api"])

    def ratio(self, scenario: str, name: str) -> float | None:
        invert = scenario.startswith("async")
        value = _median(self.series(scenario, name))
        floor = _median(self.series(scenario, self.floor_name(name)))
        return _ratio(value, floor, invert=False) if not invert else _ratio(floor, value, True)

    def ttfc(self, name: str) -> tuple[float | None, float | None]:
        value = _median(_ttfc(self.series("stream", name)))
        floor = _median(_ttfc(self.series("stream", self.floor_name(name))))
        return value, _ratio(value, floor)

    def import_ms(self, stmt: str) -> float | None:
        value = _median(self.results["import"].get(stmt))
        return None if value is None else value * 1000

    def import_beyond(self, client: dict[str, Any]) -> float | None:
        if client["framework"]:
            # timed in a fresh interpreter that has already imported the framework
            return self.import_ms("after its framework: " + client["import"])
        own = self.import_ms(client["import"])
        base = self.import_ms("import httpx")
        return None if own is None or base is None else own - base

    def rss(self, label: str) -> float | None:
        return _median(self.results["rss"].get(label))

    def rss_base(self, client: dict[str, Any]) -> str:
        framework = client["framework"]
        keys = {
            None: "bare python (runner modules only)",
            "langchain": "langchain framework: GenericFakeChatModel.invoke + httpx floor call",
            "llamaindex": "llamaindex framework: MockLLM.chat + httpx floor call",
        }
        return keys[framework]


def _sync_table(f: Figures) -> list[str]:
    lines = [
        "| client | invoke µs/call | × floor | 1000-chunk stream ms | chunks/s | × floor time "
        "| first chunk µs | × floor | tool round trip µs | × floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for client in f.results["clients"]:
        if not {"invoke", "stream"} & set(client["scenarios"]):
            continue
        name = client["name"]
        stream = f.series("stream", name)
        chunks_s = None
        if stream is not None and not stream.error and stream.median:
            # server frames per second (a client may hand them over merged into fewer chunks)
            chunks_s = f.results["settings"]["stream_chunks"] / stream.median
        ttfc, ttfc_ratio = f.ttfc(name)
        lines.append(
            f"| {name} | {_cell(f.series('invoke', name), 1e6)} | {_r(f.ratio('invoke', name))} "
            f"| {_cell(stream, 1e3, 1)} | {_fmt(chunks_s)} | {_r(f.ratio('stream', name))} "
            f"| {_fmt(ttfc * 1e6 if ttfc else None)} | {_r(ttfc_ratio)} "
            f"| {_cell(f.series('tools', name), 1e6)} | {_r(f.ratio('tools', name))} |"
        )
    return lines


def _async_table(f: Figures) -> list[str]:
    lines = [
        "| client | c=50 req/s | × floor | c=200 req/s | × floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for client in _rows(f.results, "async"):
        name = client["name"]
        lines.append(
            f"| {name} | {_cell(f.series('async50', name))} | {_r(f.ratio('async50', name))} "
            f"| {_cell(f.series('async200', name))} | {_r(f.ratio('async200', name))} |"
        )
    return lines


def _footprint_table(f: Figures) -> list[str]:
    lines = [
        "| what | import ms (fresh interpreter) | beyond its framework, ms "
        "| peak RSS after import + 1 call, MiB | beyond its framework, MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    base_rss = {label: f.rss(label) for label in f.results["rss"] if label not in f.by_name}
    for label, stmt in C.BASELINE_IMPORTS.items():
        lines.append(f"| baseline: `{stmt}` ({label}) | {_fmt(f.import_ms(stmt), 1)} | | | |")
    for label, value in base_rss.items():
        lines.append(f"| baseline: {label} | | | {_fmt(value, 1)} | |")
    for client in _rows(f.results, "rss"):
        name = client["name"]
        if name not in f.results["rss"]:
            continue  # not measured (--quick measures only our two classes)
        rss = f.rss(name)
        base = f.rss(f.rss_base(client))
        beyond = None if rss is None or base is None else rss - base
        series = f.results["rss"].get(name)
        rss_text = series.error if series is not None and series.error else _fmt(rss, 1)
        lines.append(
            f"| {name} | {_fmt(f.import_ms(client['import']), 1)} "
            f"| {_fmt(f.import_beyond(client), 1)} | {rss_text} | {_fmt(beyond, 1)} |"
        )
    return lines


def render(results: dict[str, Any]) -> str:
    """All tables, as Markdown."""
    f = Figures(results)
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    out = [
        f"Run of {m['date']} on {m['cpu']}, {m['cores']} cores, Python {m['python']} "
        f"({m['platform']}); total {results.get('elapsed_s', 0):.0f} s.",
        "",
        f"Packages: {packages}.",
        "",
        "Medians over rounds, (interquartile range) or (min–max) below 5 rounds; ratios to the "
        "raw-httpx floor of the same API in this run (time ratios: lower is better; throughput "
        "ratios: higher is better).",
        "",
        "### Sequential calls, 1000-chunk stream, tool round trip",
        "",
        *_sync_table(f),
        "",
        "### Async throughput (one event loop; the floor is `httpx.AsyncClient()` with "
        "httpx's default limits)",
        "",
        *_async_table(f),
        "",
        "### Import time and peak RSS (fresh interpreters)",
        "",
        *_footprint_table(f),
        "",
        "### The fake server's own cost",
        "",
        "| scenario | requests | server CPU µs/request |",
        "|---|---:|---:|",
    ]
    for scenario, cost in results.get("server", {}).items():
        out.append(f"| {scenario} | {int(cost['requests'])} | {cost['cpu_us_per_request']:.0f} |")
    notes = [c for c in results["clients"] if c["note"]]
    if notes or results.get("broken"):
        out += ["", "### Notes", ""]
        for name, reason in results.get("broken", {}).items():
            out.append(f"- **{name}**: {reason}")
        for client in notes:
            out.append(f"- {client['name']}: {client['note']}")
    return "\n".join(out)


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def _check(value: float | None, limit: float, higher: bool = False) -> bool | None:
    if value is None:
        return None
    return value >= limit if higher else value <= limit


def targets_table(results: dict[str, Any]) -> str:
    """Our rows against perf.md's targets (and the issue's looser limits)."""
    f = Figures(results)
    peers = [c["name"] for c in results["clients"] if c["group"] == "peer"]
    best_peer = min(
        (r for r in (f.ratio("invoke", p) for p in peers) if r is not None), default=None
    )
    lines = [
        "### Targets (ours)",
        "",
        f"Best peer invoke ratio in this run: {_r(best_peer)}.",
        "",
        "| client | invoke ≤1.3 (≤1.5) and < best peer | stream ≤1.6 | first chunk ≤1.3 (≤1.5) "
        "| async c=50 ≥1.5 | async c=200 ≥1.5 | import beyond framework ≤60 ms "
        "| RSS beyond framework ≤10 MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for client in results["clients"]:
        if client["group"] != "ours":
            continue
        name = client["name"]
        if "invoke" in client["scenarios"]:
            inv = f.ratio("invoke", name)
            inv_ok = _check(inv, TARGETS["invoke"])
            beats = inv is not None and best_peer is not None and inv < best_peer
            inv_cell = f"{_r(inv)} {_verdict(inv_ok and beats)}" + (
                "" if inv_ok else f" (issue ≤1.5: {_verdict(_check(inv, 1.5))})"
            )
            st = f.ratio("stream", name)
            _, tt = f.ttfc(name)
            tt_cell = f"{_r(tt)} {_verdict(_check(tt, TARGETS['ttfc']))}"
            if not _check(tt, TARGETS["ttfc"]):
                tt_cell += f" (issue ≤1.5: {_verdict(_check(tt, 1.5))})"
            rss = f.rss(name)
            base = f.rss(f.rss_base(client))
            beyond_rss = None if rss is None or base is None else rss - base
            beyond_imp = f.import_beyond(client)
            rest = [
                inv_cell,
                f"{_r(st)} {_verdict(_check(st, TARGETS['stream']))}",
                tt_cell,
            ]
        else:
            rest = ["", "", ""]
            beyond_rss = beyond_imp = None
        a50 = f.ratio("async50", name)
        a200 = f.ratio("async200", name)
        rest += [
            f"{_r(a50)} {_verdict(_check(a50, TARGETS['async'], higher=True))}",
            f"{_r(a200)} {_verdict(_check(a200, TARGETS['async'], higher=True))}",
        ]
        if "import" in client["scenarios"]:
            rest += [
                f"{_fmt(beyond_imp, 1)} {_verdict(_check(beyond_imp, TARGETS['import_ms']))}",
                f"{_fmt(beyond_rss, 1)} {_verdict(_check(beyond_rss, TARGETS['rss_mib']))}",
            ]
        else:
            rest += ["", ""]
        lines.append(f"| {name} | " + " | ".join(rest) + " |")
    core = f.import_ms("import cf_gateway_core")
    lines += [
        "",
        f"`import cf_gateway_core`: {_fmt(core, 1)} ms "
        f"({_verdict(_check(core, TARGETS['core_import_ms']))}, target ≤ 80 ms).",
    ]
    return "\n".join(lines)
