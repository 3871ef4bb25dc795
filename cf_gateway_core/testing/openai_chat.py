"""OpenAI Chat Completions replies: ``chat.completion`` bodies, ``chat.completion.chunk`` streams.

Shapes as OpenAI documents them (https://platform.openai.com/docs/api-reference/chat/object and
https://platform.openai.com/docs/api-reference/chat-streaming): the stream opens with the role,
sends reasoning (``reasoning_content``, as the gateway's reasoning models do), text and tool-call
argument deltas, a chunk with the ``finish_reason``, a ``choices: []`` usage chunk and ``[DONE]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cf_gateway_core.testing.sse import SSEItem
from cf_gateway_core.testing.turns import Split, Turn, fragments, word_pieces

__all__ = ["CREATED", "KEY_SOURCE", "chat_completion", "chat_completion_chunks", "chat_events"]

CREATED = 1_767_225_600
"""A fixed ``created`` timestamp (2026-01-01T00:00:00Z), so replies are deterministic."""
KEY_SOURCE = {"keySource": "Unified"}
"""The ``gatewayMetadata`` the gateway adds to third-party models' replies."""

Body = dict[str, Any]


def finish_reason(turn: Turn) -> str:
    """The Chat Completions ``finish_reason`` of a turn."""
    if turn.truncated:
        return "length"
    return "tool_calls" if turn.tool_calls else "stop"


def _usage(turn: Turn) -> Body:
    usage = turn.usage
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def chat_completion(
    turn: Turn, *, model: str = "openai/gpt-5.5", gateway_metadata: bool = False
) -> Body:
    """Render a turn as a ``chat.completion`` body.

    Args:
        turn: the reply.
        model: the ``model`` the body names.
        gateway_metadata: add ``gatewayMetadata`` (the gateway does for third-party models).

    Returns:
        The JSON body.
    """
    message: Body = {"role": "assistant", "content": turn.text or None, "refusal": None}
    if turn.reasoning:
        message["reasoning_content"] = turn.reasoning
    if turn.tool_calls:
        message["tool_calls"] = [
            {
                "id": turn.call_id(index, "call_", 24),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for index, call in enumerate(turn.tool_calls)
        ]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": finish_reason(turn),
    }
    body: Body = {
        "id": "chatcmpl-" + turn.id[:29],
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [choice],
        "usage": _usage(turn),
        "system_fingerprint": "fp_emulator",
    }
    if gateway_metadata:
        body["gatewayMetadata"] = dict(KEY_SOURCE)
    return body


def _chunk(body: Mapping[str, Any], usage: bool, delta: Body, finish: str | None = None) -> Body:
    chunk: Body = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body.get("created", CREATED),
        "model": body["model"],
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if usage:  # with include_usage, every chunk but the last carries "usage": null (OpenAI's docs)
        chunk["usage"] = None
    return chunk


def _call_chunks(
    body: Mapping[str, Any], usage: bool, index: int, call: Mapping[str, Any]
) -> list[SSEItem]:
    function = call["function"]
    start = {**call, "index": index, "function": {"name": function["name"], "arguments": ""}}
    frames: list[SSEItem] = [_chunk(body, usage, {"tool_calls": [start]})]
    frames += [
        _chunk(body, usage, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        for piece in fragments(function["arguments"])
    ]
    return frames


def chat_completion_chunks(
    body: Mapping[str, Any], *, split: Split = word_pieces, include_usage: bool = True
) -> list[SSEItem]:
    """Derive the stream of a ``chat.completion`` body.

    Args:
        body: a body from :func:`chat_completion` (or written by hand in that shape).
        split: how the text and the reasoning are split into deltas.
        include_usage: end with the ``choices: []`` usage chunk and give every other chunk
            ``"usage": null``, as OpenAI does when the request asks with
            ``stream_options.include_usage`` (without it, no chunk has a ``usage`` field:
            https://platform.openai.com/docs/api-reference/chat-streaming/streaming).

    Returns:
        The events: ``chat.completion.chunk`` objects, then ``"[DONE]"``.
    """
    choice = body["choices"][0]
    message = choice["message"]
    usage = include_usage
    frames: list[SSEItem] = [_chunk(body, usage, {"role": "assistant", "content": ""})]
    for key in ("reasoning_content", "content"):
        text = message.get(key) or ""
        frames += [_chunk(body, usage, {key: piece}) for piece in split(text)]
    for index, call in enumerate(message.get("tool_calls") or ()):
        frames += _call_chunks(body, usage, index, call)
    frames.append(_chunk(body, usage, {}, choice["finish_reason"]))
    if include_usage:
        last = _chunk(body, usage, {})
        last.update(choices=[], usage=body.get("usage"))
        frames.append(last)
    return [*frames, "[DONE]"]


def chat_events(
    turn: Turn, *, model: str = "openai/gpt-5.5", include_usage: bool = True
) -> list[SSEItem]:
    """Render a turn as a Chat Completions stream (see :func:`chat_completion_chunks`).

    Args:
        turn: the reply.
        model: the ``model`` the chunks name.
        include_usage: end with the usage chunk.

    Returns:
        The events.
    """
    body = chat_completion(turn, model=model)
    return chat_completion_chunks(body, split=turn.split, include_usage=include_usage)
