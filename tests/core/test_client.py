"""GatewayClient / AsyncGatewayClient over FakeGateway: wire requests, retries, streams, errors."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from cf_gateway_core import (
    APIConnectionError,
    APITimeoutError,
    AsyncGatewayClient,
    AuthenticationError,
    ChatRequest,
    EmbeddingRequest,
    GatewayClient,
    GatewayConfigError,
    GatewayOptions,
    InternalServerError,
    Message,
    RateLimitError,
    SpendLimitError,
    StreamError,
    TextDelta,
)
from cf_gateway_core.testing import FakeGateway, Reply

TOKEN = "tok-SECRET-123"
ACCOUNT = "acct123"
BASE = f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}"


def completion(text: str = "Hello!", **extra: object) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-5.5",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        **extra,
    }


def chunk(content: str | None = None, finish: str | None = None) -> dict[str, object]:
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-5.5",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def request(model: str = "openai/gpt-5.5", **kwargs: object) -> ChatRequest:
    return ChatRequest(model=model, messages=(Message.user("Hi"),), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway(auto_reply=False)


@pytest.fixture
def client(fake: FakeGateway) -> Iterator[GatewayClient]:
    with GatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, gateway_id="gw", http_client=fake.client()
    ) as c:
        yield c


def test_chat_sends_exact_url_headers_and_body(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_json(completion(), endpoint="chat_completions")
    response = client.chat(request(temperature=0.5))
    sent = fake.last_request
    assert sent.url == f"{BASE}/ai/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["cf-aig-gateway-id"] == "gw"
    assert sent.json == {
        "model": "openai/gpt-5.5",
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.5,
    }
    assert response.text == "Hello!"
    assert response.usage is not None and response.usage.total_tokens == 5


@pytest.mark.parametrize(
    ("model", "endpoint", "path"),
    [
        ("anthropic/claude-sonnet-4.5", "auto", "ai/v1/messages"),
        ("@cf/meta/llama-3.1-8b-instruct", "auto", "ai/v1/chat/completions"),
        ("openai/gpt-5.5", "responses", "ai/v1/responses"),
        ("@cf/meta/llama-3.1-8b-instruct", "run", "ai/run/@cf/meta/llama-3.1-8b-instruct"),
        ("openai/gpt-5.5", "run", "ai/run"),
    ],
)
def test_chat_routes_to_endpoint_path(
    fake: FakeGateway, client: GatewayClient, model: str, endpoint: str, path: str
) -> None:
    fake.queue(Reply.error(500, message="stop here"))
    with pytest.raises(InternalServerError):
        GatewayClient(
            account_id=ACCOUNT, api_token=TOKEN, max_retries=0, http_client=fake.client()
        ).chat(request(model), endpoint=endpoint)
    assert fake.last_request.url == f"{BASE}/{path}"


def test_cf_model_on_messages_fails_before_io(fake: FakeGateway, client: GatewayClient) -> None:
    with pytest.raises(GatewayConfigError, match="messages"):
        client.chat(request("@cf/meta/llama-3.1-8b-instruct"), endpoint="messages")
    assert fake.requests == []


def test_options_headers_default_and_per_call(fake: FakeGateway) -> None:
    fake.queue_json(completion()).queue_json(completion())
    client = GatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        http_client=fake.client(),
        options={"cache_ttl": 120, "metadata": {"user": "u1"}},
    )
    client.chat(request())
    assert fake.last_request.headers["cf-aig-cache-ttl"] == "120"
    assert fake.last_request.headers["cf-aig-metadata"] == '{"user":"u1"}'
    client.chat(
        request(),
        options=GatewayOptions(skip_cache=True, cache_ttl=60),
        extra_headers={"X-Session-Affinity": "s1"},
    )
    headers = fake.last_request.headers
    assert headers["cf-aig-cache-ttl"] == "60"
    assert headers["cf-aig-skip-cache"] == "true"
    assert headers["cf-aig-metadata"] == '{"user":"u1"}'
    assert headers["x-session-affinity"] == "s1"


def test_gateway_metadata_from_headers_and_body(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_json(
        completion(gatewayMetadata={"keySource": "Unified"}),
        headers={
            "cf-aig-log-id": "log-1",
            "cf-aig-cache-status": "HIT",
            "cf-aig-event-id": "ev-1",
            "cf-aig-step": "0",
        },
    )
    gateway = client.chat(request()).gateway
    assert gateway is not None
    assert gateway.as_dict() == {
        "log_id": "log-1",
        "cache_status": "HIT",
        "event_id": "ev-1",
        "step": "0",
        "key_source": "Unified",
    }


def test_gateway_metadata_header_names_any_case_values_as_httpx_reads_them() -> None:
    # Header names are case-insensitive; a value is decoded as httpx decodes it (UTF-8 here);
    # the first of a repeated header wins; other headers are not metadata.
    headers = [
        (b"Content-Type", b"application/json"),
        (b"CF-AIG-Log-Id", "log-\u00e9".encode()),
        (b"cf-aig-cache-status", b"MISS"),
        (b"CF-AIG-CACHE-STATUS", b"HIT"),
        (b"x-cf-aig-step", b"9"),
    ]
    body = json.dumps(completion()).encode()
    transport = httpx.MockTransport(lambda _: httpx.Response(200, headers=headers, content=body))
    with GatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, http_client=httpx.Client(transport=transport)
    ) as client:
        gateway = client.chat(request()).gateway
    assert gateway is not None
    assert gateway.as_dict() == {"log_id": "log-\u00e9", "cache_status": "MISS"}


def test_sync_requests_carry_the_client_defaults_ours_and_per_call_headers() -> None:
    """A caller-owned httpx.Client keeps its own default headers; ours and per-call ones are
    added, per-call ones win, and every request has the gateway client's timeout (not the
    httpx client's), whether or not the call adds headers."""
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=completion())

    http = httpx.Client(
        transport=httpx.MockTransport(handler), headers={"x-app": "mine"}, timeout=1.0
    )
    client = GatewayClient(account_id=ACCOUNT, api_token=TOKEN, timeout=7.5, http_client=http)
    client.chat(request())
    client.chat(request(), extra_headers={"x-trace": "t1", "x-app": "per-call"})
    client.chat(request(), options={"cache_ttl": 60})
    plain, extra, options = seen
    for sent in seen:
        assert sent.headers["authorization"] == f"Bearer {TOKEN}"
        assert sent.headers["content-type"] == "application/json"
        assert sent.headers["user-agent"].startswith("cf-gateway/")
        assert sent.extensions["timeout"] == httpx.Timeout(7.5).as_dict()
        assert sent.headers["content-length"] == str(len(sent.content))
    assert plain.headers["x-app"] == "mine"
    assert "x-trace" not in plain.headers and "x-trace" not in options.headers
    assert extra.headers.get_list("x-app") == ["per-call"]
    assert extra.headers["x-trace"] == "t1"
    assert options.headers["cf-aig-cache-ttl"] == "60"
    assert "cf-aig-cache-ttl" not in plain.headers


