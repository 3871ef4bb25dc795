"""Decoding OpenAI Chat Completions streams (and Workers AI native frames) into neutral events.

The public name is :class:`cf_gateway_core.wire.openai_chat.ChunkDecoder`; values are read with
the same readers :func:`~cf_gateway_core.wire.openai_chat.parse_response` uses.
"""

from __future__ import annotations

from typing import Any

from cf_gateway_core import _json
from cf_gateway_core.errors import StreamError
from cf_gateway_core.events import (
    Finish,
    ReasoningDelta,
    ResponseStart,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire._common import (
    call_function,
    cut_short,
    is_error_frame,
    str_or_none,
    stream_error,
)
from cf_gateway_core.wire._openai_chat_reply import (
    map_arguments_text,
    map_finish_reason,
    map_reasoning,
    map_text,
    map_usage,
)

__all__ = ["ChunkDecoder"]


# The keys of the usual delta: decoded on a fast path when nothing else is in the frame.
_TEXT_DELTA_KEYS = frozenset({"content", "role"})


def _plain_text(chunk: dict[str, Any]) -> str | None:
    """The text of a frame that carries only text; ``None`` for any other frame.

    Only text means one choice, a delta of ``content`` and maybe ``role`` (other delta keys
    only when null, which the general mapping ignores too), no finish reason and no usage;
    other frames take the general mapping.
    """
    choices = chunk.get("choices")
    if type(choices) is not list or len(choices) != 1 or chunk.get("usage"):
        return None
    choice = choices[0]
    if type(choice) is not dict or choice.get("finish_reason"):
        return None
    if choice.get("index", 0) not in (0, None):
        return None
    delta = choice.get("delta")
    if type(delta) is not dict:
        return None
    if not delta.keys() <= _TEXT_DELTA_KEYS and any(
        value is not None for key, value in delta.items() if key not in _TEXT_DELTA_KEYS
    ):
        return None  # (many OpenAI-compatible servers send "tool_calls": null etc. every time)
    content = delta.get("content")
    return content if type(content) is str else None


class ChunkDecoder:
    """Decodes one Chat Completions stream into neutral events.

    Reads OpenAI ``chat.completion.chunk`` frames (``choices[0].delta``) and Workers AI native
    frames (top-level ``response`` / ``tool_calls`` / ``finish_reason`` and the
    ``{"response": "", "usage": …}`` trailer). ``ResponseStart`` and ``Finish`` are emitted once;
    only non-zero usage is reported, so the Workers AI trailer wins over the zero-usage frame
    before it (docs/wire-notes.md §5.2 [O]). Events after ``data: [DONE]`` are ignored. No
    ``Finish`` is invented when the stream sent no ``finish_reason``; a stream that ends with
    neither ``[DONE]`` nor a ``finish_reason`` was cut short and :meth:`close` raises.
    """

    __slots__ = ("_current_tool", "_done", "_finished", "_started", "_tool_slots")

    def __init__(self) -> None:
        """Start a decoder for one stream."""
        self._started = False
        self._finished = False
        self._done = False
        self._tool_slots: set[int] = set()
        self._current_tool = 0

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event.

        Raises:
            StreamError: an error frame (``{"error": …}`` or ``event: error``) or data that is
                not a JSON object.
        """
        if self._done:
            return []
        data = event.data
        if data == "[DONE]":
            self._done = True
            return []
        chunk = self._load(event)
        if chunk is None:
            return []
        if self._started:
            text = _plain_text(chunk)
            if text is not None:  # the usual frame: one piece of text, nothing else
                return [TextDelta(text)] if text else []
        return self._map(chunk)

    def text_frame(self, frame: dict[str, Any], event: str) -> str | None:
        """The text of a plain text frame (see the ``ChunkDecoder`` protocol); else ``None``."""
        if (
            self._started
            and not self._done
            and event != "error"
            and "error" not in frame
            and "errors" not in frame
            and "success" not in frame
        ):
            return _plain_text(frame)  # feed() decodes such a frame to just this text
        return None

    def _map(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        """Any frame: start, choice or native fields, usage, finish reason."""
        events: list[StreamEvent] = []
        if not self._started:
            self._map_start(chunk, events)
        choices = chunk.get("choices")
        if choices is None:
            raw_finish = self._map_native(chunk, events)
        elif isinstance(choices, list) and choices:
            raw_finish = self._map_choice(choices[0], events)
        else:
            raw_finish = None  # "choices": [] — OpenAI's usage chunk, §5.3 [C]
        usage = chunk.get("usage")
        if usage:
            mapped = map_usage(usage)
            if mapped is not None and not mapped.is_zero:
                events.append(UsageUpdate(mapped))
        if raw_finish and not self._finished:
            finish, raw = map_finish_reason(raw_finish)
            if raw is not None:
                self._finished = True
                events.append(Finish(finish, raw))
        return events

    @property
    def complete(self) -> bool:
        """Whether the stream sent its end signal: ``[DONE]`` or a finish reason."""
        return self._done or self._finished

    def close(self) -> list[StreamEvent]:
        """End of stream; tool-call fragments are emitted as they come, so nothing is pending.

        Raises:
            StreamError: the stream ended without ``[DONE]`` and without a finish reason.
        """
        if not self.complete:
            raise cut_short("[DONE] or a finish_reason")
        return []

    def _load(self, event: ServerSentEvent) -> dict[str, Any] | None:
        data = event.data
        try:
            chunk = _json.loads(data)
        except (ValueError, RecursionError):
            chunk = None
        if (
            type(chunk) is dict
            and "error" not in chunk
            and "errors" not in chunk
            and "success" not in chunk
            and event.event != "error"
        ):
            return chunk  # the usual frame: none of the keys an error frame has
        return self._unusual(event, chunk)

    def _unusual(self, event: ServerSentEvent, chunk: Any) -> dict[str, Any] | None:
        """A frame that may be an error, or is no JSON object: raise, or the chunk to map."""
        data = event.data
        if event.event == "error" or (isinstance(chunk, dict) and is_error_frame(chunk)):
            # {"error": {...}} / {"error": "…"} / v4 "errors" — the shapes errors.py reads.
            raise stream_error(data, body=chunk)
        if isinstance(chunk, dict):
            return chunk
        stripped = data.strip()
        if stripped == "[DONE]":
            self._done = True
        elif stripped:  # an empty data line carries nothing
            raise StreamError(
                f"the stream sent data that is not a JSON object: {stripped[:200]!r}", body=data
            )
        return None

    def _map_start(self, chunk: dict[str, Any], events: list[StreamEvent]) -> None:
        response_id = str_or_none(chunk.get("id"))
        model = str_or_none(chunk.get("model"))
        if response_id or model:
            self._started = True
            events.append(ResponseStart(response_id, model))

    def _map_choice(self, choice: Any, events: list[StreamEvent]) -> Any:
        if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
            return None  # n > 1: only the first choice is read, like parse_response
        delta = choice.get("delta")
        if isinstance(delta, dict) and delta:
            if "reasoning_content" in delta or "reasoning" in delta:
                reasoning = map_reasoning(delta)
                if reasoning:
                    events.append(ReasoningDelta(reasoning))
            self._map_text_delta(delta.get("content"), events)
            refusal = delta.get("refusal")
            if refusal and isinstance(refusal, str):
                events.append(TextDelta(refusal))  # kept as text, like parse_response
            calls = delta.get("tool_calls")
            if calls:
                self._map_tool_deltas(calls, events)
        return choice.get("finish_reason")

    def _map_native(self, chunk: dict[str, Any], events: list[StreamEvent]) -> Any:
        # {"response": "tok", "p": "…"}, {"tool_calls": […]}, {"finish_reason": …} and the
        # {"response": "", "usage": {…}} trailer — docs/wire-notes.md §5.1 [C]/[O], §5.2 [O], A10.
        self._map_text_delta(chunk.get("response"), events)
        calls = chunk.get("tool_calls")
        if calls:
            self._map_tool_deltas(calls, events)
        return chunk.get("finish_reason")

    @staticmethod
    def _map_text_delta(content: Any, events: list[StreamEvent]) -> None:
        if content is None:
            return
        text = content if type(content) is str else map_text(content)
        if text:
            events.append(TextDelta(text))

    def _map_tool_deltas(self, calls: Any, events: list[StreamEvent]) -> None:
        # OpenAI fragments {index, id, type, function: {name, arguments}}; later fragments may
        # carry "id": null, "name": null (GLM, A9 [O]); a null finalisation frame carries nothing
        # (§5.1 [C]); older Workers AI models send complete {"name", "arguments": {…}} objects.
        if not isinstance(calls, list):
            return
        for position, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            function = call_function(call)
            name = str_or_none(function.get("name"))
            call_id = str_or_none(call.get("id"))
            arguments = map_arguments_text(function.get("arguments"))
            if not (name or call_id or arguments):
                continue
            index = self._map_tool_index(call.get("index"), position, name)
            events.append(ToolCallDelta(index, call_id, name, arguments))

    def _map_tool_index(self, raw_index: Any, position: int, name: str | None) -> int:
        index: int
        if isinstance(raw_index, int) and not isinstance(raw_index, bool):
            index = raw_index
        else:
            if name:  # a new call without an index takes the next free slot
                slots = self._tool_slots
                index = position if position not in slots else max(slots) + 1
            else:  # a continuation without an index belongs to the latest call
                index = self._current_tool
        if name:
            self._tool_slots.add(index)
        self._current_tool = index
        return index
