"""Helpers the wire modules share: envelope levels, JSON scalars, tool calls and results, errors.

Only logic that is the same in every module that uses it lives here; a dialect's own readers
(usage, finish reasons, text) and its error wording stay in that dialect's modules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from cf_gateway_core._tool_calls import accumulator_call_id, tool_call_part
from cf_gateway_core.errors import GatewayConfigError, StreamError, parse_error_body
from cf_gateway_core.messages import TextPart, ToolResultPart

__all__ = [
    "accumulator_call_id",
    "call_function",
    "compact_json",
    "cut_short",
    "is_error_frame",
    "int_or_zero",
    "mappings",
    "result_levels",
    "str_or_none",
    "stream_error",
    "tool_call_part",
    "tool_result_text",
    "type_of",
]


def result_levels(body: Any) -> Iterator[Mapping[str, Any]]:
    """The body and the objects nested under ``result``, outermost first (three at most).

    A reply comes bare, as ``{"result": body}``, or as ``{"result": {"result": body,
    "gatewayMetadata": …}}`` — docs/wire-notes.md §4.1 [C]/[O]. Stops at the first level that is
    not a JSON object.
    """
    node = body
    for _ in range(3):
        if not isinstance(node, Mapping):
            return
        yield node
        node = node.get("result")


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The objects in a JSON array (anything else reads as empty)."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def type_of(value: Mapping[str, Any], fallback: str = "") -> str:
    """A JSON object's ``type`` when it is a string, else ``fallback``.

    A list or object there would crash a table lookup: lenient on what we read.
    """
    kind = value.get("type")
    return kind if isinstance(kind, str) and kind else fallback


def str_or_none(value: Any) -> str | None:
    """A non-empty string, or ``None``."""
    return value if isinstance(value, str) and value else None


def int_or_zero(value: Any) -> int:
    """A JSON number as an ``int`` (booleans and anything else read as 0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return 0


def compact_json(value: Any) -> str:
    """JSON text without spaces, non-ASCII kept as is (tool-call arguments)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def call_function(call: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object holding a tool call's ``name`` and ``arguments``.

    OpenAI nests them in ``function``; Workers AI also sends the flat ``{"name", "arguments"}``
    form — docs/wire-notes.md §6.1 [C].
    """
    function = call.get("function")
    return function if isinstance(function, Mapping) else call


def tool_result_text(part: ToolResultPart, image_error: str) -> str:
    """A tool result's content as one string, for APIs whose tool output is text only.

    Args:
        part: the tool result; text parts are joined with ``""``.
        image_error: the rest of the error message after ``tool result '<id>'``, saying what to
            do instead on this API.

    Raises:
        GatewayConfigError: the content holds an image.
    """
    if isinstance(part.content, str):
        return part.content
    texts: list[str] = []
    for item in part.content:
        if not isinstance(item, TextPart):
            raise GatewayConfigError(f"tool result {part.tool_call_id!r} {image_error}")
        texts.append(item.text)
    return "".join(texts)


def is_error_frame(frame: Mapping[str, Any]) -> bool:
    """Whether a stream frame is an error.

    That is ``{"error": …}`` or a v4 envelope ``{"success": false, "errors": [...]}``
    (Cloudflare's error shape,
    https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/).
    """
    if "error" not in frame and "errors" not in frame and "success" not in frame:
        return False  # the usual frame: three lookups instead of three calls
    return bool(frame.get("error") or frame.get("errors")) or frame.get("success") is False


def stream_error(data: str, *, body: object, partial_text: str = "") -> StreamError:
    """The :class:`StreamError` for an error frame, read with the shapes ``errors.py`` knows.

    ``{"error": {...}}``, ``{"error": "…"}`` and the v4 ``errors`` list all give a message and,
    when there is one, the error ``code`` (kept on the error).
    """
    _, code, message = parse_error_body(data.encode())
    code_text = f" (code {code})" if code is not None else ""
    return StreamError(
        f"the stream reported an error{code_text}: {message}",
        partial_text=partial_text,
        body=body,
        code=code,
    )


def cut_short(signal: str) -> StreamError:
    """The :class:`StreamError` for a stream that ended without its format's end ``signal``.

    The caller adds the partial text. The reply may be incomplete, so it is never returned as if
    it were whole.
    """
    return StreamError(
        f"the stream ended before {signal}; the reply is incomplete (the connection was closed "
        "or the body was cut short)."
    )
