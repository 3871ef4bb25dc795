"""Property: for every wire format, a stream and a non-stream reply with the same content give the
same final message — text, tool calls (a call cut off by ``max_tokens`` included: invalid in
both, never guessed), finish reason and usage — and a stream cut anywhere before its end signal
raises ``StreamError`` with the text received so far, never a shorter "complete" reply.

The replies are written here from each API's public documentation, independently of the
package's emulator, and served through ``FakeGateway`` (a scripted transport) to the real
clients and the LangChain adapter.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cf_gateway_core import ChatRequest, GatewayClient, Message, StreamError
from cf_gateway_core.testing import FakeGateway, Reply
from langchain_cf_gateway import ChatCloudflareAIGateway

TOKEN = "cfut_equivalence-0123456789abcdefghijkl"
MODELS = {
    "chat_completions": ("openai/gpt-5.5", "auto"),
    "messages": ("anthropic/claude-sonnet-4.5", "auto"),
    "responses": ("openai/gpt-5.5", "responses"),
    "run": ("@cf/meta/llama-3.1-8b-instruct", "run"),
}


@dataclass(frozen=True)
class Call:
    id: str
    name: str
    arguments: str  # JSON text; cut short when the reply hit max_tokens inside the call


@dataclass(frozen=True)
class Content:
    """What the model said: text pieces, tool calls and how it ended."""

    pieces: tuple[str, ...]
    calls: tuple[Call, ...]
    length: bool  # max_tokens reached (the last call, if any, is cut off)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


_words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
_args = st.dictionaries(
    st.text("abcxyz", min_size=1, max_size=4),
    st.one_of(st.integers(-5, 5000), _words, st.booleans(), st.none()),
    max_size=3,
)


@st.composite
def contents(draw: st.DrawFn, *, cut_calls: bool = True) -> Content:
    pieces = tuple(draw(st.lists(_words.filter(bool), max_size=3)))
    raw = draw(st.lists(_args, max_size=2))
    calls = [Call(f"call_{i}", f"tool_{i}", json.dumps(a)) for i, a in enumerate(raw)]
    length = draw(st.booleans())
    if length and calls and cut_calls:
        last = calls[-1]
        cut = draw(st.integers(1, len(last.arguments) - 1))
        calls[-1] = Call(last.id, last.name, last.arguments[:cut])
    return Content(pieces, tuple(calls), length)


def _halves(text: str) -> list[str]:
    middle = len(text) // 2
    return [part for part in (text[:middle], text[middle:]) if part]


def _frame(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()


# --------------------------------------------------------------------------- Chat Completions


def _chat_finish(c: Content) -> str:
    return "length" if c.length else ("tool_calls" if c.calls else "stop")


_USAGE_OPENAI = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}


def chat_json(c: Content) -> Any:
    calls = [
        {"id": k.id, "type": "function", "function": {"name": k.name, "arguments": k.arguments}}
        for k in c.calls
    ]
    message: dict[str, Any] = {"role": "assistant", "content": c.text or None}
    if calls:
        message["tool_calls"] = calls
    choice = {"index": 0, "message": message, "finish_reason": _chat_finish(c)}
    return {"id": "r1", "model": "m", "choices": [choice], "usage": _USAGE_OPENAI}


def chat_sse(c: Content) -> tuple[list[bytes], int]:
    frames = [_frame({"id": "r1", "model": "m", "choices": [{"index": 0, "delta": {}}]})]
    frames += [_frame({"choices": [{"index": 0, "delta": {"content": p}}]}) for p in c.pieces]
    for i, k in enumerate(c.calls):
        first, *rest = _halves(k.arguments) or [""]
        fn = {"name": k.name, "arguments": first}
        head = {"index": i, "id": k.id, "type": "function", "function": fn}
        frames.append(_frame({"choices": [{"index": 0, "delta": {"tool_calls": [head]}}]}))
        for part in rest:
            more = {"index": i, "function": {"arguments": part}}
            frames.append(_frame({"choices": [{"index": 0, "delta": {"tool_calls": [more]}}]}))
    end = {"choices": [{"index": 0, "delta": {}, "finish_reason": _chat_finish(c)}]}
    frames.append(_frame(end))
    terminal = len(frames)
    frames += [_frame({"choices": [], "usage": _USAGE_OPENAI}), _frame("[DONE]")]
    return frames, terminal


# --------------------------------------------------------------------------- Anthropic Messages


def _stop_reason(c: Content) -> str:
    return "max_tokens" if c.length else ("tool_use" if c.calls else "end_turn")


def _input(k: Call) -> Any:
    try:
        return json.loads(k.arguments)
    except ValueError:
        return k.arguments  # a call cut off by max_tokens: the raw text


def messages_json(c: Content) -> Any:
    blocks: list[Any] = [{"type": "text", "text": c.text}] if c.text else []
    blocks += [
        {"type": "tool_use", "id": k.id, "name": k.name, "input": _input(k)} for k in c.calls
    ]
    usage = {"input_tokens": 3, "output_tokens": 5}
    return {
        "id": "r1",
        "type": "message",
        "model": "m",
        "content": blocks,
        "stop_reason": _stop_reason(c),
        "usage": usage,
    }


def messages_sse(c: Content) -> tuple[list[bytes], int]:
    def ev(data: dict[str, Any]) -> bytes:
        return _frame(data, data["type"])

    start = {"id": "r1", "model": "m", "usage": {"input_tokens": 3, "output_tokens": 0}}
    frames = [ev({"type": "message_start", "message": start})]
    index = 0
    if c.text:
        block: dict[str, Any] = {"type": "text", "text": ""}
        frames.append(ev({"type": "content_block_start", "index": 0, "content_block": block}))
        for p in c.pieces:
            delta = {"type": "text_delta", "text": p}
            frames.append(ev({"type": "content_block_delta", "index": 0, "delta": delta}))
        frames.append(ev({"type": "content_block_stop", "index": 0}))
        index = 1
    for k in c.calls:
        block = {"type": "tool_use", "id": k.id, "name": k.name, "input": {}}
        frames.append(ev({"type": "content_block_start", "index": index, "content_block": block}))
        for part in _halves(k.arguments):
            delta = {"type": "input_json_delta", "partial_json": part}
            frames.append(ev({"type": "content_block_delta", "index": index, "delta": delta}))
        frames.append(ev({"type": "content_block_stop", "index": index}))
        index += 1
    delta = {"stop_reason": _stop_reason(c)}
    frames.append(ev({"type": "message_delta", "delta": delta, "usage": {"output_tokens": 5}}))
    return [*frames, ev({"type": "message_stop"})], len(frames)


# --------------------------------------------------------------------------- OpenAI Responses


def responses_json(c: Content) -> Any:
    output: list[Any] = []
    if c.text:
        output.append({"type": "message", "content": [{"type": "output_text", "text": c.text}]})
    output += [
        {"type": "function_call", "call_id": k.id, "name": k.name, "arguments": k.arguments}
        for k in c.calls
    ]
    body: dict[str, Any] = {"id": "r1", "model": "m", "status": "completed", "output": output}
    if c.length:
        body["status"] = "incomplete"
        body["incomplete_details"] = {"reason": "max_output_tokens"}
    body["usage"] = {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}
    return body


def responses_sse(c: Content) -> tuple[list[bytes], int]:
    def ev(data: dict[str, Any]) -> bytes:
        return _frame(data, data["type"])

    frames = [ev({"type": "response.created", "response": {"id": "r1", "model": "m"}})]
    position = 0
    if c.text:
        frames += [
            ev({"type": "response.output_text.delta", "output_index": 0, "delta": p})
            for p in c.pieces
        ]
        position = 1
    for offset, k in enumerate(c.calls):
        at = position + offset
        item = {"type": "function_call", "call_id": k.id, "name": k.name, "arguments": ""}
        frames.append(ev({"type": "response.output_item.added", "output_index": at, "item": item}))
        frames += [
            ev({"type": "response.function_call_arguments.delta", "output_index": at, "delta": p})
            for p in _halves(k.arguments)
        ]
    body = responses_json(c)
    kind = "response.incomplete" if c.length else "response.completed"
    frames.append(ev({"type": kind, "response": body}))
    return frames, len(frames)


# --------------------------------------------------------------------------- Workers AI /ai/run


_USAGE_RUN = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}


def run_json(c: Content) -> Any:
    result: dict[str, Any] = {"response": c.text, "usage": _USAGE_RUN}
    if c.calls:
        result["tool_calls"] = [
            {"id": k.id, "name": k.name, "arguments": json.loads(k.arguments)} for k in c.calls
        ]
    return {"result": result, "success": True, "errors": [], "messages": []}


def run_sse(c: Content) -> tuple[list[bytes], int]:
    frames = [_frame({"response": p}) for p in c.pieces]
    if c.calls:
        calls = [
            {"id": k.id, "name": k.name, "arguments": json.loads(k.arguments)} for k in c.calls
        ]
        frames.append(_frame({"tool_calls": calls}))
    frames.append(_frame({"response": "", "usage": _USAGE_RUN}))
    frames.append(_frame("[DONE]"))
    return frames, len(frames)


@dataclass(frozen=True)
class Wire:
    json: Callable[[Content], Any]
    sse: Callable[[Content], tuple[list[bytes], int]]
    cuts_calls: bool = True  # whether the format can end inside a tool call


WIRES = {
    "chat_completions": Wire(chat_json, chat_sse),
    "messages": Wire(messages_json, messages_sse),
    "responses": Wire(responses_json, responses_sse),
    # Native /ai/run replies carry whole calls and no finish reason.
    "run": Wire(run_json, run_sse, cuts_calls=False),
}


# --------------------------------------------------------------------------- the properties


def _client(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(account_id="acct", api_token=TOKEN, http_client=fake.client())


def _request(wire: str) -> ChatRequest:
    return ChatRequest(model=MODELS[wire][0], messages=(Message.user("Hi"),))


def _summary(reply: Any) -> tuple[Any, ...]:
    calls = tuple(
        (k.id, k.name, dict(k.arguments), k.raw_arguments, k.error is None)
        for k in reply.tool_calls
    )
    return reply.text, calls, reply.finish_reason, reply.usage


def _json_then_stream(wire: str, data: st.DataObject) -> tuple[Content, FakeGateway]:
    """A drawn reply in ``wire``'s format, queued on a fake twice: as JSON, then as a stream."""
    spec = WIRES[wire]
    content = data.draw(contents(cut_calls=spec.cuts_calls))
    if wire == "run":  # no finish reason on /ai/run (see WIRES)
        content = Content(content.pieces, content.calls, False)
    fake = FakeGateway()
    frames, _ = spec.sse(content)
    fake.queue(Reply.json(spec.json(content)), endpoint=wire)
    fake.queue(Reply.sse(b"".join(frames)), endpoint=wire)
    return content, fake


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("wire", WIRES)
@_SETTINGS
@given(data=st.data())
def test_stream_and_json_reply_give_the_same_message(wire: str, data: st.DataObject) -> None:
    content, fake = _json_then_stream(wire, data)
    endpoint = MODELS[wire][1]
    with _client(fake) as client:
        whole = client.chat(_request(wire), endpoint=endpoint)
        with client.stream(_request(wire), endpoint=endpoint) as events:
            for _ in events:
                pass
            streamed = events.result()
    assert whole.text == content.text
    assert _summary(streamed) == _summary(whole)
    cut = content.length and content.calls and WIRES[wire].cuts_calls
    if cut:  # the cut-off call is invalid in both, its raw text kept, never guessed
        assert whole.tool_calls[-1].error is not None
        assert whole.tool_calls[-1].raw_arguments == content.calls[-1].arguments
        assert dict(whole.tool_calls[-1].arguments) == {}


