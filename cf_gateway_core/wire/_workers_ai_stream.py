"""Decoding ``/ai/run`` streams: native Workers AI frames, OpenAI chunks and Anthropic events.

The public name is :class:`cf_gateway_core.wire.workers_ai.ChunkDecoder`. Native frames are read
with the readers the legacy non-stream parser uses (:mod:`~cf_gateway_core.wire._workers_ai_reply`);
OpenAI and Anthropic frames go to those formats' decoders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from cf_gateway_core import _json
from cf_gateway_core.errors import StreamError
from cf_gateway_core.events import Finish, StreamEvent, TextDelta, ToolCallDelta, UsageUpdate
from cf_gateway_core.messages import FinishReason
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire._common import cut_short, is_error_frame, mappings, stream_error, type_of
from cf_gateway_core.wire._workers_ai_reply import (
    arguments_text,
    as_str,
    map_finish_reason,
    map_text,
    map_usage,
    stable_tool_call_id,
)

if TYPE_CHECKING:  # the inner formats are imported by the first frame of theirs
    from cf_gateway_core.wire import anthropic_messages, openai_chat, openai_responses

__all__ = ["ChunkDecoder"]

# The keys of the usual native frame, {"response": "tok", "p": "…"}: decoded on a fast path.
_TEXT_FRAME_KEYS = frozenset({"response", "p"})

# Responses stream event types all start with this (universal /ai/run, Responses-only model).
_RESPONSES_EVENT = "response."

# Anthropic stream event types (universal /ai/run with an anthropic/ model) — §5.4 [C].
_ANTHROPIC_EVENTS: frozenset[str] = frozenset(
    {"message_start", "message_delta", "message_stop", "ping"}
    | {"content_block_start", "content_block_delta", "content_block_stop"}
)


class _Fragments:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name = ""
        self.arguments: list[str] = []


class ChunkDecoder:
    """Decodes a ``/ai/run`` stream: native Workers AI frames, OpenAI chunks, Anthropic events.

    The frame shape is detected per event: frames with ``choices`` go to an
    :class:`openai_chat.ChunkDecoder <cf_gateway_core.wire.openai_chat.ChunkDecoder>`, frames whose
    ``type`` is an Anthropic stream event to an ``anthropic_messages.ChunkDecoder``, and the rest
    are native (``response``, ``tool_calls``, ``usage``, ``finish_reason``; ``p`` padding ignored).
    Only non-zero usage is reported, so the Workers AI usage trailer wins over zero usage frames.
    At close, a stream that sent no finish reason gets ``Finish("stop")`` (``"tool_calls"`` when
    tool calls came) if it ended with ``data: [DONE]``; a stream that ended with neither
    ``[DONE]`` nor a finish reason (nor, for Anthropic events, ``message_stop``) was cut short:
    :meth:`close` raises :class:`StreamError`.
    """

    __slots__ = (
        "_anthropic",
        "_done",
        "_fragments",
        "_last_fragment",
        "_next_tool",
        "_openai",
        "_responses",
        "_saw_tools",
        "_terminal",
        "_text",
    )

    def __init__(self) -> None:
        """Start a decoder for one stream."""
        self._openai: openai_chat.ChunkDecoder | None = None
        self._anthropic: anthropic_messages.ChunkDecoder | None = None
        self._responses: openai_responses.ChunkDecoder | None = None
        self._fragments: dict[int, _Fragments] = {}
        self._last_fragment: int | None = None
        self._next_tool = 0
        self._text: list[str] = []
        self._saw_tools = False
        self._terminal = False
        self._done = False

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event.

        Raises:
            StreamError: the event is an error frame or is not valid JSON.
        """
        data = event.data.strip()
        if data == "[DONE]":
            self._done = True
        if not data or self._done:
            return []
        try:
            frame = _json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise StreamError(
                f"the stream sent a frame that is not JSON: {data[:200]!r}",
                partial_text="".join(self._text),
            ) from exc
        if type(frame) is dict:
            text = self.text_frame(frame, event.event)
            if text is not None:  # nearly every frame of a native stream: one text piece
                return [TextDelta(text)] if text else []
        if event.event == "error" or (isinstance(frame, Mapping) and is_error_frame(frame)):
            self._raise_error(data)
        if not isinstance(frame, Mapping):
            return []
        events = self._dispatch(event, frame)
        self._note(events)
        return events

    def text_frame(self, frame: dict[str, Any], event: str) -> str | None:
        """The text of a plain text frame (see the ``ChunkDecoder`` protocol); else ``None``.

        A native frame, or an OpenAI chunk or Anthropic ``text_delta`` once this stream's
        decoder of that shape exists (the frame it would be fed to).
        """
        if self._done:
            return None
        if frame.keys() <= _TEXT_FRAME_KEYS and event == "message":
            text = frame.get("response")
            if type(text) is not str:
                return None
        else:
            text = self._inner_text(frame, event)
        if text:
            self._text.append(text)  # what _note does with feed()'s one TextDelta
        return text

    def _inner_text(self, frame: dict[str, Any], event: str) -> str | None:
        if event == "error" or is_error_frame(frame):
            return None  # feed() raises
        if "choices" in frame:  # _dispatch's order: OpenAI first
            return None if self._openai is None else self._openai.text_frame(frame, event)
        if self._anthropic is not None and type_of(frame) == "content_block_delta":
            return self._anthropic.text_frame(frame, event)
        return None

    def close(self) -> list[StreamEvent]:
        """End of stream: give id-less tool calls a stable id, finish.

        Raises:
            StreamError: the stream ended without its end signal (cut short).
        """
        anthropic = self._anthropic
        if not (self._done or self._terminal or (anthropic is not None and anthropic.complete)):
            # Native streams carry no finish reason; [DONE] is their only "complete" signal
            # (docs/wire-notes.md §5.1 [C]).
            raise cut_short("[DONE] or a finish reason")
        events = self._close_fragments()
        self._note(events)
        if not self._terminal:
            reason: FinishReason = "tool_calls" if self._saw_tools else "stop"
            events.append(Finish(reason))
        return events

    def _dispatch(self, event: ServerSentEvent, frame: Mapping[str, Any]) -> list[StreamEvent]:
        if "choices" in frame:
            # OpenAI chunks on the run path (newer models, universal OpenAI inner) — §5.2 [O].
            if self._openai is None:
                from cf_gateway_core.wire import openai_chat

                self._openai = openai_chat.ChunkDecoder()
            return self._openai.feed(event)
        if type_of(frame).startswith(_RESPONSES_EVENT):
            # Responses events (universal /ai/run with a Responses-only model).
            if self._responses is None:
                from cf_gateway_core.wire import openai_responses

                self._responses = openai_responses.ChunkDecoder()
            return self._responses.feed(event)
        if type_of(frame) in _ANTHROPIC_EVENTS:
            if self._anthropic is None:
                from cf_gateway_core.wire import anthropic_messages

                self._anthropic = anthropic_messages.ChunkDecoder()
            return self._anthropic.feed(event)
        return self._native(frame)

    def _native(self, frame: Mapping[str, Any]) -> list[StreamEvent]:
        # {"response": "tok", "p": "…"}, {"tool_calls": […]}, {"finish_reason": …} and the
        # {"response": "", "usage": {…}} trailer — docs/wire-notes.md §5.1 [C]/[O].
        events: list[StreamEvent] = []
        text = map_text(frame.get("response"))
        if text:
            events.append(TextDelta(text))
        for raw in mappings(frame.get("tool_calls")):
            events.extend(self._tool_call(raw))
        usage = map_usage(frame.get("usage"))
        if usage is not None and not usage.is_zero:
            events.append(UsageUpdate(usage))
        raw_finish = frame.get("finish_reason")
        if isinstance(raw_finish, str) and raw_finish:
            events.append(Finish(map_finish_reason(raw_finish), raw_finish))
        return events

    def _tool_call(self, raw: Mapping[str, Any]) -> list[StreamEvent]:
        function = raw.get("function")
        if isinstance(function, Mapping):
            return self._tool_fragment(raw, function)
        # A complete {"name", "arguments": {…}} call (older models, CF-LC-CHAT) — §5.1 [C].
        position = self._next_tool
        self._next_tool += 1
        name = as_str(raw.get("name"))
        text = arguments_text(raw.get("arguments"))
        call_id = as_str(raw.get("id")) or stable_tool_call_id(position, name, text)
        return [ToolCallDelta(position, call_id, name, text)]

    def _tool_fragment(
        self, raw: Mapping[str, Any], function: Mapping[str, Any]
    ) -> list[StreamEvent]:
        # {index, id, type, function: {name, arguments}} fragments ending with a null
        # finalisation {id: null, type: null, function: {name: null}} — §5.1 [C] (CFAI-STREAM).
        call_id = as_str(raw.get("id"))
        name = as_str(function.get("name"))
        text = arguments_text(function.get("arguments"))
        index = raw.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            # No index: a fragment naming a call starts one, a bare one continues the last.
            last = self._last_fragment
            index = last if last is not None and not (call_id or name) else self._next_tool
        self._last_fragment = index
        self._next_tool = max(self._next_tool, index + 1)
        state = self._fragments.setdefault(index, _Fragments())
        state.id = call_id or state.id
        state.name = name or state.name
        if not (call_id or name or text):
            return []
        state.arguments.append(text)
        return [ToolCallDelta(index, call_id or None, name or None, text)]

    def _close_fragments(self) -> list[StreamEvent]:
        return [
            ToolCallDelta(index, stable_tool_call_id(index, state.name, "".join(state.arguments)))
            for index, state in sorted(self._fragments.items())
            if state.id is None
        ]

    def _note(self, events: list[StreamEvent]) -> None:
        for item in events:
            if isinstance(item, TextDelta):
                self._text.append(item.text)
            elif isinstance(item, ToolCallDelta):
                self._saw_tools = True
            elif isinstance(item, Finish) and item.raw_reason is not None:
                self._terminal = True

    def _raise_error(self, data: str) -> NoReturn:
        raise stream_error(data, body=data, partial_text="".join(self._text))
