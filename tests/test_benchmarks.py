"""The benchmark's own code (``benchmarks/``): its structure, the fake server's wire shapes, the
harness's order and garbage-collection rules, the report's target checks, and every row that the
test environment can build (floors, thinnest adapters, ours, the aiohttp references) answering
through the fake server. Nothing here times anything: performance is measured only by
``benchmarks/run.py``."""

from __future__ import annotations

import ast
import asyncio
import gc
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_layering import _cycles

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
CHAT_PATH = b"/client/v4/accounts/acct/ai/v1/chat/completions"


@pytest.fixture(autouse=True)
def bench_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark modules import each other by their top-level names, as ``run.py`` does."""
    monkeypatch.syspath_prepend(str(BENCH))


def _modules() -> dict[str, Path]:
    return {path.stem: path for path in BENCH.glob("*.py")}


def test_benchmark_modules_form_no_import_cycle() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):  # function-level imports included
            if isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                graph[name].add(node.module)
    assert {"clients", "rows", "thin", "thin_lc", "thin_li"} <= graph.keys()
    assert _cycles(graph) == []


def test_benchmark_functions_stay_under_fifty_lines() -> None:
    long = [
        f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in BENCH.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 50
    ]
    assert long == []


def test_rss_probes_of_baselines_and_rows_import_the_same_runner_modules() -> None:
    # The RSS child (footprint.py run as a script) imports benchmark modules only at its top,
    # so a baseline's probe and a row's probe start from the same modules: a row's peak beyond
    # its baseline is what the row loads and allocates, not the runner's row modules.
    tree = ast.parse((BENCH / "footprint.py").read_text())
    local = [
        f"line {node.lineno}"
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if (isinstance(node, ast.Import) and any(a.name in _modules() for a in node.names))
        or (isinstance(node, ast.ImportFrom) and node.module in _modules())
    ]
    assert local == []
    top = {a.name for node in tree.body if isinstance(node, ast.Import) for a in node.names}
    assert {"floors", "rows"} <= top


# --------------------------------------------------------------------------- the fake server


def _events(writes: list[bytes]) -> list[Any]:
    """The ``data:`` payloads of a stream's writes (head, then one HTTP chunk per event)."""
    head, *chunks = writes
    assert b"transfer-encoding: chunked" in head
    out: list[Any] = []
    for chunk in chunks:
        size, rest = chunk.split(b"\r\n", 1)
        frame = rest[: int(size, 16)].decode()
        for line in frame.splitlines():
            if line.startswith("data: "):
                data = line[6:]
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


def _chat_stream(body: dict[str, Any], paced: bool = False) -> list[Any]:
    import fake_server

    replies = fake_server.Replies(chunks=4, paced_chunks=2, pace_s=0.0)
    path = (b"/paced" if paced else b"") + CHAT_PATH
    reply, _ = replies.reply(b"POST", path, json.dumps(body).encode())
    assert isinstance(reply, list)
    return _events(reply)


@pytest.mark.parametrize("paced", [False, True])
def test_chat_stream_without_include_usage_has_no_usage_field(paced: bool) -> None:
    # OpenAI: "usage" is present only with stream_options.include_usage
    # (https://platform.openai.com/docs/api-reference/chat-streaming).
    for body in ({"stream": True}, {"stream": True, "stream_options": {"include_usage": False}}):
        events = _chat_stream(body, paced)
        chunks = events[:-1]
        assert events[-1] == "[DONE]"
        assert chunks and all(chunk["choices"] for chunk in chunks)
        assert not [chunk for chunk in chunks if "usage" in chunk]


@pytest.mark.parametrize("paced", [False, True])
def test_chat_stream_with_include_usage_carries_null_then_the_usage(paced: bool) -> None:
    events = _chat_stream({"stream": True, "stream_options": {"include_usage": True}}, paced)
    *chunks, last, done = events
    assert done == "[DONE]"
    assert all("usage" in chunk and chunk["usage"] is None for chunk in chunks)
    assert last["choices"] == []
    assert last["usage"]["completion_tokens"] == (2 if paced else 4)


