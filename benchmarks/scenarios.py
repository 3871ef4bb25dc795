"""The in-process scenarios: sequential invoke, streams (back to back and paced), the tool round
trip and async throughput. Each runs every client once per round, in a new order every round
(``harness.run_interleaved``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import clients as C
from harness import Series, Settings, run_interleaved


def scenario_invoke(live: list[tuple[C.Client, Any]], s: Settings) -> dict[str, Series]:
    """``invoke_calls`` calls one after another: wall time per call, and this process's CPU time
    per call (``cpu``: what the client costs without the server and the wait)."""

    def measure(client: C.Client, obj: Any) -> tuple[float, dict[str, Any]]:
        invoke = client.invoke
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(s.invoke_calls):
            invoke(obj)
        wall = (time.perf_counter() - t0) / s.invoke_calls
        return wall, {"cpu": (time.process_time() - c0) / s.invoke_calls}

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
    """``concurrency`` workers, each calling ``ainvoke`` one call after another until
    ``async_seconds`` have passed (a call started before then is awaited and counted; every
    worker makes at least one), all on one event loop: completed calls per second. Every client
    gets the same time, so a slow one (a peer at 100 req/s) does not stretch the run, and a fast
    one makes hundreds of calls per sample."""

    def measure(client: C.Client, obj: Any) -> float:
        assert client.ainvoke is not None
        return loop.run_until_complete(workers(client.ainvoke, obj, concurrency, s.async_seconds))

    # The warm-up (one untimed sample each) opens the connections a sample needs.
    return run_interleaved(f"async c={concurrency}", live, s.async_rounds, measure)


async def workers(
    ainvoke: Callable[[Any], Awaitable[Any]], obj: Any, concurrency: int, seconds: float
) -> float:
    """Calls per second of ``concurrency`` workers calling ``ainvoke(obj)`` for ``seconds``."""
    done = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds

    async def worker() -> None:
        nonlocal done
        while True:
            await ainvoke(obj)
            done += 1
            if time.perf_counter() >= deadline:
                return

    tasks = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # One call failed: stop the other workers too, so that none of them is left on the
        # shared event loop to run during the next client's sample.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return done / (time.perf_counter() - t0)
