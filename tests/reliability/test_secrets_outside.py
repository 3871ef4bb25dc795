"""The token promises, tried from outside (README "Secrets", docs/security.md):

- a host other than the Cloudflare API or loopback receives a token only when the base URL and
  the token come from the same place (both in code, or both from the environment) — including a
  LangChain model loaded with ``load()`` whose ``base_url`` was edited;
- no frame local on the request path shows the token: ``TracebackException(capture_locals=True)``
  of a plain 401 (what Sentry and Rollbar capture) does not contain it;
- a token a server echoes back (a header, the reason phrase, an error frame, a garbage frame, a
  non-JSON 200 body, a compressed body, a frame split across reads) is masked in every error,
  result and log record of the package.

Every case runs through the core clients and both adapters, sync and async.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings, strategies as st
from langchain_core.load import dumpd, load
from llama_index.core.llms import ChatMessage

from cf_gateway_core import (
    APIConnectionError,
    AsyncGatewayClient,
    AuthenticationError,
    ChatResponse,
    GatewayClient,
    GatewayConfigError,
    GatewayError,
)
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway
from tests.reliability.conftest import (
    ACCOUNT,
    TOKEN,
    async_client,
    chat_request,
    lc_chat,
    li_chat,
    sync_client,
    text_chunk,
)
from tests.reliability.fault_server import (
    Action,
    Exchange,
    FaultServer,
    completion,
    json_reply,
    raw_reply,
    sse_reply,
)
from tests.reliability.observers import traceback_with_locals

ENV_TOKEN = "CLOUDFLARE_API_TOKEN"
ENV_URL = "CLOUDFLARE_API_BASE_URL"
THIRD_HOST = "https://llm-proxy.example.com/client/v4"
ALLOWED: list[Any] = [ChatCloudflareAIGateway]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean Cloudflare environment holding only the account id."""
    for name in (ENV_TOKEN, ENV_URL, "CLOUDFLARE_GATEWAY_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    return monkeypatch


# Every class that takes connection settings, built from keyword arguments.
MAKERS: dict[str, Callable[..., object]] = {
    "GatewayClient": GatewayClient,
    "AsyncGatewayClient": AsyncGatewayClient,
    "langchain": lambda **kw: ChatCloudflareAIGateway(model="openai/gpt-5.5", **kw),
    "llamaindex": lambda **kw: CloudflareAIGateway(model="openai/gpt-5.5", **kw),
}


# --- (a) where the token may go ------------------------------------------------------------------


@pytest.mark.parametrize("maker", MAKERS)
def test_env_token_is_not_sent_to_a_third_host_named_in_code(
    env: pytest.MonkeyPatch, maker: str
) -> None:
    env.setenv(ENV_TOKEN, TOKEN)
    with pytest.raises(GatewayConfigError) as info:
        MAKERS[maker](base_url=THIRD_HOST)
    message = str(info.value)
    assert "api_token=" in message and ENV_URL in message, message
    assert TOKEN not in message


@pytest.mark.parametrize("maker", MAKERS)
def test_code_token_is_not_sent_to_a_third_host_named_by_the_environment(
    env: pytest.MonkeyPatch, maker: str
) -> None:
    env.setenv(ENV_URL, THIRD_HOST)
    with pytest.raises(GatewayConfigError) as info:
        MAKERS[maker](api_token=TOKEN)
    message = str(info.value)
    assert "base_url=" in message and ENV_TOKEN in message, message
    assert TOKEN not in message


@pytest.mark.parametrize("maker", MAKERS)
@pytest.mark.parametrize(
    ("token_in_env", "url_in_env", "url"),
    [
        (False, False, THIRD_HOST),  # both in code
        (True, True, THIRD_HOST),  # both from the environment
        (True, False, "https://api.cloudflare.com/client/v4"),  # the Cloudflare API
        (True, False, "http://127.0.0.1:8787/client/v4"),  # loopback (the emulator)
        (True, False, "http://[::1]:8787/client/v4"),
        (False, True, "http://localhost:8787/client/v4"),
    ],
)
def test_token_and_url_from_the_same_place_or_a_trusted_host_are_accepted(
    env: pytest.MonkeyPatch, maker: str, token_in_env: bool, url_in_env: bool, url: str
) -> None:
    kwargs: dict[str, Any] = {}
    if token_in_env:
        env.setenv(ENV_TOKEN, TOKEN)
    else:
        kwargs["api_token"] = TOKEN
    if url_in_env:
        env.setenv(ENV_URL, url)
    else:
        kwargs["base_url"] = url
    assert MAKERS[maker](**kwargs) is not None


@pytest.mark.parametrize("maker", MAKERS)
def test_env_url_repeated_in_code_counts_as_the_environments(
    env: pytest.MonkeyPatch, maker: str
) -> None:
    # A model serialized and loaded again in the same environment carries the env's URL as a
    # field value: the environment vouches for that host.
    env.setenv(ENV_TOKEN, TOKEN)
    env.setenv(ENV_URL, THIRD_HOST + "/")
    assert MAKERS[maker](base_url=THIRD_HOST) is not None


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_langchain_load_of_an_edited_base_url_does_not_send_the_env_token(
    env: pytest.MonkeyPatch, server: FaultServer
) -> None:
    env.setenv(ENV_TOKEN, TOKEN)
    original = ChatCloudflareAIGateway(model="openai/gpt-5.5", max_retries=0)
    serialized = dumpd(original)
    assert ENV_TOKEN in json.dumps(serialized["kwargs"]["api_token"])  # a reference, not a value
    edited = json.loads(json.dumps(serialized))
    edited["kwargs"]["base_url"] = THIRD_HOST
    with pytest.raises(GatewayConfigError) as info:
        load(
            edited, valid_namespaces=["langchain_cf_gateway"], allowed_objects=ALLOWED
        )  # secrets_from_env=False (default)
    assert "api_token=" in str(info.value)
    assert TOKEN not in str(info.value)
    # Unedited, the same document loads and uses the environment's token against Cloudflare.
    restored = load(serialized, valid_namespaces=["langchain_cf_gateway"], allowed_objects=ALLOWED)
    assert restored.base_url == "https://api.cloudflare.com/client/v4"
    # Given its token explicitly (secrets_map), the edited document is the caller's own choice.
    assert (
        load(
            edited,
            secrets_map={ENV_TOKEN: TOKEN},
            valid_namespaces=["langchain_cf_gateway"],
            allowed_objects=ALLOWED,
        ).base_url
        == THIRD_HOST
    )
    assert server.requests == []


def test_llamaindex_from_json_of_an_edited_base_url_does_not_send_the_env_token(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv(ENV_TOKEN, TOKEN)
    data = json.loads(CloudflareAIGateway(model="openai/gpt-5.5").to_json())
    assert "api_token" not in data and "api_key" not in data
    data["base_url"] = THIRD_HOST
    with pytest.raises(GatewayConfigError) as info:
        CloudflareAIGateway.from_dict(data)
    assert "api_token=" in str(info.value)


# --- (b) no printable token in frame locals ------------------------------------------------------


def exception_texts(exc: BaseException) -> Iterator[str]:
    """str, repr, attributes and the capture_locals traceback of an exception."""
    yield str(exc)
    yield repr(exc)
    yield repr(exc.args)
    yield repr(getattr(exc, "__dict__", {}))
    yield traceback_with_locals(exc)


UNAUTHORIZED = {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}


def _run_each_surface(base_url: str, **kwargs: Any) -> Iterator[Callable[[], object]]:
    """One call per surface (core, LangChain, LlamaIndex; sync and async; chat and stream)."""
    messages = [ChatMessage(role="user", content="hi")]

    async def core_async_chat() -> object:
        async with async_client(base_url, **kwargs) as client:
            return await client.chat(chat_request())

    async def core_async_stream() -> object:
        async with async_client(base_url, **kwargs) as client:
            return [event async for event in client.stream(chat_request())]

    async def li_astream() -> object:
        gen = await li_chat(base_url, **kwargs).astream_chat(messages)
        return [r async for r in gen]

    async def core_async_caller_httpx() -> object:
        # The async client on a caller-owned httpx.AsyncClient (not the default aiohttp path).
        async with httpx.AsyncClient() as http:
            client = async_client(base_url, http_client=http, **kwargs)
            return [
                await client.chat(chat_request()),
                [e async for e in client.stream(chat_request())],
            ]

    yield lambda: sync_client(base_url, **kwargs).chat(chat_request())
    yield lambda: list(sync_client(base_url, **kwargs).stream(chat_request()))
    yield lambda: asyncio.run(core_async_chat())
    yield lambda: asyncio.run(core_async_stream())
    yield lambda: lc_chat(base_url, **kwargs).invoke("hi")
    yield lambda: list(lc_chat(base_url, **kwargs).stream("hi"))
    yield lambda: asyncio.run(lc_chat(base_url, **kwargs).ainvoke("hi"))
    yield lambda: li_chat(base_url, **kwargs).chat(messages)
    yield lambda: list(li_chat(base_url, **kwargs).stream_chat(messages))
    yield lambda: asyncio.run(li_chat(base_url, **kwargs).achat(messages))
    yield lambda: asyncio.run(li_astream())
    yield lambda: asyncio.run(core_async_caller_httpx())


SURFACES = 12

ECHO_TIMEOUT = 60.0
"""Seconds a surface waits for a fault server that answers at once: it bounds a hang only. The
suite's 2 s read timeout could run out on a loaded machine before the reply was read."""


def test_capture_locals_of_a_plain_401_never_shows_the_token(server: FaultServer) -> None:
    server.script_times(SURFACES, json_reply(UNAUTHORIZED, status=401))
    raised = 0
    for call in _run_each_surface(server.base_url, max_retries=0, timeout=ECHO_TIMEOUT):
        with pytest.raises(AuthenticationError) as info:  # the 401 was read, not timed out
            call()
        raised += 1
        dump = traceback_with_locals(info.value)
        assert "Bearer" not in dump or "Bearer **********" in dump
        assert TOKEN not in dump, dump[dump.find(TOKEN) - 400 : dump.find(TOKEN) + 100]
    assert raised == SURFACES
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)


def test_capture_locals_of_a_refused_connection_never_shows_the_token() -> None:
    from tests.reliability.fault_server import refused_url

    for call in _run_each_surface(refused_url(), max_retries=0):
        with pytest.raises(GatewayError) as info:
            call()
        assert TOKEN not in traceback_with_locals(info.value)


# --- (c) a token echoed by the server -----------------------------------------------------------


def echo_head(status: int, reason: str, headers: dict[str, str], body: bytes) -> Action:
    """A reply with a chosen reason phrase and headers (the fault server's helpers fix them)."""

    async def action(ex: Exchange) -> bool:
        lines = [f"HTTP/1.1 {status} {reason}", f"content-length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        await ex.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return True

    return action


def chunked(head: dict[str, str], pieces: list[bytes]) -> Action:
    """A chunked 200 reply, one HTTP chunk per piece (a piece may end mid-token)."""

    async def action(ex: Exchange) -> bool:
        lines = ["HTTP/1.1 200 OK", "transfer-encoding: chunked"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        await ex.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        for piece in pieces:
            await ex.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            await asyncio.sleep(0.01)  # separate reads on the client
        await ex.send(b"0\r\n\r\n")
        return True

    return action


ECHO_HEADERS = {
    "content-type": "application/json",
    "cf-aig-log-id": f"log-{TOKEN}",
    "cf-aig-event-id": TOKEN,
    "x-echo-authorization": f"Bearer {TOKEN}",
}
SSE = {"content-type": "text/event-stream"}


def _error_frame() -> Action:
    frame = json.dumps({"error": {"message": f"invalid key Bearer {TOKEN}", "code": 401}})
    return sse_reply([text_chunk("Hel"), f"data: {frame}\n\n"])


def _garbage_frame() -> Action:
    return sse_reply([text_chunk("Hel"), f"data: {{not json {TOKEN}\n\n"])


def _non_json_200() -> Action:
    return raw_reply(200, f"<html>upstream says Bearer {TOKEN}</html>".encode())


def _echo_401() -> Action:
    body = json.dumps({"errors": [{"code": 10000, "message": f"Bad token {TOKEN}"}]}).encode()
    return echo_head(401, f"Bad {TOKEN}", ECHO_HEADERS, body)


def _gzip_error() -> Action:
    # mtime=0: by default gzip stamps the current time into the header (RFC 1952 MTIME), and the
    # bytes sent would change from one second to the next.
    body = gzip.compress(
        json.dumps({"error": {"message": f"key {TOKEN} invalid"}}).encode(), mtime=0
    )
    return echo_head(400, "Bad Request", {"content-encoding": "gzip", **SSE}, body)


ECHO_FAILURES: dict[str, Callable[[], Action]] = {
    "error frame": _error_frame,
    "garbage frame": _garbage_frame,
    "non-JSON 200": _non_json_200,
    "401 echoing headers, reason and body": _echo_401,
    "gzip error body": _gzip_error,
}


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("cf_gateway", "httpx", "httpcore", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def own_log_texts(caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    """The records of the package's own loggers (``cf_gateway``…): message, arguments and
    exception text. (httpx's request line and httpcore's trace print the status line and
    headers as the server sent them: docs/security.md.)"""
    for record in caplog.records:
        if record.name.startswith("cf_gateway"):
            yield record.getMessage()
            yield repr(record.args)
            if record.exc_info and record.exc_info[1] is not None:
                yield traceback_with_locals(record.exc_info[1])


@pytest.mark.parametrize("failure", ECHO_FAILURES)
def test_echoed_token_is_masked_in_every_error(
    server: FaultServer, failure: str, all_logs: pytest.LogCaptureFixture
) -> None:
    server.script_times(SURFACES, ECHO_FAILURES[failure]())
    errors: list[BaseException] = []
    # With the suite's 2 s timeout a loaded machine could time a surface out before it read the
    # echo (APITimeoutError): the token in the reply was then never checked.
    for call in _run_each_surface(server.base_url, max_retries=0, timeout=ECHO_TIMEOUT):
        with pytest.raises(GatewayError) as info:
            call()
        errors.append(info.value)
    assert len(errors) == SURFACES
    assert server.pending == 0  # every surface met the echoing server
    # ... and read its reply: the error is the reply's, not a timeout or a broken connection.
    assert not [exc for exc in errors if isinstance(exc, APIConnectionError)], failure
    for exc in errors:
        for text in exception_texts(exc):
            assert TOKEN not in text, (failure, type(exc), text[:2000])
    for text in own_log_texts(all_logs):
        assert TOKEN not in text


def _reply_text(result: object) -> str:
    """Everything a caller can read from a result, as text."""
    if isinstance(result, list):
        return "\n".join(_reply_text(item) for item in result)
    dump = getattr(result, "model_dump_json", None)
    return repr(result) + (dump() if callable(dump) else "")


def by_stream(stream: Action, plain: Action) -> Action:
    """``stream`` for a request with ``"stream": true``, else ``plain``."""

    async def action(ex: Exchange) -> bool:
        return await (stream if ex.request.json.get("stream") else plain)(ex)

    return action


def test_echoed_token_in_headers_and_text_is_masked_in_results(
    server: FaultServer, all_logs: pytest.LogCaptureFixture
) -> None:
    # The token inside the answer text, split across two reads, and in the gateway metadata
    # headers, for streamed and plain replies alike.
    half = len(TOKEN) // 2
    frame = text_chunk(f"you sent {TOKEN} ok").encode()
    cut = frame.index(TOKEN.encode()) + half
    stream_headers = {**ECHO_HEADERS, **SSE}
    stream = chunked(stream_headers, [frame[:cut], frame[cut:], b"data: [DONE]\n\n"])
    body = json.dumps(completion(f"you sent {TOKEN} ok")).encode()
    cut = body.index(TOKEN.encode()) + half
    action = by_stream(stream, chunked(ECHO_HEADERS, [body[:cut], body[cut:]]))
    server.script_times(SURFACES + 1, action)  # the caller-httpx surface sends two
    results: list[object] = []
    for call in _run_each_surface(server.base_url, max_retries=0):
        results.append(call())
    assert server.pending == 0
    for result in results:
        text = _reply_text(result)
        assert TOKEN not in text, text[:3000]
    core = results[0]
    assert isinstance(core, ChatResponse)
    assert core.text == "you sent ********** ok"
    assert core.gateway is not None
    assert core.gateway.log_id == "log-**********"
    assert core.gateway.event_id == "**********"
    for text in own_log_texts(all_logs):
        assert TOKEN not in text


def test_a_short_toy_token_is_not_masked(server: FaultServer) -> None:
    # Masking "t" would mangle every reply; only real-length tokens are masked.
    server.script(json_reply(completion("t is for token")))
    client = GatewayClient(account_id=ACCOUNT, api_token="t", base_url=server.base_url)
    assert client.chat(chat_request()).text == "t is for token"


# A reply split at arbitrary byte positions (a caller-owned httpx client whose transport hands
# the body over in the given pieces): every whole token is masked, a mere prefix of it is not.
MASK = "**********"  # what the README says an echoed token becomes
_NEAR_MISS = TOKEN[:12]
_ECHO_TEXT = f"a {TOKEN} b {TOKEN}{TOKEN} c {_NEAR_MISS}"
_MASKED_TEXT = f"a {MASK} b {MASK}{MASK} c {_NEAR_MISS}"
_PLAIN_BODY = json.dumps(completion(_ECHO_TEXT)).encode()
_SSE_BODY = (
    "".join(text_chunk(piece) for piece in _ECHO_TEXT.split(" ")) + "data: [DONE]\n\n"
).encode()


def _pieces(body: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({c % (len(body) + 1) for c in cuts}), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@settings(max_examples=80, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=8), stream=st.booleans())
def test_echoed_token_is_masked_at_every_chunk_boundary(cuts: list[int], stream: bool) -> None:
    body = _SSE_BODY if stream else _PLAIN_BODY
    kind = "text/event-stream" if stream else "application/json"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": kind}, content=iter(_pieces(body, cuts))
        )

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = GatewayClient(account_id=ACCOUNT, api_token=TOKEN, http_client=http)
    if stream:
        with client.stream(chat_request()) as events:
            for _ in events:
                pass
            text = events.result().text
        assert text.replace(" ", "") == _MASKED_TEXT.replace(" ", "")
    else:
        assert client.chat(chat_request()).text == _MASKED_TEXT