def test_server_answers_json_and_tool_calls_whatever_the_usage_option() -> None:
    import fake_server

    replies = fake_server.Replies(chunks=3, paced_chunks=2, pace_s=0.0)
    tools = {"tools": [{"type": "function", "function": {"name": "get_weather"}}]}
    plain, _ = replies.reply(b"POST", CHAT_PATH, b'{"stream_options":{"include_usage":true}}')
    called, _ = replies.reply(b"POST", CHAT_PATH, json.dumps(tools).encode())
    assert isinstance(plain, bytes) and b'"finish_reason":"stop"' in plain
    assert isinstance(called, bytes) and b'"tool_calls"' in called


# --------------------------------------------------------------------------- the harness


def test_each_round_has_its_own_order_and_every_client_once() -> None:
    from harness import shuffled

    items = list(range(12))
    orders = [shuffled(items, n) for n in range(6)]
    assert all(sorted(order) == items for order in orders)
    assert orders == [shuffled(items, n) for n in range(6)]  # the same orders in every run
    # Not a rotation: who follows whom changes from round to round.
    followers = {tuple(order[order.index(0) + 1 :][:1]) for order in orders if order[-1] != 0}
    assert len(followers) > 1


def test_rows_compared_with_each_other_run_side_by_side_in_a_new_order_every_round() -> None:
    import rows
    from harness import family, family_order

    live = [(client, None) for client in rows.all_clients()]
    orders = [[c.name for c, _ in family_order(live, n)] for n in range(8)]
    names = sorted(c.name for c, _ in live)
    assert all(sorted(order) == names for order in orders)  # every row once per round
    assert orders == [[c.name for c, _ in family_order(live, n)] for n in range(8)]
    by_name = {c.name: c for c, _ in live}
    lc_chat = {
        "thin: LangChain BaseChatModel over raw httpx/aiohttp, chat_completions",
        "ours: ChatCloudflareAIGateway, chat_completions",
        "ours: ChatCloudflareAIGateway, chat_completions + NO_PROXY",
        "peer: langchain-cloudflare ChatCloudflareWorkersAI, chat_completions",
        "peer: langchain-openai ChatOpenAI, chat_completions",
    }
    assert {
        n for n, c in by_name.items() if family(c) == ("langchain", "chat_completions")
    } == lc_chat
    assert family(by_name["floor: raw httpx, run"]) == ("floor: raw httpx, run",)
    for order in orders:
        families = [family(by_name[name]) for name in order]
        runs = [f for i, f in enumerate(families) if i == 0 or families[i - 1] != f]
        assert len(runs) == len(set(families))  # each family's rows one after another
    firsts = {order[0] for order in orders}
    assert len(firsts) > 2  # the families' order changes from round to round
    thin, ours = (
        "thin: LlamaIndex CustomLLM over raw httpx/aiohttp, messages",
        "ours: CloudflareAIGateway (LlamaIndex), messages",
    )
    thin_first = [order.index(thin) < order.index(ours) for order in orders]
    assert any(thin_first) and not all(thin_first)  # neither runs first every round


def _idle_client(name: str) -> Any:
    """A client row that does nothing (for tests of the interleaved loop itself)."""
    import clients as C

    return C.Client(
        name=name,
        api="chat_completions",
        group="floor",
        framework=None,
        import_stmt="",
        build=lambda root: None,
        invoke=lambda obj: "",
        stream=lambda obj: iter(()),
        ainvoke=None,
        tools=None,
    )


def test_every_sample_starts_with_collected_generations() -> None:
    import clients as C
    from harness import run_interleaved

    counts: list[tuple[int, int, int]] = []

    def measure(c: C.Client, obj: Any) -> float:
        counts.append(gc.get_count())
        for _ in range(2000):  # cyclic garbage left for the next client's sample
            cycle: list[Any] = []
            cycle.append(cycle)
        return 1.0

    live = [(_idle_client(f"c{i}"), None) for i in range(3)]
    try:
        results = run_interleaved("test", live, 4, measure)
        assert gc.get_freeze_count() > 0  # the clients' heap is out of the collector's sight
    finally:
        gc.unfreeze()
    assert all(len(series.values) == 4 for series in results.values())
    assert all(series.rounds == [0, 1, 2, 3] for series in results.values())
    timed = counts[3:]  # after the three warm-up calls
    assert len(timed) == 12
    assert all(young < 100 and older == [0, 0] for young, *older in timed), timed


