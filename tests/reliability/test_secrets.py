"""Secrets: the API token (a canary here) never shows in a repr, an error, a DEBUG log record or a
serialized object, and is never sent over plain http to a non-loopback host."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.load import dumpd, dumps, load
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.llms import ChatMessage

from cf_gateway_core import (
    AsyncGatewayClient,
    AuthenticationError,
    GatewayClient,
    GatewayConfig,
    GatewayConfigError,
    GatewayError,
    Secret,
)
from langchain_cf_gateway import ChatCloudflareAIGateway
from tests.reliability.conftest import (
    ACCOUNT,
    TOKEN,
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
    raw_reply,
    refused_url,
    sse_chunk,
    sse_reply,
    stall,
)
from tests.reliability.observers import EventRecorder, EveryCallback, LegacyCallbacks, RunRecorder


def record_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    """Everything a log handler could print for each record."""
    for record in records:
        yield record.getMessage()
        yield repr(record.args)
        yield repr(record.__dict__)
        if record.exc_info and record.exc_info[1] is not None:
            yield "".join(traceback.format_exception(record.exc_info[1]))


def exception_texts(exc: BaseException) -> Iterator[str]:
    """str, repr, args, attributes and the formatted chain of an exception."""
    yield str(exc)
    yield repr(exc)
    yield repr(exc.args)
    yield repr(vars(exc))
    yield "".join(traceback.format_exception(exc))
    if isinstance(exc, GatewayError):
        yield repr(pickle.loads(pickle.dumps(exc)).__dict__)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger (ours, httpx, httpcore) at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("cf_gateway", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_secret_token_never_in_debug_logs_or_errors_across_faults(
    server: FaultServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    errors: list[BaseException] = []
    server.script(
        json_reply(
            {"errors": [{"code": 2003, "message": "Rate limited"}]},
            status=429,
            headers={"retry-after": "0"},
        ),
        json_reply(completion("fine")),
        sse_reply([sse_chunk({"choices": [{"delta": {"content": "a"}}]})], ending="cut"),
        json_reply({"errors": [{"code": 10000, "message": "Authentication error"}]}, status=401),
        stall(),
        stall(),
    )
    with sync_client(server.base_url, max_retries=1, timeout=0.3) as client:
        assert client.chat(chat_request()).text == "fine"
        for call in (
            lambda: list(client.stream(chat_request())),
            lambda: client.chat(chat_request()),
            lambda: client.chat(chat_request()),
        ):
            with pytest.raises(GatewayError) as info:
                call()
            errors.append(info.value)
    with pytest.raises(GatewayError) as refused:
        sync_client(refused_url(), max_retries=0).chat(chat_request())
    errors.append(refused.value)

    assert len(server.requests) >= 5
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    loggers = {r.name.split(".")[0] for r in debug_logs.records}
    assert {"cf_gateway", "httpcore"} <= loggers, loggers  # the canary had chances to leak
    for text in record_texts(debug_logs.records):
        assert TOKEN not in text
    for exc in errors:
        for text in exception_texts(exc):
            assert TOKEN not in text


def test_secret_token_echoed_by_the_server_is_redacted_from_errors(server: FaultServer) -> None:
    # A proxy or a misbehaving upstream that echoes the request's credentials back.
    echo = {"errors": [{"code": 10000, "message": f"Bad token Bearer {TOKEN} for this account"}]}
    server.script(
        json_reply(echo, status=401),
        raw_reply(403, f"<html>Authorization: Bearer {TOKEN}</html>".encode(), content_type="x"),
    )
    with sync_client(server.base_url, max_retries=0) as client:
        for _ in range(2):
            with pytest.raises(GatewayError) as info:
                client.chat(chat_request())
            for text in exception_texts(info.value):
                assert TOKEN not in text
            assert isinstance(info.value, AuthenticationError) or info.value.status_code == 403  # type: ignore[attr-defined]


def test_secret_token_sent_only_in_the_authorization_header(server: FaultServer) -> None:
    with sync_client(server.base_url) as client:
        client.chat(chat_request())
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    others = {k: v for k, v in request.headers.items() if k != "authorization"}
    assert TOKEN not in json.dumps(others)
    assert TOKEN not in request.path
    assert TOKEN.encode() not in request.body


def test_secret_token_never_in_reprs_of_clients_and_config(monkeypatch: pytest.MonkeyPatch) -> None:
    config = GatewayConfig.resolve(account_id=ACCOUNT, api_token=TOKEN)
    objects: list[object] = [
        config,
        config.api_token,
        GatewayClient(config),
        AsyncGatewayClient(config),
        GatewayClient(account_id=ACCOUNT, api_token=TOKEN),
    ]
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    objects += [GatewayClient(), GatewayConfig.resolve()]
    for obj in objects:
        for text in (repr(obj), str(obj), f"{obj}", f"{obj!r}"):
            assert TOKEN not in text
    assert str(Secret(TOKEN)) == "**********"
    assert Secret(TOKEN).get_secret_value() == TOKEN  # the canary is really in there


@pytest.mark.parametrize("bad", ["has space", "tab\there", "ünïcode", "new\nline"])
def test_secret_invalid_token_is_not_echoed_in_the_config_error(bad: str) -> None:
    with pytest.raises(GatewayConfigError) as info:
        GatewayClient(account_id=ACCOUNT, api_token=bad)
    assert bad not in str(info.value)
    assert "api_token" in str(info.value)


# --- plain http ---------------------------------------------------------------------------------

INSECURE = [
    "http://api.cloudflare.com/client/v4",
    "http://10.0.0.1/client/v4",
    "http://localhost.evil.example/client/v4",
    "http://127.0.0.1.nip.io/client/v4",
    "http://0.0.0.0:8787/client/v4",
]
LOOPBACK = [
    "http://127.0.0.1:8787/client/v4",
    "http://127.1.2.3:8787/client/v4",
    "http://localhost:8787/client/v4",
    "http://[::1]:8787/client/v4",
]


def _counting_transport() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion())

    return seen, httpx.MockTransport(handler)


@pytest.mark.parametrize("url", INSECURE)
@pytest.mark.parametrize("cls", [GatewayClient, AsyncGatewayClient])
def test_secret_plain_http_to_a_remote_host_is_refused_before_any_request(
    cls: type[GatewayClient | AsyncGatewayClient], url: str
) -> None:
    with pytest.raises(GatewayConfigError) as info:
        cls(account_id=ACCOUNT, api_token=TOKEN, base_url=url)
    message = str(info.value)
    assert "allow_insecure_http" in message and "https" in message
    assert TOKEN not in message


@pytest.mark.parametrize("url", INSECURE)
def test_secret_plain_http_from_the_environment_is_refused(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", url)
    with pytest.raises(GatewayConfigError):
        GatewayClient(account_id=ACCOUNT, api_token=TOKEN)


@pytest.mark.parametrize("url", INSECURE)
def test_secret_allow_insecure_http_is_an_explicit_opt_out(url: str) -> None:
    seen, transport = _counting_transport()
    client = GatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url=url,
        allow_insecure_http=True,
        http_client=httpx.Client(transport=transport),
    )
    assert client.chat(chat_request()).text == "ok"
    assert str(seen[0].url).startswith(url.rstrip("/") + "/accounts/")


@pytest.mark.parametrize("url", LOOPBACK)
def test_secret_plain_http_to_loopback_is_allowed(url: str) -> None:
    seen, transport = _counting_transport()
    client = GatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url=url,
        http_client=httpx.Client(transport=transport),
    )
    client.chat(chat_request())
    assert len(seen) == 1


@pytest.mark.parametrize(
    "url",
    [
        f"https://{TOKEN}@api.cloudflare.com/client/v4",
        "https://api.cloudflare.com@evil.example/client/v4",
        "https://api.cloudflare.com\\@evil.example/client/v4",
        "https://api.cloudflare.com/client/v4?key=x",
        "ftp://api.cloudflare.com/client/v4",
    ],
)
def test_secret_base_url_that_could_leak_the_token_is_refused(url: str) -> None:
    with pytest.raises(GatewayConfigError) as info:
        GatewayClient(account_id=ACCOUNT, api_token=TOKEN, base_url=url)
    assert TOKEN not in str(info.value)


def test_secret_async_debug_logs_are_clean(
    server: FaultServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    server.script(json_reply({"errors": [{"code": 3040, "message": "busy"}]}, status=503))

    async def go() -> None:
        async with async_client(server.base_url, max_retries=1) as client:
            await client.chat(chat_request())
            async with client.stream(chat_request()) as events:
                async for _ in events:
                    pass

    asyncio.run(go())
    assert debug_logs.records
    for text in record_texts(debug_logs.records):
        assert TOKEN not in text


# --- the framework adapters ---------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_secret_langchain_model_never_shows_the_token(
    server: FaultServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    llm = lc_chat(server.base_url, max_retries=0)
    texts = [repr(llm), str(llm), llm.model_dump_json(), repr(llm.model_dump()), dumps(llm)]
    texts += [json.dumps(dumpd(llm)), repr(llm._identifying_params), repr(llm._get_ls_params())]
    recorder, tracer = EveryCallback(), RunRecorder()
    config: Any = {"callbacks": [recorder, tracer]}
    server.script(json_reply({"errors": [{"code": 10000, "message": "nope"}]}, status=401))
    with pytest.raises(GatewayError) as info:
        llm.invoke("hi", config=config)
    texts += list(exception_texts(info.value))
    assert llm.invoke("hi", config=config).content == "ok"
    assert [c.content for c in llm.stream("hi", config=config)]
    assert asyncio.run(llm.ainvoke("hi", config=config)).content == "ok"
    texts += recorder.seen + tracer.runs + list(record_texts(debug_logs.records))
    assert len(recorder.seen) > 4 and tracer.runs
    for text in texts:
        assert TOKEN not in text
    # the serialized form refers to the environment variable, and round-trips with it
    assert dumpd(llm)["kwargs"]["api_token"] == {
        "lc": 1,
        "type": "secret",
        "id": ["CLOUDFLARE_API_TOKEN"],
    }
    loaded = load(
        dumpd(llm),
        secrets_map={"CLOUDFLARE_API_TOKEN": TOKEN},
        valid_namespaces=["langchain_cf_gateway"],
        allowed_objects=[ChatCloudflareAIGateway],
    )
    assert loaded.invoke("hi").content == "ok"
    assert server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"


def test_secret_langchain_token_from_environment_never_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5")
    for text in (repr(llm), str(llm), llm.model_dump_json(), dumps(llm)):
        assert TOKEN not in text


def test_secret_llamaindex_model_never_shows_the_token(
    server: FaultServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    callbacks = LegacyCallbacks()
    llm = li_chat(server.base_url, max_retries=0, callback_manager=CallbackManager([callbacks]))
    recorder = EventRecorder()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(recorder)
    try:
        texts = [repr(llm), str(llm), llm.to_json(), repr(llm.to_dict()), llm.model_dump_json()]
        texts += [repr(llm.model_dump()), repr(llm.dict()), repr(llm.metadata)]
        messages = [ChatMessage(role="user", content="hi")]
        server.script(json_reply({"errors": [{"code": 10000, "message": "nope"}]}, status=401))
        with pytest.raises(GatewayError) as info:
            llm.chat(messages)
        texts += list(exception_texts(info.value))
        assert llm.chat(messages).message.content == "ok"
        assert llm.complete("hi").text == "ok"
        assert [r.delta for r in llm.stream_chat(messages)]
        assert asyncio.run(llm.achat(messages)).message.content == "ok"
    finally:
        dispatcher.event_handlers.remove(recorder)
    texts += recorder.events + callbacks.payloads + list(record_texts(debug_logs.records))
    assert recorder.events and callbacks.payloads
    for text in texts:
        assert TOKEN not in text
    assert "api_token" not in llm.to_dict() and "api_key" not in llm.to_dict()


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
@pytest.mark.parametrize("url", INSECURE[:2])
def test_secret_adapters_refuse_plain_http_unless_opted_out(framework: str, url: str) -> None:
    make: Any = lc_chat if framework == "langchain" else li_chat
    with pytest.raises(GatewayConfigError) as info:
        make(url)
    assert "allow_insecure_http" in str(info.value)
    assert TOKEN not in str(info.value)
    assert make(url, allow_insecure_http=True) is not None
