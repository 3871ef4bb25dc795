"""Everything a request produces is scanned for a canary token (README "Secrets").

For each scenario — a success, a plain 401, a stream whose error frame echoes the token, replies
whose headers, reason phrase and body echo it — every surface (core clients, LangChain, LlamaIndex;
sync, async, streaming) is driven against a loopback fault server, and the test collects:

- errors: ``str``/``repr``/attributes and ``TracebackException(capture_locals=True)`` of the chain;
- log records of every logger at DEBUG;
- LangChain callback arguments, tracer runs and ``astream_events``;
- LlamaIndex instrumentation events, span handler arguments/results and legacy callbacks;
- results and serialized objects (``dumpd``, ``to_json``).

The canary must appear in none of them, while the server saw it in every ``Authorization``
header. Per-call ``extra_headers`` get the same scan for their values in every callback, event
and tracer payload (they may carry other credentials), while the server still receives them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.load import dumps
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from llama_index.core.llms import ChatMessage
from pydantic import Field

from cf_gateway_core import GatewayError
from tests.reliability.conftest import (
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
    sse_reply,
)
from tests.reliability.observers import (
    EventRecorder,
    EveryCallback,
    LegacyCallbacks,
    RunRecorder,
    traceback_with_locals,
)

HEADER_CANARY = "hdr-CANARY-5f1e0c9a7b"
"""The value of a per-call extra header: never in a callback, event or tracer payload."""


# --- what the frameworks hand to observers -------------------------------------------------------


class _Spans(BaseSpanHandler[Any]):
    """LlamaIndex spans: the bound arguments, results and errors."""

    seen: list[str] = Field(default_factory=list)
    arguments: list[str] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "CanarySpans"

    def new_span(self, id_: str, bound_args: inspect.BoundArguments, **kwargs: Any) -> None:
        self.seen.append(repr(kwargs.get("instance")))
        self.arguments.append(repr(bound_args.arguments))

    def prepare_to_exit_span(self, id_: str, bound_args: Any, **kwargs: Any) -> None:
        self.seen.append(repr(kwargs.get("result")))

    def prepare_to_drop_span(self, id_: str, bound_args: Any, **kwargs: Any) -> None:
        err = kwargs.get("err")
        if isinstance(err, BaseException):
            self.seen.append(traceback_with_locals(err))


class Harvest:
    """Everything the calls of one scenario produced, as text, by origin."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.results: list[str] = []
        self.serialized: list[str] = []
        self.lc = EveryCallback()
        self.runs = RunRecorder()
        self.stream_events: list[str] = []
        self.li_events = EventRecorder()
        self.li_spans = _Spans()
        self.li_callbacks = LegacyCallbacks()

    def error(self, exc: BaseException) -> None:
        self.errors += [str(exc), repr(exc), repr(vars(exc)), traceback_with_locals(exc)]

    def result(self, value: object) -> None:
        if isinstance(value, list):
            for item in value:
                self.result(item)
            return
        dump = getattr(value, "model_dump_json", None)
        self.results.append(repr(value) + (dump() if callable(dump) else ""))

    def observers(self) -> dict[str, list[str]]:
        """Callback, event and tracer payloads (what extra_headers must stay out of)."""
        return {
            "langchain callbacks": self.lc.seen,
            "langchain tracer": self.runs.runs,
            "astream_events": self.stream_events,
            "llamaindex events": self.li_events.events,
            "llamaindex callbacks": self.li_callbacks.payloads,
            "llamaindex span arguments": self.li_spans.arguments,
        }

    def everything(self) -> dict[str, list[str]]:
        return {
            "errors": self.errors,
            "results": self.results,
            "serialized": self.serialized,
            "llamaindex spans": self.li_spans.seen,
            **self.observers(),
        }


# --- driving every surface -----------------------------------------------------------------------


def _calls(base_url: str, harvest: Harvest, headers: dict[str, str]) -> Iterator[Callable[[], Any]]:
    """Every surface once; LangChain and LlamaIndex with every observer attached."""
    lc = lc_chat(base_url, max_retries=0)
    li = li_chat(base_url, max_retries=0, callback_manager=CallbackManager([harvest.li_callbacks]))
    config: Any = {"callbacks": [harvest.lc, harvest.runs]}
    call = {"extra_headers": headers}
    messages = [ChatMessage(role="user", content="hi")]
    harvest.serialized += [repr(lc), dumps(lc), lc.model_dump_json(), repr(li), li.to_json()]

    async def core_async() -> Any:
        async with async_client(base_url, max_retries=0) as client:
            reply = await client.chat(chat_request(), extra_headers=headers)
            events = [e async for e in client.stream(chat_request(), extra_headers=headers)]
            return [reply, events]

    async def lc_events() -> Any:
        async for event in lc.astream_events("hi", config=config, version="v2", **call):
            harvest.stream_events.append(repr(event))

    async def lc_astream() -> Any:
        return [c async for c in lc.astream("hi", config=config, **call)]

    async def li_astream() -> Any:
        return [r async for r in await li.astream_chat(messages, **call)]

    yield lambda: sync_client(base_url, max_retries=0).chat(chat_request(), extra_headers=headers)
    yield lambda: list(sync_client(base_url, max_retries=0).stream(chat_request(), **call))
    yield lambda: asyncio.run(core_async())
    yield lambda: lc.invoke("hi", config=config, **call)
    yield lambda: list(lc.stream("hi", config=config, **call))
    yield lambda: asyncio.run(lc.ainvoke("hi", config=config, **call))
    yield lambda: asyncio.run(lc_astream())
    yield lambda: asyncio.run(lc_events())
    yield lambda: li.chat(messages, **call)
    yield lambda: list(li.stream_chat(messages, **call))
    yield lambda: li.complete("hi", **call)
    yield lambda: asyncio.run(li.achat(messages, **call))
    yield lambda: asyncio.run(li_astream())