def test_a_client_failing_mid_run_keeps_the_numbers_of_the_rounds_it_ran() -> None:
    import clients as C
    from harness import run_interleaved

    calls = {"ok": 0, "flaky": 0}

    def measure(c: C.Client, obj: Any) -> tuple[float, dict[str, Any]]:
        calls[c.name] += 1
        if c.name == "flaky" and calls["flaky"] == 4:  # warm-up, rounds 0 and 1, then fails
            raise RuntimeError("boom")
        return float(calls[c.name]), {"cpu": 0.5}

    try:
        results = run_interleaved(
            "test", [(_idle_client("ok"), None), (_idle_client("flaky"), None)], 5, measure
        )
    finally:
        gc.unfreeze()
    assert results["ok"].rounds == [0, 1, 2, 3, 4]
    flaky = results["flaky"]
    assert flaky.rounds == [0, 1] and flaky.error == "failed: RuntimeError: boom"
    assert flaky.by_round() == {0: 2.0, 1: 3.0}
    assert flaky.by_round("cpu") == {0: 0.5, 1: 0.5}
    # Every sample keeps the CPU time of the fixed task run just before it (the core's speed).
    for series in results.values():
        assert len(series.extra["probe"]) == len(series.values)
        assert all(0 < speed < 1 for speed in series.extra["probe"])


async def test_async_workers_keep_the_concurrency_and_count_every_call() -> None:
    from scenarios import workers

    in_flight = 0
    peak = 0
    calls = 0

    async def ainvoke(_: Any) -> str:
        nonlocal in_flight, peak, calls
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.002)
        in_flight -= 1
        calls += 1
        return "ok"

    rate = await workers(ainvoke, None, 8, 0.05)
    assert peak == 8
    assert calls >= 16  # every worker went on calling until the time was up
    assert rate > 0


async def test_a_call_slower_than_the_sample_still_counts_once_per_worker() -> None:
    from scenarios import workers

    calls = 0

    async def ainvoke(_: Any) -> str:
        nonlocal calls
        await asyncio.sleep(0.03)
        calls += 1
        return "ok"

    rate = await workers(ainvoke, None, 5, 0.001)
    assert calls == 5
    assert 0 < rate < 5 / 0.03


