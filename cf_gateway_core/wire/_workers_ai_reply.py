"""Reading the Workers AI native reply shape: the legacy ``{"response", "tool_calls", "usage"}``.

:func:`parse_legacy` reads the legacy non-stream result; the readers (text, tool calls, usage,
finish reasons, stable tool-call ids) are shared with the native stream decoder in
:mod:`~cf_gateway_core.wire._workers_ai_stream`. The public entry point is
:func:`cf_gateway_core.wire.workers_ai.parse_response`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cf_gateway_core._tool_calls import parse_tool_arguments
from cf_gateway_core.messages import ChatResponse, FinishReason, TextPart, ToolCallPart, Usage
from cf_gateway_core.wire._common import (
    call_function,
    compact_json,
    int_or_zero,
    mappings,
    tool_call_part,
)

__all__ = [
    "arguments_text",
    "as_str",
    "map_finish_reason",
    "map_text",
    "map_usage",
    "parse_legacy",
    "stable_tool_call_id",
]

# finish_reason values seen on Workers AI — docs/wire-notes.md §5.1 [C] (CFAI-FINISH).
_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}


def parse_legacy(result: Mapping[str, Any]) -> ChatResponse:
    """A legacy text-generation result -> reply (finish reason inferred when none is sent)."""
    # Legacy text-generation output — docs/wire-notes.md §4.2.1 [C], A1, A17.
    text = map_text(result.get("response"))
    calls = [
        _map_tool_call(position, raw)
        for position, raw in enumerate(mappings(result.get("tool_calls")))
    ]
    raw_finish = result.get("finish_reason")
    if isinstance(raw_finish, str) and raw_finish:
        finish = map_finish_reason(raw_finish)
    else:
        raw_finish = None
        finish = "tool_calls" if calls else "stop"
    return ChatResponse(
        parts=(TextPart(text), *calls) if text else tuple(calls),
        finish_reason=finish,
        raw_finish_reason=raw_finish,
        usage=map_usage(result.get("usage")),
    )


def _map_tool_call(position: int, raw: Mapping[str, Any]) -> ToolCallPart:
    # Legacy calls are {"name", "arguments": {object}} without an id (§6.1 [C]); some bodies use
    # the OpenAI {"id", "function": {"name", "arguments"}} form instead.
    source = call_function(raw)
    name = as_str(source.get("name"))
    text = arguments_text(source.get("arguments"))
    call_id = as_str(raw.get("id")) or stable_tool_call_id(position, name, text)
    return tool_call_part(call_id, name, text)


def stable_tool_call_id(position: int, name: str, text: str) -> str:
    """A deterministic id for a call the wire gave none, equal for stream and non-stream."""
    arguments, error = parse_tool_arguments(text)
    canonical = (
        text
        if error
        else json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    )
    seed = f"{position}\x1f{name}\x1f{canonical}".encode()
    return "call_" + hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:24]


def arguments_text(value: Any) -> str:
    """Tool-call arguments as text: a JSON string as it is, an object as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return compact_json(value)


def map_text(value: Any) -> str:
    """Text from a string, null, a number or a JSON-mode object."""
    # JSON mode may return an object (CF-JSONMODE) and numbers have been seen — §4.2.1 [C]/[O].
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def as_str(value: Any) -> str:
    """A string as it is; anything else reads as ``""``."""
    return value if isinstance(value, str) else ""


def _detail(usage: Mapping[str, Any], group: str, key: str) -> int | None:
    details = usage.get(group)
    if isinstance(details, Mapping) and key in details:
        return int_or_zero(details[key])
    return None


def map_usage(value: Any) -> Usage | None:
    """Workers AI usage (OpenAI names, or input/output names) -> :class:`Usage`."""
    # {"prompt_tokens", "completion_tokens", "total_tokens", "neurons"?,
    #  "prompt_tokens_details": {"cached_tokens"}?} — §4.2.1 [C], §5.1 [O]; neurons ignored.
    if not isinstance(value, Mapping):
        return None
    prompt = int_or_zero(value.get("prompt_tokens", value.get("input_tokens")))
    completion = int_or_zero(value.get("completion_tokens", value.get("output_tokens")))
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=int_or_zero(value.get("total_tokens")) or prompt + completion,
        cache_read_tokens=_detail(value, "prompt_tokens_details", "cached_tokens"),
        reasoning_tokens=_detail(value, "completion_tokens_details", "reasoning_tokens"),
    )


def map_finish_reason(raw: str) -> FinishReason:
    """A Workers AI ``finish_reason`` -> neutral reason (unknown -> ``"other"``)."""
    return _FINISH_REASONS.get(raw, "other")