@pytest.mark.parametrize("wire", WIRES)
@_SETTINGS
@given(data=st.data())
def test_a_stream_cut_before_its_end_signal_raises(wire: str, data: st.DataObject) -> None:
    spec = WIRES[wire]
    content = data.draw(contents(cut_calls=spec.cuts_calls))
    frames, terminal = spec.sse(content)
    body = b"".join(frames)
    end = len(b"".join(frames[:terminal]))  # the end signal is complete only here
    at = data.draw(st.integers(0, end - 1))
    fake = FakeGateway()
    fake.queue(Reply.sse(body[:at]), endpoint=wire)
    client = _client(fake)
    with (
        client,
        pytest.raises(StreamError) as info,
        client.stream(_request(wire), endpoint=MODELS[wire][1]) as events,
    ):
        for _ in events:
            pass
    assert content.text.startswith(info.value.partial_text)


@pytest.mark.parametrize("wire", WIRES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_langchain_invoke_and_merged_stream_agree(wire: str, data: st.DataObject) -> None:
    _, fake = _json_then_stream(wire, data)
    model = ChatCloudflareAIGateway(
        model=MODELS[wire][0],
        endpoint=MODELS[wire][1],
        account_id="acct",
        api_token=TOKEN,
        http_client=fake.client(),
    )
    invoked = model.invoke("Hi")
    merged = functools.reduce(operator.add, model.stream("Hi"))
    assert merged.content == invoked.content
    assert merged.tool_calls == invoked.tool_calls  # same calls, same (index) order
    names = [(c["id"], c["name"]) for c in invoked.invalid_tool_calls]
    assert [(c["id"], c["name"]) for c in merged.invalid_tool_calls] == names
    assert merged.response_metadata["finish_reason"] == invoked.response_metadata["finish_reason"]
    assert all(c["id"] not in dict(names) for c in merged.tool_calls)  # nothing guessed