async def test_a_failing_call_stops_every_worker_of_the_sample() -> None:
    from scenarios import workers

    calls = 0

    async def ainvoke(_: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("boom")
        await asyncio.sleep(0.001)
        return "ok"

    with pytest.raises(RuntimeError, match="boom"):
        await workers(ainvoke, None, 4, 10.0)
    # Nothing of the failed sample is left to run on the loop (it would run during the next).
    assert asyncio.all_tasks() == {asyncio.current_task()}


# --------------------------------------------------------------------------- the report


def _results(invoke: dict[str, float]) -> dict[str, Any]:
    from harness import Series

    def row(name: str, group: str, framework: str | None, api: str) -> dict[str, Any]:
        scenarios = ["invoke", "stream", "async"]
        fields = {"api": api, "group": group, "framework": framework, "import": "", "note": ""}
        return {"name": name, **fields, "scenarios": scenarios}

    lc_thin = "thin: LangChain BaseChatModel over raw httpx/aiohttp, chat_completions"
    li_thin = "thin: LlamaIndex CustomLLM over raw httpx/aiohttp, chat_completions"
    clients = [
        row("floor: raw httpx, chat_completions", "floor", None, "chat_completions"),
        row("floor: raw httpx, run", "floor", None, "run"),
        row(lc_thin, "thin", "langchain", "chat_completions"),
        row(li_thin, "thin", "llamaindex", "chat_completions"),
        row("ours: lc", "ours", "langchain", "chat_completions"),
        row("ours: li", "ours", "llamaindex", "chat_completions"),
        row("peer: lc run", "peer", "langchain", "run"),
        row("peer: li", "peer", "llamaindex", "chat_completions"),
    ]
    return {
        "clients": clients,
        "invoke": {name: Series(values=[value]) for name, value in invoke.items()},
        "rss": {},
        "import": {},
    }


def _invoke_cell(results: dict[str, Any], name: str) -> str:
    from report import targets_table

    line = next(r for r in targets_table(results).splitlines() if r.startswith(f"| {name} |"))
    return line.split(" | ")[1]


def test_invoke_is_compared_with_the_peers_of_its_own_framework() -> None:
    results = _results(
        {
            "floor: raw httpx, chat_completions": 1.0,
            "floor: raw httpx, run": 2.0,
            "thin: LangChain BaseChatModel over raw httpx/aiohttp, chat_completions": 1.5,
            "thin: LlamaIndex CustomLLM over raw httpx/aiohttp, chat_completions": 1.6,
            "ours: lc": 1.6,  # 1.6× floor: below LlamaIndex's peer (1.7) but not LangChain's
            "ours: li": 1.65,  # 1.65× floor: below its own framework's peer (1.7)
            "peer: lc run": 3.0,  # 1.5× the floor of its API
            "peer: li": 1.7,
        }
    )
    # ours: lc is 1.6× its floor, the LangChain peer 1.5× the floor of its own API: 1.07× it.
    assert _invoke_cell(results, "ours: lc") == "1.07 (1.07–1.07) **missed**, 1.07× best peer"
    assert _invoke_cell(results, "ours: li") == "1.03 (1.03–1.03) met, 0.97× best peer"
    from report import targets_table

    table = "\n".join(targets_table(results).splitlines()[:4])
    assert "LangChain 1.50, LlamaIndex 1.70" in table
    assert "below every peer of its framework" in table


# --------------------------------------------------------------------------- paired ratios

THIN_LC = "thin: LangChain BaseChatModel over raw httpx/aiohttp, chat_completions"
FAST, SLOW = 1.0, 1.6  # the two modes of a bimodal machine: every time x1 or x1.6


def _bimodal(true_ratio: float) -> tuple[list[float], list[float]]:
    """Seven rounds of the thinnest adapter (40 units) and of ours (``true_ratio`` × 40), each
    sample in the fast or the slow mode, the mode independent of the client: both modes in the
    same round four times, ours fast and thin slow twice, the reverse once. Thin's median falls
    in the slow mode, ours' in the fast one."""
    modes = [(FAST, FAST), (FAST, FAST), (SLOW, SLOW), (SLOW, SLOW), (FAST, SLOW)]
    modes += [(SLOW, FAST), (FAST, SLOW)]
    ours = [40 * true_ratio * m_ours for m_ours, _ in modes]
    thin = [40 * m_thin for _, m_thin in modes]
    return ours, thin


def test_paired_median_is_robust_where_the_ratio_of_medians_flips() -> None:
    import statistics

    from paired import paired

    ours, thin = _bimodal(1.2)
    of_medians = statistics.median(ours) / statistics.median(thin)
    assert of_medians == pytest.approx(1.2 * FAST / SLOW)  # 0.75: "met" by the old statistic
    ratio = paired(dict(enumerate(ours)), dict(enumerate(thin)))
    assert ratio is not None
    assert ratio.median == pytest.approx(1.2)  # the true ratio: missed against 1.1
    assert ratio.rounds == 7
    # The quartiles (on the logs): halfway between the mixed-mode 0.75 and 1.2, and 1.2.
    assert ratio.low == pytest.approx((0.75 * 1.2) ** 0.5) and ratio.high == pytest.approx(1.2)
    assert ratio.text() == "1.20 (0.95–1.20)"


def _stream_results(ours: list[float], thin: list[float], rounds: list[int]) -> dict[str, Any]:
    from harness import Series

    results = _results({})
    results["stream"] = {
        THIN_LC: Series(values=thin, extra={"ttfc": thin}),
        "ours: lc": Series(values=ours, extra={"ttfc": ours}, rounds=rounds),
    }
    return results


def _target_cells(results: dict[str, Any], name: str) -> list[str]:
    from report import targets_table

    line = next(r for r in targets_table(results).splitlines() if r.startswith(f"| {name} |"))
    return line.split(" | ")[1:]


def test_stream_target_uses_the_paired_ratio() -> None:
    ours, thin = _bimodal(1.2)
    cells = _target_cells(_stream_results(ours, thin, list(range(7))), "ours: lc")
    assert cells[1] == "1.20 (0.95–1.20) **missed**"  # stream/event ≤1.1× thin
    assert cells[3] == "1.20 (0.95–1.20) **missed**"  # first chunk, paired the same way
    ours, thin = _bimodal(1.05)
    cells = _target_cells(_stream_results(ours, thin, list(range(7))), "ours: lc")
    assert cells[1] == "1.05 (0.83–1.05) met"


def test_rounds_are_paired_by_their_number_not_their_position() -> None:
    from paired import paired

    # ours failed in round 2 (no value): positions 2-4 hold rounds 3-5.
    ours = {0: 10.0, 1: 20.0, 3: 10.0, 4: 20.0, 5: 10.0}
    thin = {0: 10.0, 1: 20.0, 2: 40.0, 3: 10.0, 4: 20.0, 5: 10.0}
    ratio = paired(ours, thin)
    assert ratio is not None and ratio.rounds == 5
    assert (ratio.median, ratio.low, ratio.high) == (1.0, 1.0, 1.0)
    by_position = [a / b for a, b in zip(ours.values(), thin.values(), strict=False)]
    assert by_position != [1.0] * 5  # what zipping the value lists would have paired
    # Through the report: a series that records its rounds.
    cells = _target_cells(
        _stream_results(list(ours.values()), list(thin.values()), [0, 1, 3, 4, 5]), "ours: lc"
    )
    assert cells[1] == "1.00 (1.00–1.00) met"


def test_a_failed_client_has_no_ratio_and_leaves_the_others_alone() -> None:
    from harness import Series
    from report import targets_table

    results = _stream_results([42.0, 42.0, 42.0], [40.0, 40.0, 40.0], [])
    peer = dict(results["clients"][-1], name="peer: lc", framework="langchain")
    results["clients"].append(peer)  # a LangChain peer on chat_completions, failed in round 1
    results["stream"]["peer: lc"] = Series(values=[50.0], rounds=[0], error="failed: boom")
    cells = _target_cells(results, "ours: lc")
    assert cells[1] == "1.05 (1.05–1.05) met"
    assert cells[2] == "no peer"  # the only peer of its API failed: nothing to compare with
    results["stream"]["peer: lc"].error = None  # had it not failed: one round to pair
    assert _target_cells(results, "ours: lc")[2] == "0.84 (0.84–0.84) met"
    assert "failed" not in targets_table(results)


def test_throughput_and_time_ratios_share_the_statistic_and_read_their_own_direction() -> None:
    from harness import Series
    from paired import paired

    thin = {0: 1000.0, 1: 2000.0, 2: 1000.0, 3: 2000.0}
    ours = {0: 800.0, 1: 1600.0, 2: 900.0, 3: 1400.0}  # req/s: 0.8, 0.8, 0.9, 0.7
    up, down = paired(ours, thin), paired(thin, ours)
    assert up is not None and down is not None
    # An even count: the geometric mean of the two middle ratios, so inverses stay inverses.
    assert up.median == pytest.approx((0.8 * 0.8) ** 0.5)
    assert down.median == pytest.approx(1 / up.median)
    assert (up.low, up.high) == pytest.approx((0.7, 0.9))  # min–max below 5 rounds
    results = _stream_results([1.0] * 4, [1.0] * 4, [])
    lc_thin_async = Series(values=list(thin.values()))
    results["async50"] = {THIN_LC: lc_thin_async, "ours: lc": Series(values=list(ours.values()))}
    results["async200"] = {THIN_LC: lc_thin_async, "ours: lc": Series(values=[700.0] * 4)}
    results["stream"]["ours: lc"] = Series(values=[0.8 * v for v in (40, 64, 40, 64)])
    results["stream"][THIN_LC] = Series(values=[40.0, 64.0, 40.0, 64.0])
    cells = _target_cells(results, "ours: lc")
    assert cells[1] == "0.80 (0.80–0.80) met"  # a time: lower is better
    assert cells[4] == "0.80 (0.70–0.90) met"  # a throughput: higher is better, ≥ 0.75
    assert cells[5].endswith("**missed**")  # 700 of 1000-2000 req/s: 0.35-0.70


def test_client_cpu_is_reported_as_a_ratio_to_the_thinnest_adapter() -> None:
    from harness import Series
    from report import render

    results = _results({})
    lc_thin = "thin: LangChain BaseChatModel over raw httpx/aiohttp, chat_completions"
    results["invoke"] = {
        lc_thin: Series(values=[1.0, 1.0], extra={"cpu": [0.0004, 0.0004]}),
        "ours: lc": Series(values=[1.0, 1.0], extra={"cpu": [0.0005, 0.0005]}),
    }
    results["stream"] = {
        lc_thin: Series(values=[0.05], extra={"cpu_per_event": [40e-6], "ttfc": [0.001]}),
        "ours: lc": Series(values=[0.06], extra={"cpu_per_event": [46e-6], "ttfc": [0.001]}),
    }
    results.update(
        machine={"date": "", "cpu": "", "cores": 2, "python": "", "platform": "", "packages": {}},
        settings={"stream_chunks": 1000, "paced_chunks": 200, "pace_ms": 1.0},
    )
    text = render(results)
    table = text.split("### Client CPU per call and per event", 1)[1].split("###", 1)[0]
    assert "| ours: lc | 500 | 1.25 | 46.0 | 1.15 |" in table
    assert f"| {lc_thin} | 400 | 1.00 | 40.0 | 1.00 |" in table


# --------------------------------------------------------------------------- rows end to end


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        from harness import Server, Settings

        settings = Settings(stream_chunks=6, paced_chunks=2, pace_ms=0.0)
        fake = Server(settings)
        try:
            yield fake
        finally:
            fake.close()
    finally:
        sys.path.remove(str(BENCH))


def _buildable() -> list[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import rows

        # The peers need the benchmark's own virtualenv (benchmarks/requirements.txt).
        return [c for c in rows.all_clients() if c.group != "peer"]
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize("row", _buildable(), ids=lambda c: c.name)
def test_row_answers_through_the_fake_server(server: Any, row: Any) -> None:
    import clients as C

    obj = row.build(server.root)
    if "invoke" in row.scenarios:
        assert "Cloudflare" in row.invoke(obj)
        pieces = [text for text in row.stream(obj) if text]
        assert "".join(pieces) == "w0 w1 w2 w3 w4 w5 "
    if row.tools is not None:
        try:
            assert "Cloudflare" in row.tools(obj)
        except C.Unsupported:
            assert row.name.startswith("thin: LlamaIndex")  # a CustomLLM has no tool calling
    if row.ainvoke is not None:
        loop = asyncio.new_event_loop()
        try:
            assert "Cloudflare" in loop.run_until_complete(row.ainvoke(obj))
        finally:
            loop.run_until_complete(_close_sessions(obj))
            loop.close()


@pytest.mark.parametrize("target", ["", "floor", "floor: raw httpx, chat_completions"])
def test_rss_child_reports_its_peak_for_baselines_and_rows(server: Any, target: str) -> None:
    import subprocess

    out = subprocess.run(
        [sys.executable, str(BENCH / "footprint.py"), target, server.root],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert int(out.stdout.strip().splitlines()[-1]) > 1000  # KiB: a Python process


async def _close_sessions(obj: Any) -> None:
    """Close the async sessions the benchmark's own rows open on first use (ours closes its own
    with its event loop)."""
    for owner in (obj, getattr(obj, "_wire", None)):
        for attr in ("session", "ahttp"):
            session = getattr(owner, attr, None)
            if session is not None:
                await (session.aclose() if hasattr(session, "aclose") else session.close())
