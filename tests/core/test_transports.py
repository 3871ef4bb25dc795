"""AiohttpTransport and fast_transport=True against real loopback servers (the emulator and raw
asyncio sockets): requests, streams, errors, timeouts, event loops and connection reuse."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

pytest.importorskip("aiohttp")

from cf_gateway_core import (
    APIConnectionError,
    AsyncGatewayClient,
    ChatRequest,
    Message,
    RateLimitError,
    TextDelta,
)
from cf_gateway_core.emulator.server import RunningEmulator, run_in_thread
from cf_gateway_core.testing import FakeGateway
from cf_gateway_core.transports import AiohttpTransport, fast_async_client

TOKEN = "tok-transport-test"
ACCOUNT = "acct"


def completion(text: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-5.5",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def chunk(text: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "model": "gpt-5.5",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


def request() -> ChatRequest:
    return ChatRequest(model="openai/gpt-5.5", messages=(Message.user("Hi"),))


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway(auto_reply=False)


@pytest.fixture
def emulator(fake: FakeGateway) -> Iterator[RunningEmulator]:
    with run_in_thread(fake) as running:
        yield running


def fast_client(emulator: RunningEmulator, **kwargs: object) -> AsyncGatewayClient:
    return AsyncGatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url=emulator.base_url,
        fast_transport=True,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Accepts connections and reads, but never answers."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
        server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_transport_chat_sends_headers_and_body(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("Hello!"), headers={"cf-aig-log-id": "log-1"})
    async with fast_client(emulator, gateway_id="gw") as client:
        reply = await client.chat(request())
    assert reply.text == "Hello!"
    assert reply.gateway is not None and reply.gateway.log_id == "log-1"
    sent = fake.last_request
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["cf-aig-gateway-id"] == "gw"
    assert sent.json["model"] == "openai/gpt-5.5"


async def test_transport_stream_yields_every_event_in_order(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_sse([chunk(f"t{i} ") for i in range(50)] + ["[DONE]"])
    async with fast_client(emulator) as client:
        texts = [e.text async for e in client.stream(request()) if isinstance(e, TextDelta)]
    assert "".join(texts) == "".join(f"t{i} " for i in range(50))


async def test_transport_error_status_is_retried_then_classified(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_error(429, code=2003, message="Rate limited", headers={"retry-after": "0"})
    fake.queue_json(completion("after retry"))
    async with fast_client(emulator, max_retries=1) as client:
        assert (await client.chat(request())).text == "after retry"
    fake.queue_error(429, code=2003, message="Rate limited", headers={"retry-after": "0"})
    async with fast_client(emulator, max_retries=0) as client:
        with pytest.raises(RateLimitError):
            await client.chat(request())


async def test_transport_reuses_connections(fake: FakeGateway, emulator: RunningEmulator) -> None:
    for i in range(5):
        fake.queue_json(completion(f"r{i}"))
    transport = AiohttpTransport()
    async with httpx.AsyncClient(transport=transport) as http:
        client = AsyncGatewayClient(
            account_id=ACCOUNT, api_token=TOKEN, base_url=emulator.base_url, http_client=http
        )
        texts = [(await client.chat(request())).text for _ in range(5)]
        sessions = list(transport._sessions.values())
        assert len(sessions) == 1
        connector = sessions[0].connector
        assert connector is not None
        assert sum(len(v) for v in connector._conns.values()) == 1  # one idle, kept alive
    assert texts == [f"r{i}" for i in range(5)]


async def test_transport_partly_read_stream_can_be_closed_and_client_reused(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_sse([chunk("a"), chunk("b"), chunk("c"), "[DONE]"])
    fake.queue_json(completion("next"))
    async with fast_client(emulator) as client:
        async with client.stream(request()) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    break
        assert (await client.chat(request())).text == "next"


async def test_transport_connection_refused_is_a_connect_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    async with fast_async_client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(url)
    client = AsyncGatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url=f"http://127.0.0.1:{free_port()}/client/v4",
        max_retries=0,
        fast_transport=True,
    )
    with pytest.raises(APIConnectionError):
        await client.chat(request())
    await client.aclose()


async def test_transport_read_timeout_is_an_httpx_read_timeout(silent_server: str) -> None:
    async with fast_async_client(timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(silent_server + "/x", content=b"{}")


def test_transport_one_client_works_across_event_loops(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("one"))
    fake.queue_json(completion("two"))
    http = fast_async_client()
    client = AsyncGatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, base_url=emulator.base_url, http_client=http
    )
    assert asyncio.run(client.chat(request())).text == "one"
    assert asyncio.run(client.chat(request())).text == "two"


async def test_transport_passes_status_headers_and_body_through(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json({"ok": True}, status=201, headers={"x-extra": "1"})
    async with fast_async_client() as http:
        response = await http.post(
            emulator.base_url + f"/accounts/{ACCOUNT}/ai/v1/chat/completions",
            json={"model": "m"},
            headers={"authorization": f"Bearer {TOKEN}"},
        )
    assert response.status_code == 201
    assert response.headers["x-extra"] == "1"
    assert response.json() == {"ok": True}
    assert response.http_version == "HTTP/1.1"
    assert json.loads(fake.last_request.content) == {"model": "m"}


async def test_fast_transport_is_ignored_with_a_caller_owned_client(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("mine"))
    async with httpx.AsyncClient() as http:
        client = AsyncGatewayClient(
            account_id=ACCOUNT,
            api_token=TOKEN,
            base_url=emulator.base_url,
            http_client=http,
            fast_transport=True,
        )
        assert client.http is http
        assert (await client.chat(request())).text == "mine"


async def test_fast_transport_builds_aiohttp_backed_clients(emulator: RunningEmulator) -> None:
    async with fast_client(emulator) as client:
        assert isinstance(client.http._transport, AiohttpTransport)
