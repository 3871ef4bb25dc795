"""Streams that send: the stream call sends the request and returns an open stream (a sync and
an async context manager, like ``httpx.Client.stream``), and leaving the block, breaking out or
dropping the stream closes the response at once — with the cyclic garbage collector switched
off, so nothing waits for it. See docs/reliability.md."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from cf_gateway_core import (
    APIConnectionError,
    AsyncGatewayClient,
    ChatRequest,
    GatewayClient,
    Message,
    TextDelta,
)

TOKEN = "cfut_lifetime-0123456789abcdefghijklmnop"


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """An endless SSE body that records when the client closes it."""

    def __init__(self) -> None:
        self.closed = False

    def _frames(self) -> Iterator[bytes]:
        while not self.closed:
            yield f"data: {json.dumps({'choices': [{'delta': {'content': 'x'}}]})}\n\n".encode()

    def __iter__(self) -> Iterator[bytes]:
        yield from self._frames()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for frame in self._frames():
            yield frame

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class Server:
    """A scripted transport: counts requests, hands out closable bodies."""

    def __init__(self) -> None:
        self.bodies: list[Body] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = Body()
        self.bodies.append(body)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        return self.handle(request)


def _request() -> ChatRequest:
    return ChatRequest(model="openai/gpt-5.5", messages=(Message.user("Hi"),))


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _sync(server: Server) -> GatewayClient:
    http = httpx.Client(transport=httpx.MockTransport(server.handle))
    return GatewayClient(account_id="acct", api_token=TOKEN, http_client=http)


def _async(server: Server) -> AsyncGatewayClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server.ahandle))
    return AsyncGatewayClient(account_id="acct", api_token=TOKEN, http_client=http)


def test_the_stream_call_sends_before_any_iteration() -> None:
    server = Server()
    events = _sync(server).stream(_request())
    assert len(server.bodies) == 1  # sent: headers are in, nothing read yet
    assert events.gateway is not None
    events.close()
    assert server.bodies[0].closed


def test_a_failure_before_the_first_byte_raises_from_the_stream_call() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    http = httpx.Client(transport=httpx.MockTransport(refuse))
    client = GatewayClient(account_id="acct", api_token=TOKEN, http_client=http, max_retries=0)
    with pytest.raises(APIConnectionError):
        client.stream(_request())


@pytest.mark.usefixtures("no_gc")
@pytest.mark.parametrize("how", ["with", "break", "drop", "drop-unread", "batches"])
def test_sync_stream_closes_at_once_without_the_cyclic_gc(how: str) -> None:
    server = Server()
    client = _sync(server)
    if how == "with":
        with client.stream(_request()) as events:
            next(iter(events))
    elif how == "break":
        for event in client.stream(_request()):
            assert isinstance(event, TextDelta)
            break
    elif how == "drop":
        events = client.stream(_request())
        next(events)
        del events
    elif how == "batches":
        for _ in client.stream(_request()).batches():
            break
    else:
        client.stream(_request())
    assert server.bodies[0].closed


@pytest.mark.usefixtures("no_gc")
@pytest.mark.parametrize("how", ["async-with", "await-break", "drop", "drop-unread", "batches"])
async def test_async_stream_closes_at_once_without_the_cyclic_gc(how: str) -> None:
    server = Server()
    client = _async(server)
    if how == "async-with":
        async with client.stream(_request()) as events:
            await events.__anext__()
    elif how == "await-break":
        async for event in await client.stream(_request()):
            assert isinstance(event, TextDelta)
            break
    elif how == "drop":
        events = await client.stream(_request())
        await events.__anext__()
        del events
    elif how == "batches":
        stream = await client.stream(_request())
        async for _ in stream.batches():
            break
        del stream
    else:
        await client.stream(_request())
    await asyncio.sleep(0)  # a dropped stream closes on its loop's next turn
    await asyncio.sleep(0)
    assert server.bodies[0].closed


def test_mixing_events_and_batches_reads_every_event_once() -> None:
    server = Server()
    with _sync(server).stream(_request()) as events:
        first = next(events)
        batch = next(events.batches())
        assert isinstance(first, TextDelta) and batch
        assert events.accumulator.text == "x" * len(events.accumulator.text)


def test_the_streams_module_imports_no_client() -> None:
    import cf_gateway_core._streams as streams

    with open(streams.__file__, encoding="utf-8") as file:
        assert "cf_gateway_core.client" not in file.read()
