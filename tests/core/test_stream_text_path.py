"""A stream decodes the same whatever the network reads look like.

The client reads a read holding exactly one plain text frame (the way the gateway sends a stream:
one event per HTTP chunk) on a shorter path than other reads (docs/io-stack.md). These property
tests send random streams of every API — plain text frames among start, usage, tool, finish,
error, non-JSON, invalid UTF-8, multi-line, CRLF, comment, ``id:``/``retry:`` frames and the
echoed token — once as one read per frame and once in random reads (split inside frames, several
frames per read, byte by byte), and require the same events, the same folded reply, or the same
error with the same partial text.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cf_gateway_core import AsyncGatewayClient, ChatRequest, GatewayClient, Message, StreamError
from cf_gateway_core.errors import GatewayError

ACCOUNT = "acct"
TOKEN = "tok-0123456789abcdef-secret"
MODELS = {
    "chat_completions": "openai/gpt-5.5",
    "messages": "anthropic/claude-sonnet-4.5",
    "run": "@cf/meta/llama-3.1-8b-instruct",
    "responses": "openai/gpt-5.5",
}
ENDPOINTS = {"chat_completions": "auto", "messages": "auto", "run": "run", "responses": "responses"}

texts = st.text(max_size=12) | st.sampled_from(["", " ", "w1 ", TOKEN, "é€😀", "a\nb"])


def _data(value: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(value, separators=(',', ':'))}\n\n".encode()


def _cc_text(text: str) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}
    return _data({"id": "c1", "model": "gpt-5.5", "choices": [choice]})


def _msg_text(text: str) -> bytes:
    frame = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": text},
    }
    return _data(frame, "content_block_delta")


def _run_text(text: str) -> bytes:
    return _data({"response": text, "p": "abc"})


def _responses_text(text: str) -> bytes:
    frame = {"type": "response.output_text.delta", "output_index": 0, "content_index": 0}
    return _data({**frame, "delta": text}, "response.output_text.delta")


TEXT_FRAMES: dict[str, Callable[[str], bytes]] = {
    "chat_completions": _cc_text,
    "messages": _msg_text,
    "run": _run_text,
    "responses": _responses_text,
}
_CC_START = {"index": 0, "delta": {"role": "assistant", "content": ""}}
_MSG_START = {"id": "m1", "model": "claude", "usage": {"input_tokens": 3}}
_MSG_BLOCK = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
_MSG_DELTA = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
_USAGE = {"prompt_tokens": 3, "completion_tokens": 4}
STARTS = {
    "chat_completions": [_data({"id": "c1", "model": "gpt-5.5", "choices": [_CC_START]})],
    "messages": [
        _data({"type": "message_start", "message": _MSG_START}, "message_start"),
        _data(_MSG_BLOCK, "content_block_start"),
    ],
    "run": [],
    "responses": [
        _data({"type": "response.created", "response": {"id": "r1", "model": "gpt-5.5"}}),
    ],
}
_DONE_RESPONSE = {"id": "r1", "status": "completed", "output": [], "usage": {"input_tokens": 3}}
ENDS = {
    "chat_completions": [
        _data({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        _data({"id": "c1", "choices": [], "usage": _USAGE}),
        b"data: [DONE]\n\n",
    ],
    "messages": [
        _data({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        _data({**_MSG_DELTA, "usage": {"output_tokens": 4}}, "message_delta"),
        _data({"type": "message_stop"}, "message_stop"),
    ],
    "run": [_data({"response": "", "usage": _USAGE}), b"data: [DONE]\n\n"],
    "responses": [
        _data({"type": "response.output_text.done", "output_index": 0, "text": "whole"}),
        _data({"type": "response.completed", "response": _DONE_RESPONSE}),
    ],
}
_TOOL_DELTA = {"index": 0, "id": "t1", "function": {"name": "f", "arguments": '{"a"'}}

# Frames beside the plain text ones: each must take the general path, or give what it gives.
ODD_FRAMES = [
    b"data: not json\n\n",
    b'data: {"error": {"message": "boom"}}\n\n',
    b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error"}}\n\n',
    b'data: {"success": false, "errors": [{"code": 1, "message": "bad"}]}\n\n',
    b'data: {"response": "\xff\xfe bad utf-8", "p": "x"}\n\n',
    b'data: {"response": "\xc3", "p": "x"}\n\n',
    b'data: {"response": "big", "n": 123456789012345678901234567890}\n\n',
    b'data: {"response": "nan", "x": NaN}\n\n',
    b'data: \xef\xbb\xbf{"response": "bom"}\n\n',
    b'data:{"response":"no space"}\n\n',
    b'data: {"response":\ndata: "two lines"}\n\n',
    b'data: {"response": "crlf"}\r\n\r\n',
    b'data: {"response": "cr"}\r\r',
    b": a comment\n\n",
    b'id: 7\ndata: {"response": "with id"}\n\n',
    b'retry: 10\ndata: {"response": "with retry"}\n\n',
    b'id: 8\n\n',
    b'event: \ndata: {"response": "empty event"}\n\n',
    b'event: ping\ndata: {"type": "ping"}\n\n',
    _data({"type": "response.output_text.delta", "output_index": "1", "delta": "idx"}),
    _data({"type": "response.output_text.done", "output_index": 1, "text": "idx whole"}),
    _data({"type": "response.output_text.delta", "content_index": True, "delta": "b"}),
    _data({"type": "response.output_text.delta", "delta": ["x"]}),
    _data({"type": "response.reasoning_text.delta", "delta": "thinking"}),
    _data({"type": "response.failed", "response": {"error": {"message": "no"}}}),
    b'event: response.output_text.delta\ndata: {"delta": "typed by the event"}\n\n',
    _data({"type": "content_block_delta", "delta": {"type": "text_delta", "text": 5}}),
    _data({"type": "content_block_start", "content_block": {"type": "text", "text": 1}}),
    _data({"type": "content_block_start", "content_block": {"type": "thinking", "thinking": [1]}}),
    _data({"choices": [{"index": 0, "delta": {"content": "x", "tool_calls": [_TOOL_DELTA]}}]}),
    b'data: {"choices": [{"index": 1, "delta": {"content": "second choice"}}]}\n\n',
    _data({"choices": [{"index": 0, "delta": {"content": "n", "tool_calls": None}}]}),
    _data({"choices": [{"index": 0, "delta": {"content": "r", "reasoning_content": "think"}}]}),
    _data({"choices": [{"index": 0, "delta": {"content": "f", "refusal": "no"}}]}),
    b'data: {"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "length"}]}\n\n',
    b'data: {"tool_calls": [{"name": "f", "arguments": {"a": 1}}], "response": "t"}\n\n',
    b'data: {"response": "x", "p": "y", "usage": {"prompt_tokens": 1}}\n\n',
    b'data: []\n\n',
    b'data: "a string"\n\n',
    b'data: \n\n',
    b"data: [DONE]\n\n",
    b"data: " + b"[" * 3000 + b"\n\n",
    b'data: {"response": "deep", "p": ' + b"[" * 1100 + b"]" * 1100 + b"}\n\n",
]  # fmt: skip


@st.composite
def streams(draw: st.DrawFn, api: str) -> list[bytes]:
    """One frame per item: the API's start, text and odd frames, maybe its end, maybe a BOM."""
    # /ai/run streams may carry OpenAI chunks or Anthropic events too (universal models).
    shapes = [_cc_text, _msg_text, _run_text] if api == "run" else [TEXT_FRAMES[api]]
    text_frames = st.tuples(st.sampled_from(shapes), texts).map(lambda pair: pair[0](pair[1]))
    body = draw(st.lists(st.one_of(text_frames, st.sampled_from(ODD_FRAMES)), max_size=14))
    frames = [*STARTS[api], *body, *(ENDS[api] if draw(st.booleans()) else [])]
    if frames and draw(st.booleans()):
        frames[0] = b"\xef\xbb\xbf" + frames[0]
    return frames


