"""Decoding OpenAI Responses streams into neutral events; JSON replies are folded the same way.

The public name is :class:`cf_gateway_core.wire.openai_responses.ChunkDecoder`.
:func:`~cf_gateway_core.wire.openai_responses.parse_response` runs a reply's output items through
:func:`final_events`, the code a stream's terminal event goes through, so a JSON reply and a stream
of it give equal replies by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cf_gateway_core import _json
from cf_gateway_core.errors import StreamError
from cf_gateway_core.events import (
    ContentBlocks,
    Finish,
    ReasoningDelta,
    ResponseStart,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from cf_gateway_core.messages import FinishReason, Usage
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire._common import (
    compact_json,
    cut_short,
    mappings,
    str_or_none,
    stream_error,
    type_of,
)
from cf_gateway_core.wire._server_tools import responses_content_blocks

__all__ = ["ChunkDecoder", "final_events", "map_error"]

# --------------------------------------------------------------------------- readers

# Incomplete reasons and non-terminal statuses -> neutral finish reasons (OpenAI Responses spec).
_INCOMPLETE_REASONS: dict[str, FinishReason] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
_STATUS_REASONS: dict[str, FinishReason | None] = {
    "cancelled": "other",
    "in_progress": None,
    "queued": None,
}


def _map_finish(data: Mapping[str, Any], has_calls: bool) -> tuple[FinishReason | None, str | None]:
    """``status`` (+ ``incomplete_details.reason``) -> (neutral reason, raw reason)."""
    status = str_or_none(data.get("status")) or "completed"
    if status == "completed":
        return ("tool_calls" if has_calls else "stop"), status
    if status == "incomplete":
        details = data.get("incomplete_details")
        reason = str_or_none(details.get("reason")) if isinstance(details, Mapping) else None
        return _INCOMPLETE_REASONS.get(reason or "", "other"), reason or status
    return _STATUS_REASONS.get(status, "other"), status


def _map_usage(value: Any) -> Usage | None:
    if not isinstance(value, Mapping):
        return None
    input_tokens = _int(value.get("input_tokens")) or 0
    output_tokens = _int(value.get("output_tokens")) or 0
    total = _int(value.get("total_tokens"))
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total if total is not None else input_tokens + output_tokens,
        cache_read_tokens=_int(_get(value, "input_tokens_details", "cached_tokens")),
        reasoning_tokens=_int(_get(value, "output_tokens_details", "reasoning_tokens")),
    )


def map_error(error: Any) -> str:
    """An error object ``{"code", "message"}`` -> one readable line."""
    if not isinstance(error, Mapping):
        return "no error details were given."
    message = str_or_none(error.get("message")) or "no message was given."
    code = error.get("code")
    return f"{message} (code {code})" if code else message


def _get(value: Mapping[str, Any], key: str, inner: str) -> Any:
    nested = value.get(key)
    return nested.get(inner) if isinstance(nested, Mapping) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return int(value) if isinstance(value, str) and value.isdigit() else None


# --------------------------------------------------------------------------- decoder

_Key = tuple[int, str, int]


class ChunkDecoder:
    """Responses stream events -> neutral events (one decoder per stream).

    The stream has no ``[DONE]``; it ends with ``response.completed`` / ``response.incomplete``
    (usage and finish) or ``response.failed`` — docs/wire-notes.md §5.5 [C]. Text, reasoning and
    arguments come as deltas; a ``.done`` event, a finished output item or the final response
    object supplies whatever no delta carried, so nothing is lost and nothing doubled.
    """

    __slots__ = ("_finished", "_has_calls", "_idents", "_reasoning", "_seen", "_started", "_text")

    def __init__(self) -> None:
        """Start a fresh stream."""
        self._started = False
        self._finished = False
        self._has_calls = False
        self._seen: set[_Key] = set()
        self._idents: set[int] = set()
        self._reasoning: set[int] = set()
        self._text: list[str] = []

    def text_frame(self, frame: dict[str, Any], event: str) -> str | None:
        """The text of an ``output_text.delta`` (see the ``ChunkDecoder`` protocol); else ``None``.

        What :meth:`feed` and ``_piece_events`` do with such an event, without the tables.
        """
        if type_of(frame, event) != "response.output_text.delta":
            return None
        text = frame.get("delta")
        if type(text) is not str:
            return None
        if text:
            self._seen.add((_index(frame), "text", _int(frame.get("content_index")) or 0))
            self._text.append(text)
        return text

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event; unknown event types give ``[]``.

        Raises:
            StreamError: a ``response.failed`` or ``error`` event.
        """
        try:
            data = _json.loads(event.data)
        except (ValueError, RecursionError):
            if event.event == "error":
                raise self._error(
                    f"The stream reported an error: {event.data}", event.data
                ) from None
            return []
        if not isinstance(data, dict):
            return []
        data["type"] = kind = type_of(data, event.event)
        handler = _EVENT_HANDLERS.get(kind)
        if handler is not None:
            return handler(self, data)
        if data.get("success") is False or data.get("errors"):  # a v4 error envelope
            raise stream_error(event.data, body=data, partial_text="".join(self._text))
        return []

    def close(self) -> list[StreamEvent]:
        """End of stream.

        Raises:
            StreamError: the stream ended before ``response.completed`` / ``.incomplete`` /
                ``.failed`` (it was cut short).
        """
        if not self._finished:
            raise cut_short("response.completed, response.incomplete or response.failed")
        return []

    # -- events

    def _on_created(self, data: dict[str, Any]) -> list[StreamEvent]:
        response = _mapping(data.get("response"))
        self._started = True
        return [ResponseStart(str_or_none(response.get("id")), str_or_none(response.get("model")))]

    def _on_piece(self, data: dict[str, Any]) -> list[StreamEvent]:
        """A text, refusal, reasoning or arguments ``.delta`` (or its whole-text ``.done``)."""
        kind, sub_field, text_field = _PIECES[data["type"]]
        key = (_index(data), kind, _int(data.get(sub_field)) or 0)
        return self._piece_events(key, data.get(text_field), text_field == "delta")

    def _on_item(self, data: dict[str, Any]) -> list[StreamEvent]:
        item = _mapping(data.get("item"))
        if data["type"] == "response.output_item.done":
            return self._item_events(_index(data), item)
        if item.get("type") != "function_call":
            return []
        return self._call_events(_index(data), item, is_delta=True)

    def _on_terminal(self, data: dict[str, Any]) -> list[StreamEvent]:
        status = data["type"].removeprefix("response.")
        return self._final_events(_mapping(data.get("response")), status)

    def _final_events(self, response: Mapping[str, Any], status: str) -> list[StreamEvent]:
        """The final response object: start (if missing), unseen items, usage and finish."""
        events: list[StreamEvent] = []
        if not self._started:
            self._started = True
            events.append(
                ResponseStart(str_or_none(response.get("id")), str_or_none(response.get("model")))
            )
        for index, item in enumerate(mappings(response.get("output"))):
            events.extend(self._item_events(index, item))
        usage = _map_usage(response.get("usage"))
        if usage is not None:
            events.append(UsageUpdate(usage))
        # Built-in tool calls and annotated text, kept verbatim (wire/_server_tools.py).
        blocks = responses_content_blocks(response.get("output"))
        if blocks:
            events.append(ContentBlocks(blocks))
        events.append(Finish(*_map_finish({"status": status, **response}, self._has_calls)))
        self._finished = True
        return events

    def _on_failed(self, data: dict[str, Any]) -> list[StreamEvent]:
        error = _mapping(data.get("response")).get("error")
        raise self._error(f"The response failed: {map_error(error)}", data)

    def _on_error(self, data: dict[str, Any]) -> list[StreamEvent]:
        # Spec: {"type":"error","code","message","param"}; a nested {"error":{…}} is read too.
        error = data.get("error") if isinstance(data.get("error"), Mapping) else data
        raise self._error(f"The stream reported an error: {map_error(error)}", data)

    def _error(self, message: str, body: object) -> StreamError:
        return StreamError(message, partial_text="".join(self._text), body=body)

    # -- whole items (``output_item.done`` and the final response's ``output``)

    def _item_events(self, index: int, item: Mapping[str, Any]) -> list[StreamEvent]:
        item_type = type_of(item)
        if item_type == "function_call":
            return self._call_events(index, item, is_delta=False)
        events: list[StreamEvent] = []
        for field, kind in _ITEM_TEXTS.get(item_type, ()):
            for sub, part in enumerate(mappings(item.get(field))):
                text = part.get("text", part.get("refusal"))  # output_text | refusal | reasoning
                events.extend(self._piece_events((index, kind, sub), text, False))
        return events

    # -- emitters

    def _piece_events(self, key: _Key, text: Any, is_delta: bool) -> list[StreamEvent]:
        """Emit a non-empty delta, or whole text for a part whose deltas were never seen."""
        new_part = key not in self._seen
        if not isinstance(text, str) or not text or (not is_delta and not new_part):
            return []
        self._seen.add(key)
        index, kind, _ = key
        if kind == "text":
            self._text.append(text)
            return [TextDelta(text)]
        if kind == "arguments":
            self._has_calls = True
            return [ToolCallDelta(index, arguments=text)]
        if new_part and index in self._reasoning:
            text = "\n\n" + text  # parts of one reasoning item, as parse_response joins them
        self._reasoning.add(index)
        return [ReasoningDelta(text, index=index)]

    def _call_events(
        self, index: int, item: Mapping[str, Any], *, is_delta: bool
    ) -> list[StreamEvent]:
        """A function_call item: id and name once, plus arguments no delta carried."""
        self._has_calls = True
        call_id = str_or_none(item.get("call_id")) or str_or_none(item.get("id"))
        name = str_or_none(item.get("name"))
        arguments = _arguments_text(item.get("arguments"))
        ident = index not in self._idents
        pieces = self._piece_events((index, "arguments", 0), arguments, is_delta)
        if not ident:
            return pieces
        self._idents.add(index)
        return [ToolCallDelta(index, call_id, name, arguments if pieces else "")]


