"""The async client's default I/O (aiohttp) against real loopback servers (the emulator and raw
asyncio sockets): requests, streams, errors, timeouts, event loops; a caller's own httpx client;
the deprecated fast_transport flag."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import socket
import ssl
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from cf_gateway_core import (
    APIConnectionError,
    APITimeoutError,
    AsyncGatewayClient,
    ChatRequest,
    GatewayClient,
    Message,
    RateLimitError,
    TextDelta,
)
from cf_gateway_core.emulator.server import RunningEmulator, run_in_thread
from cf_gateway_core.testing import FakeGateway

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


def default_client(base_url: str, **kwargs: object) -> AsyncGatewayClient:
    return AsyncGatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url=base_url,
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


TLS = Path(__file__).parent.parent / "fixtures" / "tls"  # a CA and a cert it signed for 127.0.0.1


@pytest.fixture
async def tls_server() -> AsyncIterator[str]:
    """Answers every request with one chat completion over TLS (a certificate for 127.0.0.1)."""
    body = json.dumps(completion("over tls")).encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass  # a client that refused the certificate hung up
        finally:
            writer.close()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "server.pem")
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"https://127.0.0.1:{port}"
        server.close()


async def test_ssl_cert_file_set_after_an_earlier_request_is_honoured(
    tls_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like httpx, each new client trusts the SSL_CERT_FILE of its time, sync and async alike."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with default_client(tls_server, max_retries=0) as before:
        with pytest.raises(APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await before.chat(request())
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "ca.pem"))
    async with default_client(tls_server, max_retries=0) as after:
        assert (await after.chat(request())).text == "over tls"
    with GatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, base_url=tls_server, max_retries=0
    ) as sync_client:
        assert (await asyncio.to_thread(sync_client.chat, request())).text == "over tls"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_async_io_chat_sends_headers_and_body(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("Hello!"), headers={"cf-aig-log-id": "log-1"})
    async with default_client(emulator.base_url, gateway_id="gw") as client:
        reply = await client.chat(request())
    assert reply.text == "Hello!"
    assert reply.gateway is not None and reply.gateway.log_id == "log-1"
    sent = fake.last_request
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["cf-aig-gateway-id"] == "gw"
    assert sent.json["model"] == "openai/gpt-5.5"


async def test_async_io_stream_yields_every_event_in_order(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_sse([chunk(f"t{i} ") for i in range(50)] + ["[DONE]"])
    async with default_client(emulator.base_url) as client:
        texts = [e.text async for e in client.stream(request()) if isinstance(e, TextDelta)]
    assert "".join(texts) == "".join(f"t{i} " for i in range(50))


async def test_async_io_error_status_is_retried_then_classified(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_error(429, code=2003, message="Rate limited", headers={"retry-after": "0"})
    fake.queue_json(completion("after retry"))
    async with default_client(emulator.base_url, max_retries=1) as client:
        assert (await client.chat(request())).text == "after retry"
    fake.queue_error(429, code=2003, message="Rate limited", headers={"retry-after": "0"})
    async with default_client(emulator.base_url, max_retries=0) as client:
        with pytest.raises(RateLimitError):
            await client.chat(request())


async def test_async_io_partly_read_stream_can_be_closed_and_client_reused(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_sse([chunk("a"), chunk("b"), chunk("c"), "[DONE]"])
    fake.queue_json(completion("next"))
    async with default_client(emulator.base_url) as client:
        async with client.stream(request()) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    break
        assert (await client.chat(request())).text == "next"


async def test_async_io_connection_refused_is_a_connection_error_not_a_timeout() -> None:
    client = default_client(f"http://127.0.0.1:{free_port()}/client/v4", max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        await client.chat(request())
    assert not isinstance(caught.value, APITimeoutError)
    assert "ConnectError" in str(caught.value)
    await client.aclose()


async def test_async_io_silent_server_is_a_timeout(silent_server: str) -> None:
    client = default_client(silent_server + "/client/v4", max_retries=0, timeout=0.2)
    with pytest.raises(APITimeoutError):
        await client.chat(request())
    await client.aclose()


def test_async_io_one_client_works_across_event_loops(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("one"))
    fake.queue_json(completion("two"))
    client = default_client(emulator.base_url)
    assert asyncio.run(client.chat(request())).text == "one"
    assert asyncio.run(client.chat(request())).text == "two"


def test_clients_dropped_while_their_loop_runs_report_nothing_unclosed(
    fake: FakeGateway, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A client built per request and dropped unclosed (what a model per request does) must
    not make aiohttp log "Unclosed connector" / "Unclosed client session" when collected."""
    for _ in range(3):
        fake.queue_json(completion("once"))

    async def main() -> None:
        for _ in range(3):
            client = default_client(emulator.base_url)
            assert (await client.chat(request())).text == "once"
            del client
            gc.collect()
            await asyncio.sleep(0)

    gc.collect()  # what earlier tests left behind is not this test's business
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.ERROR):
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    unclosed = [str(w.message) for w in caught if "nclosed" in str(w.message)]
    assert unclosed == []
    assert [r.getMessage() for r in caplog.records if "nclosed" in r.getMessage()] == []


async def test_async_io_passes_status_headers_and_body_through(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("created"), status=201, headers={"cf-aig-log-id": "log-201"})
    async with default_client(emulator.base_url) as client:
        reply = await client.chat(request())
    assert reply.text == "created"
    assert reply.gateway is not None and reply.gateway.log_id == "log-201"
    assert json.loads(fake.last_request.content)["model"] == "openai/gpt-5.5"


async def test_async_io_caller_owned_httpx_client_is_used_and_left_open(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("mine"))
    seen: list[str] = []

    async def record(sent: httpx.Request) -> None:
        seen.append(str(sent.url))

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        client = AsyncGatewayClient(
            account_id=ACCOUNT, api_token=TOKEN, base_url=emulator.base_url, http_client=http
        )
        assert (await client.chat(request())).text == "mine"
        await client.aclose()
        assert not http.is_closed
    assert seen == [emulator.base_url + f"/accounts/{ACCOUNT}/ai/v1/chat/completions"]


async def test_fast_transport_is_deprecated_and_changes_nothing(
    fake: FakeGateway, emulator: RunningEmulator
) -> None:
    fake.queue_json(completion("same"))
    with pytest.warns(DeprecationWarning, match="fast_transport is deprecated"):
        client = default_client(emulator.base_url, fast_transport=True)
    async with client:
        assert (await client.chat(request())).text == "same"
