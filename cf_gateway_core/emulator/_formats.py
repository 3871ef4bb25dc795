"""Render an :class:`~cf_gateway_core.emulator._answer.Answer` in each API's real wire shape.

JSON bodies and SSE frame lists for OpenAI Chat Completions, Anthropic Messages, OpenAI Responses
and the Workers AI run API (native legacy shape and stream; the universal ``/ai/run`` envelope).
Shapes follow the captures in docs/wire-notes.md Appendix A; streams split the text into word
chunks and tool-call arguments into a few fragments, as real streams do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from cf_gateway_core.emulator._answer import Answer, ToolCall
from cf_gateway_core.emulator.exchange import SSEItem

__all__ = ["FORMATS", "Format", "universal_envelope", "v4_envelope"]

CREATED = 1_767_225_600
"""A fixed ``created`` timestamp (2026-01-01T00:00:00Z): replies are deterministic."""
_KEY_SOURCE = {"keySource": "Unified"}
_WORD_PIECE = re.compile(r"\s*\S+")
_PADDING = "abcdefghijklmnopqrstuvwxyz0123456789"

Body = dict[str, Any]
Frames = list[SSEItem]


def _pieces(text: str) -> list[str]:
    """Word chunks (each with its leading space) that join back to ``text``."""
    pieces = _WORD_PIECE.findall(text)
    rest = text[len("".join(pieces)) :]
    return [*pieces[:-1], pieces[-1] + rest] if pieces else ([rest] if rest else [])


def _fragments(arguments: str) -> list[str]:
    """Tool-call argument JSON in three fragments (the first may be empty for tiny objects)."""
    third = max(1, len(arguments) // 3)
    return [arguments[:third], arguments[third : 2 * third], arguments[2 * third :]]


def _arguments(call: ToolCall) -> str:
    if call.raw is not None:  # a call cut short by max_tokens
        return call.raw
    return json.dumps(call.arguments, ensure_ascii=False)


def v4_envelope(result: Any) -> Body:
    """The Cloudflare v4 success envelope — docs/wire-notes.md §4.1 [C]."""
    return {"result": result, "success": True, "errors": [], "messages": []}


def universal_envelope(inner: Body) -> Body:
    """``/ai/run`` with the model in the body: doubly nested — docs/wire-notes.md §0.5 [O]."""
    return {
        "success": True,
        "result": {"result": inner, "gatewayMetadata": dict(_KEY_SOURCE)},
        "errors": [],
        "messages": [],
    }


# ----------------------------------------------------------------- OpenAI Chat Completions


def _chat_id(a: Answer) -> str:
    return "chatcmpl-" + a.seed[:29]


def _chat_usage(a: Answer) -> Body:
    return {
        "prompt_tokens": a.input_tokens,
        "completion_tokens": a.output_tokens,
        "total_tokens": a.input_tokens + a.output_tokens,
        "prompt_tokens_details": {"cached_tokens": a.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _chat_call(call: ToolCall) -> Body:
    return {
        "id": "call_" + call.key[:24],
        "type": "function",
        "function": {"name": call.name, "arguments": _arguments(call)},
    }


def _finish(a: Answer) -> str:
    if a.cut:
        return "length"
    return "tool_calls" if a.tool_calls else "stop"


def chat_completion(a: Answer, metadata: bool) -> Body:
    """A ``chat.completion`` body (A4/A5), with ``gatewayMetadata`` for third-party models."""
    message: Body = {"role": "assistant", "content": a.text or None, "refusal": None}
    if a.tool_calls:
        message["tool_calls"] = [_chat_call(c) for c in a.tool_calls]
    body: Body = {
        "id": _chat_id(a),
        "object": "chat.completion",
        "created": CREATED,
        "model": a.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(a)}
        ],
        "usage": _chat_usage(a),
        "system_fingerprint": "fp_emulator",
    }
    if metadata:
        body["gatewayMetadata"] = dict(_KEY_SOURCE)
    return body


def _chunk(a: Answer, delta: Body, finish: str | None = None) -> Body:
    return {
        "id": _chat_id(a),
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": a.model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": None,
    }


def chat_chunks(a: Answer, _: bool) -> Frames:
    """``chat.completion.chunk`` frames, a ``choices: []`` usage chunk and ``[DONE]`` (A5)."""
    frames: Frames = [_chunk(a, {"role": "assistant", "content": ""})]
    frames += [_chunk(a, {"content": piece}) for piece in _pieces(a.text)]
    for index, call in enumerate(a.tool_calls):
        start = {"index": index, **_chat_call(call)}
        start["function"] = {"name": call.name, "arguments": ""}
        frames.append(_chunk(a, {"tool_calls": [start]}))
        frames += [
            _chunk(a, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in _fragments(_arguments(call))
        ]
    frames.append(_chunk(a, {}, _finish(a)))
    usage = _chunk(a, {})
    usage.update(choices=[], usage=_chat_usage(a))
    return [*frames, usage, "[DONE]"]


# ----------------------------------------------------------------- Anthropic Messages


def _anthropic_blocks(a: Answer) -> list[Body]:
    blocks: list[Body] = []
    if a.text or not a.tool_calls:
        blocks.append({"type": "text", "text": a.text})
    for call in a.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": "toolu_01" + call.key[:22],
                "name": call.name,
                "input": dict(call.arguments),
            }
        )
    return blocks


def _anthropic_usage(a: Answer, output_tokens: int) -> Body:
    return {
        # Anthropic counts cached prompt tokens apart from input_tokens.
        "input_tokens": a.input_tokens - a.cache_read_tokens - a.cache_creation_tokens,
        "cache_creation_input_tokens": a.cache_creation_tokens,
        "cache_read_input_tokens": a.cache_read_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def anthropic_message(a: Answer, metadata: bool) -> Body:
    """An Anthropic ``message`` body (A7)."""
    body: Body = {
        "id": "msg_01" + a.seed[:22],
        "type": "message",
        "role": "assistant",
        "model": a.model,
        "content": _anthropic_blocks(a),
        "stop_reason": "tool_use" if a.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": _anthropic_usage(a, a.output_tokens),
    }
    if metadata:
        body["gatewayMetadata"] = dict(_KEY_SOURCE)
    return body


def _block_frames(index: int, block: Body) -> Frames:
    if block["type"] == "text":
        start: Body = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"])]
    else:
        start = {**block, "input": {}}
        arguments = json.dumps(block["input"], ensure_ascii=False)
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in _fragments(arguments)]
    frames: Frames = [
        (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        )
    ]
    if index == 0:
        frames.append(("ping", {"type": "ping"}))
    frames += [
        ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    ]
    frames.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return frames


def anthropic_events(a: Answer, _: bool) -> Frames:
    """The Anthropic event sequence: ``message_start`` … ``message_stop`` (§5.4, A7)."""
    start = anthropic_message(a, False)
    start.update(content=[], stop_reason=None, usage=_anthropic_usage(a, 1))
    frames: Frames = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(_anthropic_blocks(a)):
        frames += _block_frames(index, block)
    delta = {"stop_reason": "tool_use" if a.tool_calls else "end_turn", "stop_sequence": None}
    frames.append(
        (
            "message_delta",
            {"type": "message_delta", "delta": delta, "usage": {"output_tokens": a.output_tokens}},
        )
    )
    return [*frames, ("message_stop", {"type": "message_stop"})]


# ----------------------------------------------------------------- OpenAI Responses


def _responses_items(a: Answer) -> list[Body]:
    items: list[Body] = []
    if a.text or not a.tool_calls:
        part = {"type": "output_text", "text": a.text, "annotations": [], "logprobs": []}
        items.append(
            {
                "id": "msg_" + a.seed[:48],
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    for call in a.tool_calls:
        items.append(
            {
                "id": "fc_" + call.key[:48],
                "type": "function_call",
                "status": "completed",
                "call_id": "call_" + call.key[:24],
                "name": call.name,
                "arguments": _arguments(call),
            }
        )
    return items


def responses_object(a: Answer, metadata: bool) -> Body:
    """A Responses ``response`` object (A6)."""
    body: Body = {
        "id": "resp_" + a.seed[:48],
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "completed_at": CREATED + 1,
        "error": None,
        "incomplete_details": None,
        "model": a.model,
        "output": _responses_items(a),
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "usage": {
            "input_tokens": a.input_tokens,
            "input_tokens_details": {"cached_tokens": a.cache_read_tokens},
            "output_tokens": a.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": a.input_tokens + a.output_tokens,
        },
        "store": False,
        "metadata": {},
    }
    if metadata:
        body["gatewayMetadata"] = dict(_KEY_SOURCE)
    return body


def _item_events(index: int, item: Body) -> list[Body]:
    ids = {"item_id": item["id"], "output_index": index}
    if item["type"] == "function_call":
        events = [
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": {**item, "arguments": "", "status": "in_progress"},
            }
        ]
        events += [
            {"type": "response.function_call_arguments.delta", **ids, "delta": piece}
            for piece in _fragments(item["arguments"])
        ]
        events.append(
            {"type": "response.function_call_arguments.done", **ids, "arguments": item["arguments"]}
        )
    else:
        part = item["content"][0]
        text_ids = {**ids, "content_index": 0}
        empty = {**part, "text": ""}
        events = [
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": {**item, "content": [], "status": "in_progress"},
            },
            {"type": "response.content_part.added", **text_ids, "part": empty},
            *(
                {"type": "response.output_text.delta", **text_ids, "delta": piece, "logprobs": []}
                for piece in _pieces(part["text"])
            ),
            {"type": "response.output_text.done", **text_ids, "text": part["text"], "logprobs": []},
            {"type": "response.content_part.done", **text_ids, "part": part},
        ]
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


def responses_events(a: Answer, _: bool) -> Frames:
    """Responses stream events with ``sequence_number``, ending ``response.completed`` (§5.5)."""
    final = responses_object(a, False)
    pending = {**final, "status": "in_progress", "completed_at": None, "output": [], "usage": None}
    events: list[Body] = [
        {"type": "response.created", "response": pending},
        {"type": "response.in_progress", "response": pending},
    ]
    for index, item in enumerate(final["output"]):
        events += _item_events(index, item)
    events.append({"type": "response.completed", "response": final})
    return [
        (event["type"], {**event, "sequence_number": number}) for number, event in enumerate(events)
    ]


# ----------------------------------------------------------------- Workers AI native run


def _native_usage(a: Answer) -> Body:
    return {
        "prompt_tokens": a.input_tokens,
        "completion_tokens": a.output_tokens,
        "total_tokens": a.input_tokens + a.output_tokens,
    }


def native_result(a: Answer, _: bool) -> Body:
    """v4 envelope with the legacy ``{"response", "tool_calls", "usage"}`` result (A1, A17).

    JSON mode puts the object itself in ``response`` (CF-JSONMODE, §4.2.1 [C]).
    """
    result: Body = {"response": a.json_value if a.json_value is not None else a.text}
    if a.tool_calls:
        # Legacy calls: arguments an object, no id — docs/wire-notes.md §6.1 [C].
        result["tool_calls"] = [
            {"name": c.name, "arguments": dict(c.arguments)} for c in a.tool_calls
        ]
    result["usage"] = _native_usage(a)
    return v4_envelope(result)


def native_frames(a: Answer, _: bool) -> Frames:
    """Native frames ``{"response", "p"}``, tool calls, the usage trailer and ``[DONE]`` (§5.1)."""
    frames: Frames = [
        {"response": piece, "p": _PADDING[: 4 + (i * 7) % 30]}
        for i, piece in enumerate(_pieces(a.text))
    ]
    if a.tool_calls:
        calls = [{"name": c.name, "arguments": dict(c.arguments)} for c in a.tool_calls]
        frames.append({"tool_calls": calls, "p": _PADDING[:7]})
    frames.append({"response": "", "usage": _native_usage(a)})
    return [*frames, "[DONE]"]


Format = tuple[Callable[[Answer, bool], Body], Callable[[Answer, bool], Frames]]
"""A wire format: (JSON body builder, stream frames builder); the flag asks for gatewayMetadata."""

FORMATS: dict[str, Format] = {
    "openai_chat": (chat_completion, chat_chunks),
    "anthropic": (anthropic_message, anthropic_events),
    "responses": (responses_object, responses_events),
    "native": (native_result, native_frames),
}
"""Reply format name -> builders."""