def _by_stream(stream: Action, plain: Action) -> Action:
    async def action(ex: Exchange) -> bool:
        return await (stream if ex.request.json.get("stream") else plain)(ex)

    return action


def _echo(status: int, reason: str, headers: dict[str, str], body: bytes) -> Action:
    async def action(ex: Exchange) -> bool:
        lines = [f"HTTP/1.1 {status} {reason}", f"content-length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        await ex.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return True

    return action


_ECHO_HEADERS = {"cf-aig-log-id": TOKEN, "x-echo": f"Bearer {TOKEN}"}
_UNAUTHORIZED = {"errors": [{"code": 10000, "message": "Authentication error"}]}
_ERROR_FRAME = json.dumps({"error": {"message": f"invalid key Bearer {TOKEN}"}})

SCENARIOS: dict[str, Callable[[], Action]] = {
    "success": lambda: _by_stream(
        sse_reply([text_chunk("Hel"), text_chunk("lo", finish="stop"), "data: [DONE]\n\n"]),
        json_reply(completion("Hello")),
    ),
    "401": lambda: json_reply(_UNAUTHORIZED, status=401),
    "error frame echoing the token": lambda: _by_stream(
        sse_reply([text_chunk("Hel"), f"data: {_ERROR_FRAME}\n\n"]),
        json_reply({"error": {"message": f"invalid key {TOKEN}"}}, status=400),
    ),
    "headers, reason and body echoing the token": lambda: _by_stream(
        sse_reply(
            [text_chunk(f"you sent {TOKEN}", finish="stop"), "data: [DONE]\n\n"],
            headers=_ECHO_HEADERS,
        ),
        _echo(
            200,
            f"OK {TOKEN}",
            {"content-type": "application/json", **_ECHO_HEADERS},
            json.dumps(completion(f"you sent {TOKEN}")).encode(),
        ),
    ),
}
SUCCESSES = {"success", "headers, reason and body echoing the token"}
ECHOES = {"error frame echoing the token", "headers, reason and body echoing the token"}
CALLS = 13
EXTRA_REQUESTS = 1  # core_async sends a chat and then a stream (unless the chat fails)


def _log_texts(record: logging.LogRecord) -> Iterator[str]:
    yield record.getMessage()
    yield repr(record.args)
    if record.exc_info and record.exc_info[1] is not None:
        yield traceback_with_locals(record.exc_info[1])


def _is_wire_log(record: logging.LogRecord) -> bool:
    """A third-party record that prints the reply's status line or headers as the server sent
    them (docs/security.md): httpcore's DEBUG trace of the response headers, httpx's INFO
    request line (with the reason phrase)."""
    message = record.getMessage()
    return (
        record.name.startswith("httpcore") and "receive_response_headers.complete" in message
    ) or (record.name == "httpx" and message.startswith("HTTP Request:"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_canary_token_and_header_values_appear_nowhere(
    server: FaultServer, scenario: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger's records
    harvest = Harvest()
    server.script_times(CALLS + EXTRA_REQUESTS, SCENARIOS[scenario]())
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(harvest.li_events)
    dispatcher.add_span_handler(harvest.li_spans)
    failures = 0
    try:
        for call in _calls(server.base_url, harvest, {"x-canary": HEADER_CANARY}):
            try:
                harvest.result(call())
            except GatewayError as exc:
                failures += 1
                harvest.error(exc)
    finally:
        dispatcher.event_handlers.remove(harvest.li_events)
        dispatcher.span_handlers.remove(harvest.li_spans)

    # The calls really happened, failed as scripted, and carried both canaries.
    success = scenario in SUCCESSES
    assert len(server.requests) == CALLS + (EXTRA_REQUESTS if success else 0)
    assert failures == (0 if success else CALLS), failures
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert all(r.headers["x-canary"] == HEADER_CANARY for r in server.requests)
    assert harvest.lc.seen and harvest.runs.runs and harvest.stream_events
    assert harvest.li_events.events and harvest.li_callbacks.payloads and harvest.li_spans.seen
    assert any("x-canary" in text for text in harvest.lc.seen)  # present, value masked

    for origin, texts in harvest.everything().items():
        for text in texts:
            assert TOKEN not in text, (scenario, origin, text[:3000])
    for origin, texts in harvest.observers().items():
        for text in texts:
            assert HEADER_CANARY not in text, (scenario, origin, text[:3000])
    leaked = [
        record
        for record in caplog.records
        if any(TOKEN in text for text in _log_texts(record))
        and not (scenario in ECHOES and _is_wire_log(record))
    ]
    assert leaked == [], [f"{r.name}: {r.getMessage()[:300]}" for r in leaked]
    assert {r.name.split(".")[0] for r in caplog.records} >= {"cf_gateway", "httpcore", "httpx"}
