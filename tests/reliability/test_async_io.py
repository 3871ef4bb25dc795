"""The async clients' default I/O, tried from outside at a loopback fault server: a call
cancelled before it is sent is never sent, one client serves many threads and consecutive event
loops without errors or leaked connections and without "Unclosed ..." reports, the connection
limit holds, and environment proxies are honoured the way httpx honours them."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from llama_index.core.llms import ChatMessage

from cf_gateway_core import AsyncEventStream, AsyncGatewayClient, StreamError
from tests.reliability.conftest import (
    ACCOUNT,
    TOKEN,
    async_client,
    chat_request,
    lc_chat,
    li_chat,
)
from tests.reliability.fault_server import FaultServer, completion, json_reply, sse_reply
from tests.reliability.test_concurrency import text_chunk

POOL_LIMIT = 100  # the documented connection limit of a client (README, "Connections")


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variable set (in either spelling), whatever the machine running the tests has."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


async def _hold_every_connection(
    client: AsyncGatewayClient, server: FaultServer
) -> list[AsyncEventStream]:
    """Open POOL_LIMIT streams that stall after their first event: every connection is busy."""
    server.script_times(POOL_LIMIT, sse_reply([text_chunk("x")], ending="stall", stall_limit=20))
    streams = [client.stream(chat_request()) for _ in range(POOL_LIMIT)]
    await asyncio.gather(*(stream.__anext__() for stream in streams))
    assert len(server.requests) == POOL_LIMIT
    return streams


async def test_a_call_cancelled_while_waiting_for_a_connection_is_never_sent(
    server: FaultServer,
) -> None:
    async with async_client(server.base_url, max_retries=0, timeout=10.0) as client:
        streams = await _hold_every_connection(client, server)
        waiting = asyncio.create_task(client.chat(chat_request("openai/gpt-5.5", "late")))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # it waits for a free connection
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        for stream in streams:
            await stream.aclose()
        assert (await client.chat(chat_request("openai/gpt-5.5", "after"))).text == "ok"
    contents = [r.json["messages"][-1]["content"] for r in server.requests[POOL_LIMIT:]]
    assert contents == ["after"]  # "late" never reached the server


async def test_a_call_cancelled_as_a_connection_frees_up_is_never_sent(
    server: FaultServer,
) -> None:
    # Python 3.11's asyncio.wait_for returned the inner result when cancelled in the very step
    # the awaited permit arrived, so a pool built on it sent cancelled calls anyway.
    async with async_client(server.base_url, max_retries=0, timeout=10.0) as client:
        streams = await _hold_every_connection(client, server)
        waiting = [
            asyncio.create_task(client.chat(chat_request("openai/gpt-5.5", f"late{i}")))
            for i in range(5)
        ]
        await asyncio.sleep(0.2)
        for stream, task in zip(streams[: len(waiting)], waiting, strict=True):
            await stream.aclose()  # frees a connection for one waiter ...
            task.cancel()  # ... which is cancelled in the same step
        results = await asyncio.gather(*waiting, return_exceptions=True)
        for stream in streams:
            await stream.aclose()
    assert all(isinstance(r, asyncio.CancelledError) for r in results), results
    assert len(server.requests) == POOL_LIMIT


async def test_concurrent_calls_never_open_more_than_the_limit(server: FaultServer) -> None:
    server.default = json_reply(completion("pong"), delay=0.02)
    async with async_client(server.base_url, max_retries=0, timeout=20.0) as client:
        replies = await asyncio.gather(*(client.chat(chat_request()) for _ in range(250)))
    assert [r.text for r in replies] == ["pong"] * 250
    assert 1 < server.peak_open <= POOL_LIMIT
    assert server.connections_opened <= POOL_LIMIT  # kept alive and reused, none reopened


@pytest.fixture
def unclosed(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """A function returning the "Unclosed ..." reports so far, after a garbage collection: the
    warnings issued and the log records (any logger, DEBUG and up) since the test began."""
    gc.collect()  # what earlier tests left behind is not this test's business
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def reported() -> list[str]:
            gc.collect()
            messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
            return [message for message in messages if "nclosed" in message]

        yield reported


def test_consecutive_event_loops_each_close_their_connections(
    server: FaultServer, unclosed: Callable[[], list[str]]
) -> None:
    client = async_client(server.base_url, max_retries=0)
    for _ in range(5):
        assert asyncio.run(client.chat(chat_request())).text == "ok"
        # closed when asyncio.run() shut its loop down: no aclose(), no garbage collection
        assert server.wait_until(lambda: server.open_connections == 0), server.open_connections
    assert unclosed() == []


def test_one_client_from_many_threads_each_running_event_loops(
    server: FaultServer, unclosed: Callable[[], list[str]]
) -> None:
    client = async_client(server.base_url, max_retries=0)
    errors: list[BaseException] = []
    texts: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(40):
            try:
                text = asyncio.run(client.chat(chat_request())).text
            except BaseException as exc:  # every failure is a finding
                with lock:
                    errors.append(exc)
            else:
                with lock:
                    texts.append(text)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60.0)
    assert errors == []
    assert texts == ["ok"] * 320
    assert server.wait_until(lambda: server.open_connections == 0), server.open_connections
    assert unclosed() == []


def test_a_loop_closed_without_shutdown_reports_nothing_and_the_client_moves_on(
    server: FaultServer, unclosed: Callable[[], list[str]]
) -> None:
    client = async_client(server.base_url, max_retries=0)
    loop = asyncio.new_event_loop()
    assert loop.run_until_complete(client.chat(chat_request())).text == "ok"
    loop.close()  # no shutdown_asyncgens(): the client cannot close that loop's connections
    assert asyncio.run(client.chat(chat_request())).text == "ok"
    # That loop's sockets stay open until collected: asyncio's transports then close them with
    # their own ResourceWarning ("unclosed transport ...", "unclosed <socket ...>"; Python's
    # default filters ignore it), since nothing runs on a closed loop. aiohttp reports nothing.
    assert [report for report in unclosed() if not report.startswith("unclosed ")] == []


def _hold(busy: threading.Event, done: threading.Event) -> None:
    busy.set()
    done.wait(30.0)


def test_a_client_dropped_in_another_thread_while_its_loop_runs_closes_its_connections(
    server: FaultServer, unclosed: Callable[[], list[str]]
) -> None:
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever)
    runner.start()
    try:
        # A model built per request in a web app's request thread, its loop in another thread.
        client = async_client(server.base_url, max_retries=0)
        call = asyncio.run_coroutine_threadsafe(client.chat(chat_request()), loop)
        assert call.result(30.0).text == "ok"
        assert server.open_connections == 1  # kept alive for the next call
        busy, done = threading.Event(), threading.Event()
        loop.call_soon_threadsafe(_hold, busy, done)
        assert busy.wait(30.0)  # the loop is inside that callback: nothing else runs there
        del client, call
        gc.collect()  # collected in this thread, while the loop runs in the other one
        done.set()
        assert server.wait_until(lambda: server.open_connections == 0)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(30.0)
        loop.close()
    assert unclosed() == []


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_breaking_out_of_a_stream_through_an_httpx_client_reports_nothing(
    server: FaultServer, framework: str
) -> None:
    # The path a caller's http_async_client (and an environment proxy) takes. Breaking out of
    # astream / astream_chat leaves the generators to asyncio, which closes each of them in a
    # task of its own; none of those tasks may end in an error for the loop to report
    # ("Task exception was never retrieved").
    server.default = sse_reply([text_chunk(piece) for piece in "abcdef"], delay=0.01)
    reported: list[dict[str, Any]] = []

    async def go() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, c: reported.append(c))
        http = httpx.AsyncClient()
        if framework == "langchain":
            chat = lc_chat(server.base_url, http_async_client=http, max_retries=0)
            for _ in range(3):
                async for _chunk in chat.astream("Hi"):
                    break
        else:
            llm = li_chat(server.base_url, http_async_client=http, max_retries=0)
            for _ in range(3):
                async for _reply in await llm.astream_chat(
                    [ChatMessage(role="user", content="Hi")]
                ):
                    break
        await asyncio.sleep(0.2)  # the loop runs the abandoned generators' closing tasks
        await http.aclose()
        gc.collect()  # a failed task reports when it is collected

    asyncio.run(go())
    assert server.wait_until(lambda: server.open_connections == 0), server.open_connections
    assert [str(c.get("exception") or c.get("message")) for c in reported] == []


async def test_a_stream_stalled_through_an_httpx_client_says_why_it_broke(
    server: FaultServer,
) -> None:
    # httpx's ReadTimeout on the async path carries no text; the error must still name it.
    server.default = sse_reply([text_chunk("Hel")], ending="stall", stall_limit=5)
    async with httpx.AsyncClient() as http:
        chat = lc_chat(server.base_url, http_async_client=http, max_retries=0, timeout=0.3)
        with pytest.raises(StreamError) as info:
            async for _chunk in chat.astream("Hi"):
                pass
    assert info.value.partial_text == "Hel"
    assert str(info.value) == "The stream broke after it started: ReadTimeout"


# --- environment proxies, as httpx honours them ---------------------------------------------


def _kwargs(base_url: str) -> dict[str, Any]:
    return {"account_id": ACCOUNT, "api_token": TOKEN, "base_url": base_url, "max_retries": 0}


def _chat(base_url: str) -> str:
    async def go() -> str:
        async with AsyncGatewayClient(**_kwargs(base_url)) as client:
            return (await client.chat(chat_request())).text

    return asyncio.run(go())


def _same_request(first: Any, second: Any) -> None:
    assert (first.method, first.path, first.body) == (second.method, second.path, second.body)
    assert list(first.headers) == list(second.headers)
    assert first.headers == second.headers


def test_no_proxy_alone_changes_nothing(server: FaultServer, no_proxy_env: Any) -> None:
    assert _chat(server.base_url) == "ok"
    no_proxy_env.setenv("NO_PROXY", "localhost,127.0.0.1,.internal")
    assert _chat(server.base_url) == "ok"
    without, with_no_proxy = server.requests
    _same_request(without, with_no_proxy)  # the same direct path, the same request


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "all_proxy"])
def test_a_proxy_variable_routes_requests_through_the_proxy(
    variable: str, server: FaultServer, no_proxy_env: Any
) -> None:
    # The fault server plays the proxy: it receives the absolute URL of the remote gateway.
    no_proxy_env.setenv(variable, server.base_url.split("/client")[0])
    server.default = json_reply(completion("via proxy"))
    kwargs = _kwargs("http://gateway.invalid/client/v4")

    async def go() -> str:
        async with AsyncGatewayClient(allow_insecure_http=True, **kwargs) as client:
            return (await client.chat(chat_request())).text

    assert asyncio.run(go()) == "via proxy"
    (request,) = server.requests
    assert request.path.startswith("http://gateway.invalid/client/v4/accounts/")


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*"])
def test_no_proxy_exempts_its_hosts_from_a_proxy(
    no_proxy: str, server: FaultServer, no_proxy_env: Any
) -> None:
    assert _chat(server.base_url) == "ok"
    no_proxy_env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    no_proxy_env.setenv("NO_PROXY", no_proxy)
    assert _chat(server.base_url) == "ok"
    direct, exempted = server.requests
    _same_request(direct, exempted)


def test_an_https_proxy_does_not_apply_to_plain_http(
    server: FaultServer, no_proxy_env: Any
) -> None:
    assert _chat(server.base_url) == "ok"
    no_proxy_env.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # only for https:// URLs
    assert _chat(server.base_url) == "ok"
    direct, unproxied = server.requests
    _same_request(direct, unproxied)
