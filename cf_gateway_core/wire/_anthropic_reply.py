"""Reading Anthropic Messages replies: :func:`parse_response`, usage and stop reasons.

:func:`map_usage` and :func:`map_finish_reason` are shared with the stream decoder in
:mod:`~cf_gateway_core.wire._anthropic_stream`. The public entry point is
:func:`cf_gateway_core.wire.anthropic_messages.parse_response`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from cf_gateway_core.errors import GatewayError
from cf_gateway_core.messages import (
    ChatResponse,
    FinishReason,
    GatewayMetadata,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
)
from cf_gateway_core.wire._common import accumulator_call_id, result_levels, tool_call_part, type_of
from cf_gateway_core.wire._server_tools import anthropic_content_blocks

__all__ = ["map_finish_reason", "map_usage", "parse_response"]

_ReplyPart = TextPart | ReasoningPart | ToolCallPart

_FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
    "model_context_window_exceeded": "length",
}

# Message and usage fields kept in ChatResponse.provider_details when present.
_DETAIL_KEYS: tuple[str, ...] = ("stop_sequence", "stop_details", "container")
_USAGE_DETAIL_KEYS = ("service_tier", "inference_geo", "cache_creation", "server_tool_use")


def parse_response(body: Any) -> ChatResponse:
    """Parse an Anthropic message, bare or inside ``{"result": …}`` envelopes.

    Content blocks ``text``, ``thinking``, ``redacted_thinking`` and ``tool_use`` become parts;
    server-tool blocks (``server_tool_use``, ``web_search_tool_result``…) and citations make the
    whole content (but thinking) be kept verbatim as ``content_blocks``.

    Raises:
        GatewayError: the body is not an Anthropic message.
    """
    message, metadata = _unwrap(body)
    parts: list[_ReplyPart] = []
    for index, block in enumerate(message["content"]):
        if isinstance(block, dict):
            mapper = _BLOCK_MAPPERS.get(type_of(block))
            if mapper is not None:
                parts.append(mapper(block, index))
    raw_reason = message.get("stop_reason")
    if not isinstance(raw_reason, str):
        raw_reason = None
    usage = message.get("usage")
    key_source = metadata.get("keySource") if isinstance(metadata, dict) else None
    return ChatResponse(
        parts=_canonical_order(parts),
        id=message.get("id"),
        model=message.get("model"),
        finish_reason=map_finish_reason(raw_reason),
        raw_finish_reason=raw_reason,
        usage=map_usage(usage) if isinstance(usage, dict) else None,
        gateway=GatewayMetadata(key_source=key_source) if isinstance(key_source, str) else None,
        provider_details=_map_details(message, metadata),
        content_blocks=anthropic_content_blocks(message["content"]),
    )


def _unwrap(body: Any) -> tuple[Mapping[str, Any], Any]:
    # The innermost gatewayMetadata wins (the message's own, else the nearest envelope's).
    metadata = None
    for node in result_levels(body):
        metadata = node.get("gatewayMetadata", metadata)
        if isinstance(node.get("content"), list):
            return node, metadata
        if node.get("type") == "error":
            error = node.get("error")
            detail = error.get("message") if isinstance(error, dict) else error
            raise GatewayError(f"the reply is an Anthropic error, not a message: {detail}")
    shape = f"an object with keys {sorted(body)[:8]}" if isinstance(body, dict) else type(body)
    raise GatewayError(
        f"expected an Anthropic message (an object with a 'content' list), got {shape}."
    )


def _map_tool_use_block(block: dict[str, Any], index: int) -> _ReplyPart:
    # The same fallback id the stream accumulator gives (keyed by block index).
    call_id = block.get("id") or accumulator_call_id(index)
    name = block.get("name") or ""
    raw = block.get("input")
    if raw is None or isinstance(raw, dict):
        return ToolCallPart(id=call_id, name=name, arguments=raw or {})
    # Not an object (lenient): parse a string, report anything else as invalid.
    return tool_call_part(call_id, name, raw if isinstance(raw, str) else json.dumps(raw))


_BLOCK_MAPPERS: dict[str, Callable[[dict[str, Any], int], _ReplyPart]] = {
    "text": lambda block, index: TextPart(str(block.get("text") or "")),
    "thinking": lambda block, index: ReasoningPart(
        text=block.get("thinking") or "", signature=block.get("signature") or None
    ),
    "redacted_thinking": lambda block, index: ReasoningPart(
        text="", redacted_data=block.get("data")
    ),
    "tool_use": _map_tool_use_block,
}


def _canonical_order(parts: list[_ReplyPart]) -> tuple[_ReplyPart, ...]:
    # Reasoning, one joined text part, tool calls — as StreamAccumulator builds them.
    if len(parts) == 1 and isinstance(parts[0], TextPart):  # the usual reply: one text block
        return (parts[0],) if parts[0].text else ()
    ordered: list[_ReplyPart] = [p for p in parts if isinstance(p, ReasoningPart)]
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    if text:
        ordered.append(TextPart(text))
    ordered.extend(p for p in parts if isinstance(p, ToolCallPart))
    return tuple(ordered)


def map_finish_reason(raw: str | None) -> FinishReason | None:
    """``stop_reason`` -> neutral reason (unknown -> ``"other"``, absent -> ``None``)."""
    return None if raw is None else _FINISH_REASONS.get(raw, "other")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def map_usage(raw: Mapping[str, Any]) -> Usage:
    """Anthropic usage -> :class:`Usage`, cache reads and writes counted in the input total.

    LangChain's convention: the input total includes cache reads and writes; the cache counts
    are subsets of it. Anthropic reports them apart from ``input_tokens``.
    """
    cache_read = _as_int(raw.get("cache_read_input_tokens"))
    cache_creation = _as_int(raw.get("cache_creation_input_tokens"))
    input_tokens = _as_int(raw.get("input_tokens")) or 0
    input_tokens += (cache_read or 0) + (cache_creation or 0)
    output_tokens = _as_int(raw.get("output_tokens")) or 0
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        cache_read_tokens=cache_read,
        cache_creation_tokens=cache_creation,
    )


def _map_details(message: Mapping[str, Any], metadata: Any) -> dict[str, Any]:
    details = {key: message[key] for key in _DETAIL_KEYS if message.get(key) is not None}
    usage = message.get("usage")
    if isinstance(usage, dict):
        details.update((key, usage[key]) for key in _USAGE_DETAIL_KEYS if key in usage)
    if metadata is not None:
        details["gatewayMetadata"] = metadata
    return details