def test_a_request_hook_changing_one_requests_extensions_leaves_the_next_request_alone() -> None:
    """httpx gives every request its own ``extensions`` dict: a request hook of a caller-owned
    client may add to it (e.g. httpcore's ``trace`` for one call) without the next request
    carrying it."""
    seen: list[dict[str, object]] = []

    def mark_first(req: httpx.Request) -> None:
        seen.append(dict(req.extensions))
        if len(seen) == 1:
            req.extensions["x-marker"] = "first only"
            req.extensions["timeout"] = httpx.Timeout(0.5).as_dict()

    http = httpx.Client(
        transport=httpx.MockTransport(lambda req: httpx.Response(200, json=completion())),
        event_hooks={"request": [mark_first]},
    )
    client = GatewayClient(account_id=ACCOUNT, api_token=TOKEN, timeout=7.5, http_client=http)
    client.chat(request())
    client.chat(request())
    assert seen == [{"timeout": httpx.Timeout(7.5).as_dict()}] * 2


def test_retries_429_then_succeeds_honouring_retry_after(fake: FakeGateway) -> None:
    fake.queue_error(429, code=2003, message="Rate limited", headers={"retry-after": "0"})
    fake.queue_error(503, message="busy", headers={"retry-after-ms": "1"})
    fake.queue_json(completion("finally"))
    client = GatewayClient(account_id=ACCOUNT, api_token=TOKEN, http_client=fake.client())
    assert client.chat(request()).text == "finally"
    assert len(fake.requests) == 3