@st.composite
def reads(draw: st.DrawFn, frames: list[bytes]) -> list[bytes]:
    """The same bytes in other reads: byte by byte, all at once, cut anywhere, or frames grouped."""
    body = b"".join(frames)
    how = draw(st.sampled_from(["bytes", "whole", "cuts", "groups"]))
    if how == "groups":  # whole frames, several to a read now and then
        ends = sorted(set(draw(st.lists(st.integers(0, len(frames)), max_size=len(frames)))))
        edges = [0, *ends, len(frames)]
        return [b"".join(frames[a:b]) for a, b in itertools.pairwise(edges) if b > a]
    if how == "bytes":
        return [body[i : i + 1] for i in range(len(body))]
    if how == "whole":
        return [body]
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=20)))
    return [body[a:b] for a, b in itertools.pairwise([0, *cuts, len(body)]) if b > a]


def _outcome(api: str, chunks: list[bytes]) -> tuple[Any, ...]:
    """What a caller sees: the events and the folded reply, or the error and partial text."""

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, content=iter(list(chunks)))

    client = GatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url="http://127.0.0.1:9/client/v4",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    request = ChatRequest(model=MODELS[api], messages=(Message.user("hi"),))
    events: list[Any] = []
    try:
        with client.stream(request, endpoint=ENDPOINTS[api]) as stream:
            events.extend(stream)
    except StreamError as exc:
        return ("StreamError", exc.message, exc.partial_text)
    except GatewayError as exc:
        return (type(exc).__name__, str(exc))
    return ("ok", events, stream.result())


