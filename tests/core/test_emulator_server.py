"""The emulator over real HTTP on 127.0.0.1: the core clients, scripting, and the CLI server."""

from __future__ import annotations

import asyncio
import logging
import selectors
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cf_gateway_core import (
    APIConnectionError,
    AsyncGatewayClient,
    ChatRequest,
    EmbeddingRequest,
    GatewayClient,
    Message,
    RateLimitError,
    TextDelta,
)
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway
from tests._helpers import cli_argv

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-SECRET-456"
PROMPT = "What is Cloudflare?"
TIMEOUT = 10.0
ROUTES = [
    ("openai/gpt-5.5", "chat_completions"),
    ("anthropic/claude-sonnet-4.5", "messages"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
    ("anthropic/claude-sonnet-4.5", "run"),
]


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def base_url(fake: FakeGateway) -> Iterator[str]:
    with run_in_thread(fake) as emulator:
        yield emulator.base_url


def make_client(base_url: str, **kw: Any) -> GatewayClient:
    kw.setdefault("max_retries", 0)
    return GatewayClient(
        account_id="acct", api_token=TOKEN, base_url=base_url, timeout=TIMEOUT, **kw
    )


def ask(model: str = "openai/gpt-5.5") -> ChatRequest:
    return ChatRequest(model=model, messages=(Message.user(PROMPT),))


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_sync_client_chat_and_stream_over_http(base_url: str, model: str, endpoint: str) -> None:
    with make_client(base_url) as client:
        reply = client.chat(ask(model), endpoint=endpoint)
        stream = client.stream(ask(model), endpoint=endpoint)
        deltas = [e.text for e in stream if isinstance(e, TextDelta)]
    assert PROMPT in reply.text
    assert len(deltas) > 5
    assert "".join(deltas) == reply.text
    assert stream.result().usage == reply.usage
    assert reply.gateway is not None and reply.gateway.log_id


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_async_client_chat_and_stream_over_http(base_url: str, model: str, endpoint: str) -> None:
    async def run() -> tuple[str, str]:
        async with AsyncGatewayClient(
            account_id="acct", api_token=TOKEN, base_url=base_url, timeout=TIMEOUT, max_retries=0
        ) as client:
            reply = await client.chat(ask(model), endpoint=endpoint)
            stream = client.stream(ask(model), endpoint=endpoint)
            text = "".join([e.text async for e in stream if isinstance(e, TextDelta)])
            return reply.text, text

    reply_text, streamed_text = asyncio.run(run())
    assert PROMPT in reply_text
    assert streamed_text == reply_text


def test_keep_alive_connection_serves_many_requests(base_url: str, fake: FakeGateway) -> None:
    with make_client(base_url) as client:
        for _ in range(5):
            client.chat(ask())
            list(client.stream(ask()))
    assert len(fake.requests) == 10


def test_embeddings_over_http(base_url: str) -> None:
    with make_client(base_url) as client:
        vectors = client.embed(EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=["a"]))
    assert len(vectors.vectors[0]) == 768


def test_sse_is_chunked_and_json_has_content_length(base_url: str) -> None:
    url = f"{base_url}/accounts/acct/ai/v1/chat/completions"
    body = {"model": "openai/gpt-5.5", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {TOKEN}"}
    with httpx.Client(timeout=TIMEOUT) as http:
        plain = http.post(url, json=body, headers=headers)
        with http.stream("POST", url, json={**body, "stream": True}, headers=headers) as streamed:
            chunks = list(streamed.iter_raw())
    assert plain.headers["content-length"] == str(len(plain.content))
    assert streamed.headers["transfer-encoding"] == "chunked"
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert b"".join(chunks).rstrip().endswith(b"data: [DONE]")


def test_scripted_429_raises_rate_limit_error_after_retries(
    base_url: str, fake: FakeGateway
) -> None:
    headers = {"x-emulator-reply": "error status=429 code=2003 retry-after=0"}
    with make_client(base_url, max_retries=1) as client, pytest.raises(RateLimitError) as info:
        client.chat(ask(), extra_headers=headers)
    assert info.value.code == 2003
    assert len(fake.requests) == 2


def test_queued_reply_and_recorded_request_over_http(base_url: str, fake: FakeGateway) -> None:
    fake.queue_json(
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "queued!"}}]},
        endpoint="chat_completions",
    )
    with make_client(base_url) as client:
        assert client.chat(ask()).text == "queued!"
    assert fake.last_request.endpoint == "chat_completions"
    assert fake.last_request.headers["authorization"] == f"Bearer {TOKEN}"


def test_queued_exception_drops_the_connection(base_url: str, fake: FakeGateway) -> None:
    fake.queue_exception(httpx.ConnectError("scripted"))
    with make_client(base_url) as client, pytest.raises(APIConnectionError):
        client.chat(ask())


def test_request_log_has_path_and_status_but_no_token(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cf_gateway.emulator"), make_client(base_url) as c:
        c.chat(ask())
    lines = [r.getMessage() for r in caplog.records if r.name == "cf_gateway.emulator"]
    assert any("/ai/v1/chat/completions" in line and " 200 " in line for line in lines)
    assert not any(TOKEN in line for line in lines)


def test_chunk_delay_paces_the_stream(fake: FakeGateway) -> None:
    with run_in_thread(fake, chunk_delay=0.02) as emulator, make_client(emulator.base_url) as c:
        start = time.perf_counter()
        deltas = [e for e in c.stream(ask()) if isinstance(e, TextDelta)]
        elapsed = time.perf_counter() - start
    assert elapsed >= 0.02 * len(deltas)


def test_stop_is_idempotent_and_closes_the_port(fake: FakeGateway) -> None:
    base_url, stop = run_in_thread(fake)
    with make_client(base_url) as client:
        client.chat(ask())
        stop()
        stop()
        with pytest.raises(APIConnectionError):
            client.chat(ask())


# ----------------------------------------------------------------- `cf-gateway emulator` process


def _banner(proc: subprocess.Popen[str], timeout: float) -> list[str]:
    """The lines the emulator prints on start (one flushed write, so read once it is ready)."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError("the emulator printed nothing in time")
    lines = [proc.stdout.readline()]
    while not lines[-1].startswith("Press Ctrl-C") and lines[-1]:
        lines.append(proc.stdout.readline())
    return lines


@pytest.mark.parametrize(
    ("sig", "sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGINT", "SIGTERM", "SIGINT-when-started-with-SIGINT-ignored"],
)
def test_cli_emulator_process_serves_and_stops_cleanly(
    sig: signal.Signals, sigint_ignored: bool
) -> None:
    # A shell's background job or a CI runner may start it with SIGINT ignored; Ctrl-C works alike.
    proc = subprocess.Popen(
        cli_argv("emulator", "--port", "0", sigint_ignored=sigint_ignored),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = _banner(proc, 30.0)
        base_url = banner[0].split()[-1]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/client/v4")
        assert not base_url.startswith("http://127.0.0.1:0/")
        with make_client(base_url) as client:
            assert PROMPT in client.chat(ask()).text
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0
    assert f"  export CLOUDFLARE_API_BASE_URL={base_url}\n" in banner
    assert out == ""
    assert "/ai/v1/chat/completions" in err
    assert "emulator stopped" in err
    assert TOKEN not in out + err