def test_max_retries_is_exact(fake: FakeGateway) -> None:
    for _ in range(5):
        fake.queue_error(429, code=3040, headers={"retry-after": "0"})
    client = GatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, max_retries=3, http_client=fake.client()
    )
    with pytest.raises(RateLimitError) as info:
        client.chat(request())
    assert len(fake.requests) == 4
    assert info.value.code == 3040


def test_spend_limit_and_auth_are_not_retried(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_error(429, code=2045, message="Spend limit exceeded")
    with pytest.raises(SpendLimitError):
        client.chat(request())
    fake.queue_error(401, code=10000, message="Authentication error")
    with pytest.raises(AuthenticationError):
        client.chat(request())
    assert len(fake.requests) == 2


def test_retry_after_beyond_cap_is_not_slept(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_error(429, code=2003, headers={"retry-after": "3600"})
    started = time.monotonic()
    with pytest.raises(RateLimitError):
        client.chat(request())
    assert time.monotonic() - started < 1.0
    assert len(fake.requests) == 1


def test_connection_errors_retry_then_raise(fake: FakeGateway) -> None:
    fake.queue_exception(httpx.ConnectError("refused"))
    fake.queue_exception(httpx.ConnectError("refused"))
    client = GatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, max_retries=1, http_client=fake.client()
    )
    with pytest.raises(APIConnectionError) as info:
        client.chat(request())
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(fake.requests) == 2


def test_timeouts_raise_api_timeout_error(fake: FakeGateway) -> None:
    fake.queue_exception(httpx.ReadTimeout("slow"))
    client = GatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, max_retries=0, http_client=fake.client()
    )
    with pytest.raises(APITimeoutError):
        client.chat(request())


def test_stream_yields_events_and_result(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_sse([chunk("Hel"), chunk("lo"), chunk(finish="stop"), "[DONE]"])
    with client.stream(request()) as stream:
        texts = [e.text for e in stream if isinstance(e, TextDelta)]
    assert texts == ["Hel", "lo"]
    assert stream.result().text == "Hello"
    assert stream.result().finish_reason == "stop"
    assert fake.last_request.json["stream"] is True


def test_stream_answered_with_json_is_a_one_shot_stream(
    fake: FakeGateway, client: GatewayClient
) -> None:
    fake.queue_json(completion("whole")).queue_json(completion("whole"))
    stream = client.stream(request())
    texts = [e.text for e in stream if isinstance(e, TextDelta)]
    assert texts == ["whole"]
    direct = client.chat(request())
    streamed = stream.result()
    assert (streamed.parts, streamed.usage, streamed.finish_reason) == (
        direct.parts,
        direct.usage,
        direct.finish_reason,
    )


class _BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames

    def __iter__(self) -> Iterator[bytes]:
        yield from self.frames
        raise httpx.ReadError("connection reset")

    async def __aiter__(self):  # type: ignore[override]
        for frame in self.frames:
            yield frame
        raise httpx.ReadError("connection reset")


def _broken_handler(request: httpx.Request) -> httpx.Response:
    frames = [f"data: {json.dumps(chunk('partial '))}\n\n".encode()]
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_BrokenStream(frames)
    )


def test_stream_cut_midway_raises_with_partial_text() -> None:
    client = GatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        http_client=httpx.Client(transport=httpx.MockTransport(_broken_handler)),
    )
    seen: list[str] = []
    with pytest.raises(StreamError) as info:
        for event in client.stream(request()):
            if isinstance(event, TextDelta):
                seen.append(event.text)
    assert seen == ["partial "]
    assert info.value.partial_text == "partial "


