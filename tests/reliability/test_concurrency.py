"""Concurrency and lifetime: many calls through one client, threads, consecutive event loops,
cancellation mid-stream and closing — every connection accounted for at the server."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from cf_gateway_core import GatewayError, TextDelta
from tests.reliability.conftest import (
    async_client,
    chat_request,
    lc_chat,
    li_chat,
    sync_client,
)
from tests.reliability.fault_server import (
    FaultServer,
    completion,
    json_reply,
    sse_chunk,
    sse_reply,
)

POOL_LIMIT = 100  # client.py _DEFAULT_LIMITS.max_connections


def text_chunk(text: str) -> str:
    return sse_chunk(
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]}
    )


SLOW_STREAM = [text_chunk(f"t{i} ") for i in range(50)]


async def test_concurrency_150_async_calls_share_a_bounded_pool(server: FaultServer) -> None:
    server.default = json_reply(completion("pong"), delay=0.01)
    start = time.perf_counter()
    # The timeout also bounds the wait for a free pooled connection (httpx's pool timeout).
    async with async_client(server.base_url, max_retries=0, timeout=20.0) as client:
        replies = await asyncio.gather(*(client.chat(chat_request()) for _ in range(150)))
    assert time.perf_counter() - start < 15.0
    assert [r.text for r in replies] == ["pong"] * 150
    assert len(server.requests) == 150
    assert 1 < server.peak_open <= POOL_LIMIT
    assert server.connections_opened <= 2 * POOL_LIMIT  # reused, not one per call
    assert server.wait_until(lambda: server.open_connections == 0)  # aclose closed them all


def test_concurrency_one_sync_client_from_many_threads(server: FaultServer) -> None:
    server.default = json_reply(completion("pong"), delay=0.005)
    with sync_client(server.base_url, max_retries=0) as client:

        def work(_: int) -> list[str]:
            return [client.chat(chat_request()).text for _ in range(10)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
    assert results == [["pong"] * 10] * 8
    assert len(server.requests) == 80
    assert server.peak_open <= 8
    assert server.wait_until(lambda: server.open_connections == 0)


def test_concurrency_one_async_client_across_consecutive_event_loops(
    server: FaultServer,
) -> None:
    client = async_client(server.base_url, max_retries=0)
    texts = [asyncio.run(client.chat(chat_request())).text for _ in range(3)]
    assert texts == ["ok"] * 3
    # A finished loop's pool is dropped when the next loop starts using the client: at most
    # the last loop's idle connection is still open (it was 3, one per loop, before the fix).
    gc.collect()
    assert server.wait_until(lambda: server.open_connections <= 1), server.open_connections
    asyncio.run(client.aclose())
    gc.collect()
    assert server.wait_until(lambda: server.open_connections == 0), server.open_connections


def test_concurrency_one_async_client_in_several_threads_each_with_a_loop(
    server: FaultServer,
) -> None:
    client = async_client(server.base_url, max_retries=0)
    results: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        async def go() -> list[str]:
            replies = await asyncio.gather(*(client.chat(chat_request()) for _ in range(5)))
            return [r.text for r in replies]

        texts = asyncio.run(go())
        with lock:
            results.extend(texts)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10.0)
    assert results == ["ok"] * 20
    assert len(server.requests) == 20


# --- cancellation and early exit close the HTTP response ---------------------------------------


async def test_concurrency_cancelled_astream_closes_the_connection(server: FaultServer) -> None:
    server.script(sse_reply(SLOW_STREAM, delay=0.05))
    seen: list[str] = []
    async with async_client(server.base_url) as client:
        first = asyncio.Event()

        async def consume() -> None:
            async for event in client.stream(chat_request()):
                if isinstance(event, TextDelta):
                    seen.append(event.text)
                    first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 2.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Observed at the server: the client hung up mid-stream, with the client still open.
        assert await asyncio.to_thread(server.wait_until, lambda: server.client_disconnects == 1)
        assert server.open_connections == 0
        assert 1 <= len(seen) < len(SLOW_STREAM)


async def test_concurrency_break_out_of_astream_closes_the_connection(
    server: FaultServer,
) -> None:
    server.script(sse_reply(SLOW_STREAM, delay=0.05))
    async with async_client(server.base_url) as client:
        async with client.stream(chat_request()) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    break
        assert await asyncio.to_thread(server.wait_until, lambda: server.client_disconnects == 1)
        # The client is still usable afterwards.
        assert (await client.chat(chat_request())).text == "ok"


def test_concurrency_break_out_of_stream_closes_the_connection(server: FaultServer) -> None:
    server.script(sse_reply(SLOW_STREAM, delay=0.05), sse_reply(SLOW_STREAM, delay=0.05))
    with sync_client(server.base_url) as client:
        with client.stream(chat_request()) as events:
            for _ in events:
                break
        assert server.wait_until(lambda: server.client_disconnects == 1)
        # Dropping an unfinished stream without closing it also closes the response.
        events = client.stream(chat_request())
        next(iter(events))
        del events
        gc.collect()
        assert server.wait_until(lambda: server.client_disconnects == 2)
        assert client.chat(chat_request()).text == "ok"


async def test_concurrency_many_cancelled_streams_leave_no_connection(
    server: FaultServer,
) -> None:
    server.default = sse_reply(SLOW_STREAM, delay=0.05)
    async with async_client(server.base_url) as client:
        started: set[int] = set()
        all_started = asyncio.Event()

        async def consume(n: int) -> None:
            async for _ in client.stream(chat_request()):
                started.add(n)
                if len(started) == 20:
                    all_started.set()

        tasks = [asyncio.create_task(consume(n)) for n in range(20)]
        await asyncio.wait_for(all_started.wait(), 5.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 0)
        assert server.client_disconnects == 20


# --- closing --------------------------------------------------------------------------------


def test_concurrency_close_and_context_exit_close_connections(server: FaultServer) -> None:
    client = sync_client(server.base_url)
    assert client.chat(chat_request()).text == "ok"
    assert server.open_connections == 1  # kept alive in the pool
    client.close()
    assert server.wait_until(lambda: server.open_connections == 0)
    client.close()  # idempotent
    with pytest.raises((RuntimeError, GatewayError)):
        client.chat(chat_request())  # a closed client does not silently reopen

    with sync_client(server.base_url) as other:
        other.chat(chat_request())
    assert server.wait_until(lambda: server.open_connections == 0)


async def test_concurrency_aclose_and_async_context_exit_close_connections(
    server: FaultServer,
) -> None:
    client = async_client(server.base_url)
    assert (await client.chat(chat_request())).text == "ok"
    assert server.open_connections == 1
    await client.aclose()
    assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 0)
    await client.aclose()  # idempotent

    async with async_client(server.base_url) as other:
        await other.chat(chat_request())
    assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 0)


# --- through the framework adapters: one model instance -----------------------------------------

HI = [ChatMessage(role="user", content="hi")]


@pytest.mark.slow
async def test_concurrency_langchain_500_ainvoke_on_one_model(server: FaultServer) -> None:
    server.default = json_reply(completion("pong"), delay=0.01)
    llm = lc_chat(server.base_url, timeout=30.0, max_retries=0)
    start = time.perf_counter()
    replies = await asyncio.gather(*(llm.ainvoke("hi") for _ in range(500)))
    assert time.perf_counter() - start < 40.0
    assert [r.content for r in replies] == ["pong"] * 500
    assert len(server.requests) == 500
    assert 1 < server.peak_open <= POOL_LIMIT


@pytest.mark.slow
async def test_concurrency_llamaindex_500_achat_on_one_model(server: FaultServer) -> None:
    server.default = json_reply(completion("pong"), delay=0.01)
    llm = li_chat(server.base_url, timeout=30.0, max_retries=0)
    start = time.perf_counter()
    replies = await asyncio.gather(*(llm.achat(HI) for _ in range(500)))
    assert time.perf_counter() - start < 40.0
    assert [r.message.content for r in replies] == ["pong"] * 500
    assert len(server.requests) == 500
    assert 1 < server.peak_open <= POOL_LIMIT


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_concurrency_adapter_from_threads_and_consecutive_loops(
    framework: str, server: FaultServer
) -> None:
    if framework == "langchain":
        lc = lc_chat(server.base_url, max_retries=0)
        call: Any = lambda: str(lc.invoke("hi").content)  # noqa: E731
        acall: Any = lambda: asyncio.run(lc.ainvoke("hi")).content  # noqa: E731
    else:
        li = li_chat(server.base_url, max_retries=0)
        call = lambda: li.chat(HI).message.content  # noqa: E731
        acall = lambda: asyncio.run(li.achat(HI)).message.content  # noqa: E731
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: call(), range(30)))
    assert results == ["ok"] * 30
    assert [acall() for _ in range(3)] == ["ok"] * 3
    assert len(server.requests) == 33
    gc.collect()
    # the sync pool (<= 6 kept alive) plus at most the last finished loop's connection
    assert server.wait_until(lambda: server.open_connections <= 7), server.open_connections


async def test_concurrency_langchain_astream_cancelled_or_abandoned_closes_the_response(
    server: FaultServer,
) -> None:
    server.script(sse_reply(SLOW_STREAM, delay=0.05), sse_reply(SLOW_STREAM, delay=0.05))
    llm = lc_chat(server.base_url)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in llm.astream("hi"):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(server.wait_until, lambda: server.client_disconnects == 1)

    async for _ in llm.astream("hi"):
        break  # the abandoned generator is finalised by the event loop
    assert await asyncio.to_thread(server.wait_until, lambda: server.client_disconnects == 2)
    assert (await llm.ainvoke("hi")).content == "ok"


async def test_concurrency_llamaindex_astream_chat_cancelled_or_abandoned_closes_the_response(
    server: FaultServer,
) -> None:
    server.script(sse_reply(SLOW_STREAM, delay=0.05), sse_reply(SLOW_STREAM, delay=0.05))
    llm = li_chat(server.base_url)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in await llm.astream_chat(HI):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(server.wait_until, lambda: server.client_disconnects == 1)

    async for _ in await llm.astream_chat(HI):
        break
    assert await asyncio.to_thread(server.wait_until, lambda: server.client_disconnects == 2)
    assert (await llm.achat(HI)).message.content == "ok"


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_concurrency_adapter_sync_stream_abandoned_closes_the_response(
    framework: str, server: FaultServer
) -> None:
    server.script(sse_reply(SLOW_STREAM, delay=0.05))
    if framework == "langchain":
        for _ in lc_chat(server.base_url).stream("hi"):
            break
    else:
        for _ in li_chat(server.base_url).stream_chat(HI):
            break
    gc.collect()
    assert server.wait_until(lambda: server.client_disconnects == 1)
