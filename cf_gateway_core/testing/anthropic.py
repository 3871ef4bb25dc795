"""Anthropic Messages replies: ``message`` bodies and ``message_start`` … ``message_stop`` streams.

Shapes as Anthropic documents them (https://docs.anthropic.com/en/api/messages and
https://docs.anthropic.com/en/docs/build-with-claude/streaming): content blocks ``thinking``,
``text`` and ``tool_use``; a stream of ``message_start``, per block ``content_block_start`` /
``content_block_delta`` (``thinking_delta`` + ``signature_delta``, ``text_delta`` +
``citations_delta``, ``input_json_delta``) / ``content_block_stop``, a ``ping``, ``message_delta``
with the stop reason and output tokens, and ``message_stop``. The stream derivation also carries
server-tool blocks (``server_tool_use``, ``web_search_tool_result``) as the API streams them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cf_gateway_core.testing.openai_chat import KEY_SOURCE
from cf_gateway_core.testing.sse import SSEItem
from cf_gateway_core.testing.turns import Split, Turn, fragments, word_pieces

__all__ = ["message", "message_events", "message_stream"]

Body = dict[str, Any]


def stop_reason(turn: Turn) -> str:
    """The Messages ``stop_reason`` of a turn."""
    if turn.truncated:
        return "max_tokens"
    return "tool_use" if turn.tool_calls else "end_turn"


def _blocks(turn: Turn) -> list[Body]:
    blocks: list[Body] = []
    if turn.reasoning:
        thinking = {"type": "thinking", "thinking": turn.reasoning}
        blocks.append({**thinking, "signature": turn.reasoning_signature})
    if turn.text or not turn.tool_calls:
        blocks.append({"type": "text", "text": turn.text})
    for index, call in enumerate(turn.tool_calls):
        if call.raw_arguments is not None:
            raise ValueError("ToolCall.raw_arguments: Anthropic tool_use input is an object")
        call_id = turn.call_id(index, "toolu_01", 22)
        blocks.append(
            {"type": "tool_use", "id": call_id, "name": call.name, "input": dict(call.arguments)}
        )
    return blocks


def _usage(turn: Turn, output_tokens: int) -> Body:
    usage = turn.usage
    cached = usage.cache_read_tokens + usage.cache_creation_tokens
    return {
        # Anthropic counts cached prompt tokens apart from input_tokens.
        "input_tokens": usage.input_tokens - cached,
        "cache_creation_input_tokens": usage.cache_creation_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def message(
    turn: Turn, *, model: str = "anthropic/claude-sonnet-4.5", gateway_metadata: bool = False
) -> Body:
    """Render a turn as an Anthropic ``message`` body.

    Args:
        turn: the reply (``ToolCall.raw_arguments`` is refused: ``input`` is an object).
        model: the ``model`` the body names.
        gateway_metadata: add ``gatewayMetadata`` (the gateway does on ``/ai/v1/messages``).

    Returns:
        The JSON body.
    """
    body: Body = {
        "id": "msg_01" + turn.id[:22],
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _blocks(turn),
        "stop_reason": stop_reason(turn),
        "stop_sequence": None,
        "usage": _usage(turn, turn.usage.output_tokens),
    }
    if gateway_metadata:
        body["gatewayMetadata"] = dict(KEY_SOURCE)
    return body


def _start_and_deltas(block: Mapping[str, Any], split: Split) -> tuple[Body, list[Body]]:
    kind = block["type"]
    if kind == "thinking":
        deltas = [{"type": "thinking_delta", "thinking": p} for p in split(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block.get("signature", "")})
        return {"type": "thinking", "thinking": "", "signature": ""}, deltas
    if kind == "text":
        deltas = [{"type": "text_delta", "text": p} for p in split(block["text"])]
        deltas += [{"type": "citations_delta", "citation": c} for c in block.get("citations", [])]
        return {"type": "text", "text": ""}, deltas
    if kind in ("tool_use", "server_tool_use"):
        raw = json.dumps(block["input"], ensure_ascii=False)
        pieces = fragments(raw)
        return {**block, "input": {}}, [
            {"type": "input_json_delta", "partial_json": p} for p in pieces
        ]
    return dict(block), []  # e.g. web_search_tool_result: whole in its start event


def _block_events(index: int, block: Mapping[str, Any], split: Split) -> list[SSEItem]:
    start, deltas = _start_and_deltas(block, split)
    head = {"type": "content_block_start", "index": index, "content_block": start}
    events: list[SSEItem] = [("content_block_start", head)]
    if index == 0:
        events.append(("ping", {"type": "ping"}))
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    ]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def message_stream(body: Mapping[str, Any], *, split: Split = word_pieces) -> list[SSEItem]:
    """Derive the event stream of a ``message`` body.

    Args:
        body: a body from :func:`message` (or any Messages body: server-tool and cited blocks
            stream as the API streams them).
        split: how texts and thinking are split into deltas.

    Returns:
        The ``(event name, data)`` events, ``message_start`` to ``message_stop``.
    """
    start = {k: v for k, v in body.items() if k != "gatewayMetadata"}
    start.update(content=[], stop_reason=None, stop_sequence=None)
    start["usage"] = {**body["usage"], "output_tokens": 1}
    events: list[SSEItem] = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(body["content"]):
        events += _block_events(index, block, split)
    delta = {"stop_reason": body["stop_reason"], "stop_sequence": body.get("stop_sequence")}
    usage = {"output_tokens": body["usage"]["output_tokens"]}
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    return [*events, ("message_stop", {"type": "message_stop"})]


def message_events(turn: Turn, *, model: str = "anthropic/claude-sonnet-4.5") -> list[SSEItem]:
    """Render a turn as an Anthropic event stream (see :func:`message_stream`).

    Args:
        turn: the reply.
        model: the ``model`` the stream names.

    Returns:
        The events.
    """
    return message_stream(message(turn, model=model), split=turn.split)
