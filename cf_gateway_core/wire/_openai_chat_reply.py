"""Reading OpenAI Chat Completions replies: :func:`parse_response` and the field readers.

The readers (text, reasoning, tool-call arguments, usage, finish reason) are shared with the
stream decoder in :mod:`~cf_gateway_core.wire._openai_chat_stream`, so a streamed and a JSON reply
are read the same way. The public entry point is
:func:`cf_gateway_core.wire.openai_chat.parse_response`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cf_gateway_core.errors import GatewayError
from cf_gateway_core.messages import (
    ChatResponse,
    FinishReason,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
)
from cf_gateway_core.wire._common import (
    accumulator_call_id,
    call_function,
    int_or_zero,
    result_levels,
    str_or_none,
    tool_call_part,
)

__all__ = [
    "map_arguments_text",
    "map_finish_reason",
    "map_reasoning",
    "map_text",
    "map_usage",
    "parse_response",
]

# finish_reason -> neutral reason; model_length and error are Workers AI values — docs/wire-notes.md
# §5.1 [C] (CFAI-FINISH); function_call is OpenAI's legacy tool_calls. Unknown -> "other".
_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}

# Reply keys kept in provider_details when set: gatewayMetadata — docs/wire-notes.md §0.4 [C], A4;
# system_fingerprint / service_tier — A5 [C]; the message's refusal and annotations.
_BODY_DETAILS: tuple[str, ...] = ("gatewayMetadata", "system_fingerprint", "service_tier")
_MESSAGE_DETAILS: tuple[str, ...] = ("refusal", "annotations")

# Content-list item types whose "text" is answer text (OpenAI content parts).
_TEXT_ITEM_TYPES = frozenset({"text", "output_text"})


def parse_response(body: Any) -> ChatResponse:
    """Parse a Chat Completions reply.

    Accepts the raw ``chat.completion``, a ``{"result": body}`` wrapper and the doubly nested
    ``{"result": {"result": body, "gatewayMetadata": …}}`` form (docs/wire-notes.md §4.1).
    Reasoning comes from ``reasoning_content`` or ``reasoning``; a ``refusal`` is kept as answer
    text (so it is never lost and a stream folds to the same text) and also in
    ``provider_details["refusal"]``. Tool calls without an id get ``call_<index>``, the id
    :class:`~cf_gateway_core.events.StreamAccumulator` gives them, so streamed and non-streamed
    replies match. ``gatewayMetadata``, ``system_fingerprint``, ``service_tier`` and non-empty
    ``annotations`` go to ``provider_details``.

    Raises:
        GatewayError: the body is not a chat completion (no ``choices``), e.g. an embedding,
            an image result or the Workers AI legacy ``{"response": …}`` shape.
    """
    node, envelope_metadata = _unwrap(body)
    choices = node["choices"]
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict):
        choice = {}
    message = choice.get("message")
    if not isinstance(message, dict):
        message = {}
    finish, raw_finish = map_finish_reason(choice.get("finish_reason"))
    details = {key: node[key] for key in _BODY_DETAILS if node.get(key) is not None}
    details.update((key, message[key]) for key in _MESSAGE_DETAILS if message.get(key))
    if envelope_metadata is not None:
        details.setdefault("gatewayMetadata", envelope_metadata)
    return ChatResponse(
        parts=_map_message_parts(message),
        id=str_or_none(node.get("id")),
        model=str_or_none(node.get("model")),
        finish_reason=finish,
        raw_finish_reason=raw_finish,
        usage=map_usage(node.get("usage")),
        provider_details=details,
    )


def _unwrap(body: Any) -> tuple[Mapping[str, Any], Any]:
    # The outermost envelope's gatewayMetadata; the body's own is read with _BODY_DETAILS.
    metadata: Any = None
    for node in result_levels(body):
        if "choices" in node:
            return node, metadata
        if metadata is None:
            metadata = node.get("gatewayMetadata")
    raise _not_a_chat_completion(body)


def _not_a_chat_completion(body: Any) -> GatewayError:
    if isinstance(body, dict):
        got = f"an object with keys {', '.join(sorted(map(str, body))[:12]) or '(none)'}"
    else:
        got = f"a JSON {type(body).__name__}"
    return GatewayError(
        f"The reply was not a chat completion (no 'choices'); got {got}. Check that the model "
        "is a chat model served on this endpoint (a Workers AI legacy {'response': …} reply "
        "is read by endpoint='run')."
    )


def _map_message_parts(
    message: dict[str, Any],
) -> tuple[TextPart | ReasoningPart | ToolCallPart, ...]:
    parts: list[TextPart | ReasoningPart | ToolCallPart] = []
    reasoning = map_reasoning(message)
    if reasoning:
        parts.append(ReasoningPart(text=reasoning))
    text = map_text(message.get("content"))
    refusal = message.get("refusal")
    if isinstance(refusal, str):
        text += refusal
    if text:
        parts.append(TextPart(text))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for index, call in enumerate(calls):
            if isinstance(call, dict):
                parts.append(_map_tool_call_part(call, index))
    return tuple(parts)


def _map_tool_call_part(call: dict[str, Any], index: int) -> ToolCallPart:
    function = call_function(call)
    return tool_call_part(  # the accumulator's parser: stream == JSON
        str_or_none(call.get("id")) or accumulator_call_id(index),
        str_or_none(function.get("name")) or "",
        map_arguments_text(function.get("arguments")),
    )


def map_arguments_text(raw: Any) -> str:
    """Tool-call arguments as text.

    A JSON string (OpenAI), or an object (Workers AI, docs/wire-notes.md §4.2 [C]) dumped to
    JSON.
    """
    if isinstance(raw, str):
        return raw
    return "" if raw is None else json.dumps(raw, ensure_ascii=False)


def map_reasoning(container: Mapping[str, Any]) -> str:
    """Reasoning text of a message or delta.

    ``reasoning_content`` (Qwen, GLM, Kimi, DeepSeek) or ``reasoning`` (some GPT-OSS) —
    docs/wire-notes.md §4.2 [C].
    """
    value = container.get("reasoning_content") or container.get("reasoning")
    return value if isinstance(value, str) else ""


def map_text(value: Any) -> str:
    """Answer text from a string, null, a number, a list of content parts or a JSON object.

    Workers AI sends numeric tokens as JSON numbers (docs/wire-notes.md §5.1 [O]) and JSON mode
    answers an object (§4.2 [C]).
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_map_text_item(item) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _map_text_item(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and item.get("type", "text") in _TEXT_ITEM_TYPES:
        text = item.get("text")
        return text if isinstance(text, str) else ""
    return ""


def map_finish_reason(raw: Any) -> tuple[FinishReason | None, str | None]:
    """``finish_reason`` -> (neutral reason, raw reason); ``(None, None)`` when absent."""
    if not isinstance(raw, str) or not raw:
        return None, None
    return _FINISH_REASONS.get(raw, "other"), raw


def map_usage(raw: Any) -> Usage | None:
    """OpenAI usage; Workers AI adds "neurons" (ignored) — docs/wire-notes.md §4.2 [C], §5.1 [O]."""
    if not isinstance(raw, dict):
        return None
    prompt = int_or_zero(raw.get("prompt_tokens"))
    completion = int_or_zero(raw.get("completion_tokens"))
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=int_or_zero(raw.get("total_tokens")) or prompt + completion,
        cache_read_tokens=_map_usage_detail(raw, "prompt_tokens_details", "cached_tokens"),
        reasoning_tokens=_map_usage_detail(raw, "completion_tokens_details", "reasoning_tokens"),
    )


def _map_usage_detail(raw: dict[str, Any], group: str, key: str) -> int | None:
    details = raw.get(group)
    if isinstance(details, dict) and details.get(key) is not None:
        return int_or_zero(details[key])
    return None