async def test_async_stream_cut_midway_raises_with_partial_text() -> None:
    client = AsyncGatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(_broken_handler)),
    )
    with pytest.raises(StreamError) as info:
        async for _ in client.stream(request()):
            pass
    assert info.value.partial_text == "partial "


async def test_async_chat_stream_and_retry(fake: FakeGateway) -> None:
    fake.queue_error(500, headers={"retry-after": "0"})
    fake.queue_json(completion("async hi"))
    fake.queue_sse([chunk("a"), chunk("b", finish="stop"), "[DONE]"])
    async with AsyncGatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, http_client=fake.async_client()
    ) as client:
        assert (await client.chat(request())).text == "async hi"
        stream = client.stream(request())
        async with stream:
            texts = [e.text async for e in stream if isinstance(e, TextDelta)]
        assert texts == ["a", "b"]
        assert stream.result().text == "ab"
    assert len(fake.requests) == 3


def test_async_client_works_across_event_loops() -> None:
    fake = FakeGateway(auto_reply=False)
    fake.queue_json(completion("one")).queue_json(completion("two"))
    client = AsyncGatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, http_client=fake.async_client()
    )
    assert asyncio.run(client.chat(request())).text == "one"
    assert asyncio.run(client.chat(request())).text == "two"


def test_embed_batches_by_100_and_keeps_order(fake: FakeGateway, client: GatewayClient) -> None:
    texts = [f"t{i}" for i in range(250)]
    for start, size in ((0, 100), (100, 100), (200, 50)):
        fake.queue_json(
            {
                "object": "list",
                "model": "@cf/baai/bge-base-en-v1.5",
                "data": [
                    {"object": "embedding", "index": i, "embedding": [float(start + i)]}
                    for i in range(size)
                ],
                "usage": {"prompt_tokens": size, "total_tokens": size},
            },
            endpoint="embeddings",
        )
    result = client.embed(EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=texts))
    assert [v[0] for v in result.vectors] == [float(i) for i in range(250)]
    assert [len(r.json["input"]) for r in fake.requests] == [100, 100, 50]
    assert all(r.url == f"{BASE}/ai/v1/embeddings" for r in fake.requests)
    assert result.usage is not None and result.usage.input_tokens == 250


def test_token_never_in_repr_errors_or_debug_logs(
    fake: FakeGateway, client: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cf_gateway")
    fake.queue_error(400, code=5006, message="bad input")
    with pytest.raises(Exception) as info:
        client.chat(request())
    texts = [repr(client), str(client), repr(client.config), str(info.value), repr(info.value)]
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records, "the client logs requests at DEBUG"
    assert all(TOKEN not in text for text in texts)


def test_close_closes_owned_client_only(fake: FakeGateway) -> None:
    owned = GatewayClient(account_id=ACCOUNT, api_token=TOKEN)
    owned.close()
    assert owned._http.is_closed
    mine = fake.client()
    with GatewayClient(account_id=ACCOUNT, api_token=TOKEN, http_client=mine):
        pass
    assert not mine.is_closed


def test_missing_credentials_name_keyword_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    with pytest.raises(GatewayConfigError) as info:
        GatewayClient()
    message = str(info.value)
    for name in ("account_id", "CLOUDFLARE_ACCOUNT_ID", "api_token", "CLOUDFLARE_API_TOKEN"):
        assert name in message


def test_daily_allocation_429_is_not_retried(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_error(429, code=4006, message="you have used up your daily free allocation")
    with pytest.raises(RateLimitError) as info:
        client.chat(request())
    assert info.value.code == 4006
    assert len(fake.requests) == 1


def test_run_envelope_key_source_reaches_gateway_metadata(
    fake: FakeGateway, client: GatewayClient
) -> None:
    fake.queue_json(
        {
            "success": True,
            "result": {"result": completion("via run"), "gatewayMetadata": {"keySource": "BYOK"}},
            "errors": [],
            "messages": [],
        },
        headers={"cf-aig-log-id": "l1"},
    )
    response = client.chat(request(), endpoint="run")
    assert response.text == "via run"
    assert response.gateway is not None
    assert response.gateway.as_dict() == {"log_id": "l1", "key_source": "BYOK"}