async def _aoutcome(api: str, chunks: list[bytes]) -> tuple[Any, ...]:
    """The async client's :func:`_outcome` (the same decoding behind an async read loop)."""

    async def body() -> Any:
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    client = AsyncGatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url="http://127.0.0.1:9/client/v4",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    request = ChatRequest(model=MODELS[api], messages=(Message.user("hi"),))
    events: list[Any] = []
    try:
        async with client.stream(request, endpoint=ENDPOINTS[api]) as stream:
            events.extend([event async for event in stream])
    except StreamError as exc:
        return ("StreamError", exc.message, exc.partial_text)
    except GatewayError as exc:
        return (type(exc).__name__, str(exc))
    return ("ok", events, stream.result())


def _check(api: str, data: st.DataObject) -> None:
    frames = data.draw(streams(api))
    one_per_read = _outcome(api, frames)
    assert _outcome(api, data.draw(reads(frames))) == one_per_read
    assert TOKEN not in repr(one_per_read)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_chat_completions_stream_is_the_same_in_any_reads(data: st.DataObject) -> None:
    _check("chat_completions", data)


@SETTINGS
@given(data=st.data())
def test_messages_stream_is_the_same_in_any_reads(data: st.DataObject) -> None:
    _check("messages", data)


@SETTINGS
@given(data=st.data())
def test_run_stream_is_the_same_in_any_reads(data: st.DataObject) -> None:
    _check("run", data)


@SETTINGS
@given(data=st.data())
def test_responses_stream_is_the_same_in_any_reads(data: st.DataObject) -> None:
    _check("responses", data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(api=st.sampled_from(sorted(MODELS)), data=st.data())
def test_an_async_stream_is_the_same_in_any_reads(api: str, data: st.DataObject) -> None:
    frames = data.draw(streams(api))
    one_per_read = asyncio.run(_aoutcome(api, frames))
    assert asyncio.run(_aoutcome(api, data.draw(reads(frames)))) == one_per_read
    assert one_per_read == _outcome(api, frames)


@pytest.mark.parametrize("api", sorted(MODELS))
def test_text_after_the_end_signal_is_decoded_the_same_in_any_reads(api: str) -> None:
    # The read before the last ends on text, so the last read (one text frame) is tried on the
    # text path, which must see that the stream already ended as the general path does.
    text = TEXT_FRAMES[api]
    frames = [*STARTS[api], text("a"), *ENDS[api][:-1], text("b"), ENDS[api][-1], text("late")]
    grouped = [b"".join(frames[:-1]), frames[-1]]
    assert _outcome(api, grouped) == _outcome(api, frames)
    assert asyncio.run(_aoutcome(api, grouped)) == _outcome(api, frames)


def test_a_responses_part_begun_on_the_text_path_is_not_repeated_by_its_done_event() -> None:
    second = {"type": "response.output_text.delta", "output_index": 1, "content_index": 0}
    done = {"type": "response.output_text.done", "output_index": 1, "content_index": 0}
    frames = [
        *STARTS["responses"],
        _responses_text("a"),
        _responses_text("b"),  # the text path from here on
        _data({**second, "delta": "c"}),
        _data({**done, "text": "c"}),  # a part whose deltas came: its whole text is not added
        *ENDS["responses"],
    ]
    kind, events, reply = _outcome("responses", frames)
    assert reply.text == "abc"
    assert _outcome("responses", [b"".join(frames)]) == (kind, events, reply)


def test_a_plain_text_stream_read_frame_by_frame_gives_every_piece() -> None:
    pieces = ["Hello", ", ", "", "wörld", TOKEN, " 😀"]
    for api in MODELS:
        frames = [*STARTS[api], *map(TEXT_FRAMES[api], pieces), *ENDS[api]]
        kind, events, reply = _outcome(api, frames)
        assert kind == "ok"
        assert "".join(e.text for e in events if type(e).__name__ == "TextDelta") == reply.text
        assert reply.text == "Hello, wörld********** 😀"
        assert reply.finish_reason == "stop"