# Delta/done event -> (key kind, sub-index field, field with the text); "delta" marks a delta.
_PIECES: dict[str, tuple[str, str, str]] = {
    "response.output_text.delta": ("text", "content_index", "delta"),
    "response.output_text.done": ("text", "content_index", "text"),
    "response.refusal.delta": ("text", "content_index", "delta"),
    "response.refusal.done": ("text", "content_index", "refusal"),
    "response.reasoning_text.delta": ("reasoning", "content_index", "delta"),
    "response.reasoning_text.done": ("reasoning", "content_index", "text"),
    "response.reasoning_summary_text.delta": ("summary", "summary_index", "delta"),
    "response.reasoning_summary_text.done": ("summary", "summary_index", "text"),
    "response.function_call_arguments.delta": ("arguments", "", "delta"),
    "response.function_call_arguments.done": ("arguments", "", "arguments"),
}

# Output item type -> (field holding text parts, key kind); reasoning content before summary.
_ITEM_TEXTS: dict[Any, tuple[tuple[str, str], ...]] = {
    "message": (("content", "text"),),
    "reasoning": (("content", "reasoning"), ("summary", "summary")),
}

_EVENT_HANDLERS: dict[Any, Callable[[ChunkDecoder, dict[str, Any]], list[StreamEvent]]] = {
    "response.created": ChunkDecoder._on_created,
    **dict.fromkeys(_PIECES, ChunkDecoder._on_piece),
    "response.output_item.added": ChunkDecoder._on_item,
    "response.output_item.done": ChunkDecoder._on_item,
    "response.completed": ChunkDecoder._on_terminal,
    "response.incomplete": ChunkDecoder._on_terminal,
    "response.failed": ChunkDecoder._on_failed,
    "error": ChunkDecoder._on_error,
}


def _index(data: Mapping[str, Any]) -> int:
    return _int(data.get("output_index")) or 0


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _arguments_text(value: Any) -> str:
    """Arguments as JSON text (a proxy may send an object instead of a string)."""
    if isinstance(value, Mapping):
        return compact_json(value)
    return value if isinstance(value, str) else ""


def final_events(response: Mapping[str, Any]) -> list[StreamEvent]:
    """The events a stream ending with ``response`` (a ``completed`` event) gives.

    Start, the output items' text, reasoning and calls, usage and finish; the response's own
    ``status`` wins over ``completed``.
    """
    return ChunkDecoder()._final_events(response, "completed")
