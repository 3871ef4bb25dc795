"""Markdown tables from one run's results (``run.py`` calls :func:`render` and
:func:`targets_table`); ratios are always to rows of the same run: the raw-httpx floor of the same
API ("× floor") and the thinnest adapter of the same framework and API ("× thin"), each the
median of per-round paired ratios (``paired.py``)."""

from __future__ import annotations

from typing import Any

import clients as C
from harness import Series, cell as _cell, fmt as _fmt
from paired import Ratio, paired, per_round, summarize

FLOOR = "floor: raw httpx, {api}"

# The targets (issue 20): ratios to the thinnest adapter of the same framework and API; import
# time and RSS beyond the framework no worse than before the change (36.6 ms, +1.8 MiB).
TARGETS = {
    "invoke": 1.1,
    "stream": 1.1,
    "stream_peer": 1.05,
    "ttfc": 1.1,
    "async": 0.75,
    "import_ms": 36.6,
    "core_import_ms": 80.0,
    "rss_mib": 1.8,
}


def _median(series: Series | None) -> float | None:
    return None if series is None or series.error else series.median


def _r(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _rt(ratio: Ratio | None) -> str:
    return "–" if ratio is None else ratio.text()


def _rows(results: dict[str, Any], scenario: str) -> list[dict[str, Any]]:
    return [c for c in results["clients"] if scenario in c["scenarios"]]


class Figures:
    """Medians and ratios, looked up by client name. Every ratio is the median of per-round
    paired ratios (``paired.py``): in each round, one row's value over the other row's value
    of the same round."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.by_name = {c["name"]: c for c in results["clients"]}

    def series(self, scenario: str, name: str) -> Series | None:
        table = self.results.get(scenario) or {}
        return table.get(name)

    def rounds(self, scenario: str, name: str, key: str | None = None) -> dict[int, float] | None:
        """``name``'s values (or ``extra[key]``) by round; ``None`` for a failed client."""
        series = self.series(scenario, name)
        return None if series is None or series.error else series.by_round(key)

    def floor_name(self, name: str) -> str:
        return FLOOR.format(api=self.by_name[name]["api"])

    def thin_name(self, name: str) -> str | None:
        client = self.by_name[name]
        framework = client["framework"]
        if framework is None:
            return None
        return C.THIN_NAMES[framework].format(api=client["api"])

    def pair(
        self, scenario: str, name: str, to: str | None = None, key: str | None = None
    ) -> Ratio | None:
        """The median over rounds of ``name``'s value over ``to``'s (default: the floor of its
        API) in the same round; times and throughputs alike (lower is better for a time ratio,
        higher for a throughput ratio)."""
        num = self.rounds(scenario, name, key)
        den = self.rounds(scenario, to if to is not None else self.floor_name(name), key)
        return None if num is None or den is None else paired(num, den)

    def ratio(
        self, scenario: str, name: str, to: str | None = None, key: str | None = None
    ) -> float | None:
        found = self.pair(scenario, name, to, key)
        return None if found is None else found.median

    def thin_pair(self, scenario: str, name: str, key: str | None = None) -> Ratio | None:
        thin = self.thin_name(name)
        return None if thin is None else self.pair(scenario, name, thin, key)

    def thin_ratio(self, scenario: str, name: str, key: str | None = None) -> float | None:
        found = self.thin_pair(scenario, name, key)
        return None if found is None else found.median

    def extra(self, scenario: str, name: str, key: str) -> float | None:
        series = self.series(scenario, name)
        if series is None or series.error or not series.extra.get(key):
            return None
        return _median(Series(values=list(series.extra[key])))

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
    n = f.results["settings"]["stream_chunks"]
    lines = [
        "| client | invoke µs/call | × floor | × thin | stream µs/event | × floor | × thin "
        "| client CPU µs/event | first chunk µs | × thin | tool round trip µs | × floor | × thin |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for client in f.results["clients"]:
        if not {"invoke", "stream"} & set(client["scenarios"]):
            continue
        name = client["name"]
        ttfc = f.extra("stream", name, "ttfc")
        ttfc_thin = f.thin_ratio("stream", name, "ttfc")
        cpu = f.extra("stream", name, "cpu_per_event")
        lines.append(
            f"| {name} | {_cell(f.series('invoke', name), 1e6)} | {_r(f.ratio('invoke', name))} "
            f"| {_r(f.thin_ratio('invoke', name))} "
            f"| {_cell(f.series('stream', name), 1e6 / n, 1)} | {_r(f.ratio('stream', name))} "
            f"| {_r(f.thin_ratio('stream', name))} | {_fmt(cpu * 1e6 if cpu else None, 1)} "
            f"| {_fmt(ttfc * 1e6 if ttfc else None)} | {_r(ttfc_thin)} "
            f"| {_cell(f.series('tools', name), 1e6)} | {_r(f.ratio('tools', name))} "
            f"| {_r(f.thin_ratio('tools', name))} |"
        )
    return lines


def _cpu_table(f: Figures) -> list[str]:
    lines = [
        "This process's CPU time only (no server, no waiting): on a loaded machine, where the "
        "server process waits for a core and wall-clock times follow it, these ratios move "
        "least; on a quiet one, invoke's CPU ratios run above its wall-clock ratios (the "
        "server's share and the loopback wait, common to both rows, are left out).",
        "",
        "| client | invoke CPU µs/call | × thin | stream CPU µs/event | × thin |",
        "|---|---:|---:|---:|---:|",
    ]
    for client in f.results["clients"]:
        if client["group"] not in ("thin", "ours", "peer"):
            continue
        name = client["name"]
        invoke = f.extra("invoke", name, "cpu")
        stream = f.extra("stream", name, "cpu_per_event")
        if invoke is None and stream is None:
            continue
        lines.append(
            f"| {name} | {_fmt(invoke * 1e6 if invoke else None)} "
            f"| {_r(f.thin_ratio('invoke', name, 'cpu'))} "
            f"| {_fmt(stream * 1e6 if stream else None, 1)} "
            f"| {_r(f.thin_ratio('stream', name, 'cpu_per_event'))} |"
        )
    return lines


def _paced_table(f: Figures) -> list[str]:
    s = f.results["settings"]
    lines = [
        f"{s['paced_chunks']} events, {s['pace_ms']:g} ms apart, one HTTP chunk each: the client "
        "process's CPU time per event (what the stream costs beside the wait).",
        "",
        "| client | client CPU µs/event | × floor | × thin | stream wall ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for client in _rows(f.results, "stream"):
        name = client["name"]
        series = f.series("paced", name)
        if series is None:
            continue
        lines.append(
            f"| {name} | {_cell(series, 1e6, 1)} | {_r(f.ratio('paced', name))} "
            f"| {_r(f.thin_ratio('paced', name))} "
            f"| {_fmt((f.extra('paced', name, 'wall') or 0) * 1e3, 1)} |"
        )
    return lines


def _async_table(f: Figures) -> list[str]:
    lines = [
        "| client | c=50 req/s | × floor | × thin | c=200 req/s | × floor | × thin |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for client in _rows(f.results, "async"):
        name = client["name"]
        lines.append(
            f"| {name} | {_cell(f.series('async50', name))} | {_r(f.ratio('async50', name))} "
            f"| {_r(f.thin_ratio('async50', name))} "
            f"| {_cell(f.series('async200', name))} | {_r(f.ratio('async200', name))} "
            f"| {_r(f.thin_ratio('async200', name))} |"
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
        "raw-httpx floor of the same API (× floor) and to the thinnest adapter of the same "
        "framework and API (× thin) in this run, each the median over rounds of the ratio of "
        "the two rows' values in the same round (time ratios: lower is better; throughput "
        "ratios: higher is better).",
        "",
        "### Sequential calls, streams (one SSE event per HTTP chunk), tool round trip",
        "",
        *_sync_table(f),
        "",
        "### Client CPU per call and per event, as a ratio to the thinnest adapter",
        "",
        *_cpu_table(f),
        "",
        "### Paced stream",
        "",
        *_paced_table(f),
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
        *_server_and_notes(results),
    ]
    return "\n".join(out)


def _server_and_notes(results: dict[str, Any]) -> list[str]:
    out = [
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
    return out


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def _check(value: float | None, limit: float, higher: bool = False) -> bool | None:
    if value is None:
        return None
    return value >= limit if higher else value <= limit


def _peers(f: Figures, name: str, same_api: bool) -> list[str]:
    """The peers of ``name``'s framework (and of its API, with ``same_api``)."""
    client = f.by_name[name]
    return [
        c["name"]
        for c in f.results["clients"]
        if c["group"] == "peer"
        and c["framework"] == client["framework"]
        and (not same_api or c["api"] == client["api"])
    ]


def _worst(ratios: list[Ratio | None]) -> Ratio | None:
    """The largest of the per-peer ratios: ours against the peer it compares worst with."""
    return max((r for r in ratios if r is not None), key=lambda r: r.median, default=None)


def stream_vs_peers(f: Figures, name: str) -> Ratio | None:
    """Ours over each peer of its framework and API, per round (the median of per-round
    ratios, for each peer); the largest of them: "no slower than the fastest peer" is "no
    slower than any peer". ``None`` without such a peer."""
    return _worst([f.pair("stream", name, peer) for peer in _peers(f, name, True)])


def invoke_vs_peers(f: Figures, name: str) -> Ratio | None:
    """Per round, ours over the floor of its API divided by a peer over the floor of the peer's
    API (for a peer of the same API: ours over the peer), the median over rounds for each peer
    of ours' framework (any API); the largest. Below 1: below every peer."""
    own = f.rounds("invoke", name)
    own_floor = f.rounds("invoke", f.floor_name(name))
    if own is None or own_floor is None:
        return None
    ours = per_round(own, own_floor)
    ratios = []
    for peer in _peers(f, name, False):
        theirs, floor = f.rounds("invoke", peer), f.rounds("invoke", f.floor_name(peer))
        if theirs is not None and floor is not None:
            ratios.append(summarize(per_round(ours, per_round(theirs, floor))))
    return _worst(ratios)


def best_peer_invoke(f: Figures, framework: str | None) -> float | None:
    """The lowest invoke ratio to its floor among the peers of ``framework`` (any API: each
    ratio is to the floor of the peer's own API), or ``None`` without such a peer."""
    ratios = [
        f.ratio("invoke", c["name"])
        for c in f.results["clients"]
        if c["group"] == "peer" and c["framework"] == framework
    ]
    return min((r for r in ratios if r is not None), default=None)


def _cell_of(ratio: Ratio | None, limit: float, higher: bool = False) -> str:
    value = None if ratio is None else ratio.median
    return f"{_rt(ratio)} {_verdict(_check(value, limit, higher))}"


def _target_cells(f: Figures, name: str) -> list[str]:
    inv = f.thin_pair("invoke", name)
    vs_inv = invoke_vs_peers(f, name)
    below = True if vs_inv is None else vs_inv.median < 1
    inv_ok = _check(None if inv is None else inv.median, TARGETS["invoke"])
    inv_cell = f"{_rt(inv)} {_verdict(None if inv_ok is None else inv_ok and below)}"
    if vs_inv is not None:
        inv_cell += f", {vs_inv.median:.2f}× best peer"
    vs_peer = stream_vs_peers(f, name)
    return [
        inv_cell,
        _cell_of(f.thin_pair("stream", name), TARGETS["stream"]),
        "no peer" if vs_peer is None else _cell_of(vs_peer, TARGETS["stream_peer"]),
        _cell_of(f.thin_pair("stream", name, "ttfc"), TARGETS["ttfc"]),
        _cell_of(f.thin_pair("async50", name), TARGETS["async"], higher=True),
        _cell_of(f.thin_pair("async200", name), TARGETS["async"], higher=True),
    ]


def targets_table(results: dict[str, Any]) -> str:
    """Our rows against issue 20's targets (ratios to the thinnest adapter of the same framework
    and API, and to the peers)."""
    f = Figures(results)
    best = {fw: best_peer_invoke(f, fw) for fw in ("langchain", "llamaindex")}
    lines = [
        "### Targets (ours)",
        "",
        "Every ratio here is the median over rounds of the per-round ratio (ours in round r over "
        "the other row in round r), with its interquartile range (min–max below 5 rounds); "
        '`benchmarks/README.md`, "Ratios", says why. Invoke against the peers: per round, ours '
        "over the floor of its API divided by the peer over the floor of the peer's API; "
        '"× best peer" is the largest median of that over the peers of the framework (below '
        "1.00: below every peer of its framework). Stream against the peers: ours over each "
        "peer of the same framework and API, the largest median. Best peer invoke ratio to its "
        f"floor in this run, per framework: LangChain {_r(best['langchain'])}, "
        f"LlamaIndex {_r(best['llamaindex'])}.",
        "",
        "| client | invoke ≤1.1× thin and below every peer of its framework (× floor) "
        "| stream/event ≤1.1× thin "
        "| stream/event ≤1.05× fastest peer (same framework, API) | first chunk ≤1.1× thin "
        "| async c=50 ≥0.75× thin | async c=200 ≥0.75× thin "
        "| import beyond framework ≤36.6 ms | RSS beyond framework ≤+1.8 MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for client in results["clients"]:
        if client["group"] != "ours":
            continue
        name = client["name"]
        rest = _target_cells(f, name)
        if "import" in client["scenarios"] and name in f.results["rss"]:
            rss = f.rss(name)
            base = f.rss(f.rss_base(client))
            beyond_rss = None if rss is None or base is None else rss - base
            beyond_imp = f.import_beyond(client)
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
