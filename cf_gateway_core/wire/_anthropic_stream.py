"""Decoding Anthropic Messages event streams into neutral events.

The public name is :class:`cf_gateway_core.wire.anthropic_messages.ChunkDecoder`; usage and stop
reasons are read as :func:`~cf_gateway_core.wire.anthropic_messages.parse_response` reads them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire._anthropic_reply import map_finish_reason, map_usage
from cf_gateway_core.wire._common import cut_short, is_error_frame, stream_error, type_of
from cf_gateway_core.wire._server_tools import AnthropicBlocks

__all__ = ["ChunkDecoder"]

_Handler = Callable[[dict[str, Any]], list[StreamEvent]]


def _text(block: dict[str, Any], key: str) -> str:
    """``block[key]`` when it is a string, else ``""`` (a value of another type is no text)."""
    value = block.get(key)
    return value if type(value) is str else ""


# content_block_start: the block's first content, keyed by block type (index = block index).
_BLOCK_STARTS: dict[str, Callable[[dict[str, Any], int], list[StreamEvent]]] = {
    "text": lambda block, index: [TextDelta(text)] if (text := _text(block, "text")) else [],
    "thinking": lambda block, index: [
        ReasoningDelta(_text(block, "thinking"), _text(block, "signature") or None, index)
    ],
    "redacted_thinking": lambda block, index: [
        ReasoningDelta(index=index, redacted_data=block.get("data"))
    ],
    # A tool_use block normally starts with "input": {} and streams its JSON in deltas; a
    # non-empty start input is kept.
    "tool_use": lambda block, index: [
        ToolCallDelta(
            index,
            block.get("id"),
            block.get("name"),
            json.dumps(block["input"]) if block.get("input") else "",
        )
    ],
}

# content_block_delta: delta type -> (field holding the piece, event factory).
_DELTAS: dict[str, tuple[str, Callable[[Any, int], StreamEvent]]] = {
    "text_delta": ("text", lambda text, index: TextDelta(text)),
    "thinking_delta": ("thinking", lambda text, index: ReasoningDelta(text, index=index)),
    "signature_delta": ("signature", lambda sig, index: ReasoningDelta(signature=sig, index=index)),
    "input_json_delta": ("partial_json", lambda part, index: ToolCallDelta(index, arguments=part)),
}


class ChunkDecoder:
    """Decodes an Anthropic Messages event stream (docs/wire-notes.md §5.4 [C]).

    Each event's ``type`` (or, failing that, its SSE ``event:`` name) picks a handler; there is no
    ``[DONE]``. Input tokens arrive in ``message_start`` and output tokens in ``message_delta``,
    so the usage reported at ``message_delta`` combines both. Tool-call and reasoning events are
    keyed by the content block index. ``ping``, ``content_block_stop`` and unknown events yield
    nothing; an ``error`` event (or a v4 error envelope) raises :class:`StreamError`. The stream
    is complete once ``message_stop`` or a ``message_delta`` with a ``stop_reason`` arrived;
    :meth:`close` raises on a stream that ended before either.
    """

    __slots__ = ("_blocks", "_finished", "_handlers", "_tool_blocks", "_usage", "complete")

    def __init__(self) -> None:
        """Start a decoder for one stream."""
        self._usage: dict[str, Any] = {}
        self._tool_blocks: set[int] = set()
        # Every block rebuilt, for server-tool blocks and citations (ContentBlocks at the end).
        self._blocks = AnthropicBlocks()
        self._finished = False
        self.complete = False
        """Whether the end signal came (``message_stop``, or a ``stop_reason``)."""
        self._handlers: dict[str, _Handler] = {
            "message_start": self._on_message_start,
            "content_block_start": self._on_block_start,
            "content_block_delta": self._on_block_delta,
            "message_delta": self._on_message_delta,
            "message_stop": self._on_message_stop,
            "error": self._on_error,
        }

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event.

        Raises:
            StreamError: an ``error`` event, or an event whose data is not JSON.
        """
        data = event.data
        if not data:
            return []
        try:
            frame = _json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise StreamError(
                f"the Anthropic stream sent an event that is not JSON: {data[:200]!r}", body=data
            ) from exc
        if type(frame) is dict:
            text = self.text_frame(frame, event.event)
            if text is not None:  # the usual event, one piece of text, without the handlers
                return [TextDelta(text)] if text else []
        if not isinstance(frame, dict):
            return []
        handler = self._handlers.get(type_of(frame, event.event))
        if handler is not None:
            return handler(frame)
        if "error" in frame:
            return self._on_error(frame)
        if is_error_frame(frame):  # a v4 envelope {"success": false, "errors": [...]}
            raise stream_error(data, body=frame)
        return []

    def text_frame(self, frame: dict[str, Any], event: str) -> str | None:
        """The text of a ``text_delta`` (see the ``ChunkDecoder`` protocol); else ``None``."""
        if frame.get("type") == "content_block_delta":
            delta = frame.get("delta")
            if type(delta) is dict and delta.get("type") == "text_delta":
                text = delta.get("text")
                if type(text) is str:
                    self._blocks.text(frame.get("index", 0), text)
                    return text
        return None

    def close(self) -> list[StreamEvent]:
        """End of stream: a ``Finish`` without a reason when ``message_delta`` never came.

        Raises:
            StreamError: neither ``message_stop`` nor a ``stop_reason`` arrived.
        """
        if not self.complete:
            raise cut_short("message_stop")
        if self._finished:
            return []
        self._finished = True
        return [Finish(None)]

    def _on_message_stop(self, frame: dict[str, Any]) -> list[StreamEvent]:
        self.complete = True
        return []

    def _on_message_start(self, frame: dict[str, Any]) -> list[StreamEvent]:
        message = frame.get("message")
        if not isinstance(message, dict):
            return []
        usage = message.get("usage")
        if isinstance(usage, dict):
            self._usage = {key: value for key, value in usage.items() if value is not None}
        return [
            ResponseStart(message.get("id"), message.get("model")),
            UsageUpdate(map_usage(self._usage)),
        ]

    def _on_block_start(self, frame: dict[str, Any]) -> list[StreamEvent]:
        block = frame.get("content_block")
        if not isinstance(block, dict):
            return []
        kind = block.get("type", "")
        index = frame.get("index", 0)
        self._blocks.start(index, block)
        start = _BLOCK_STARTS.get(kind)
        if start is None:
            return []
        if kind == "tool_use":
            self._tool_blocks.add(index)
        return start(block, index)

    def _on_block_delta(self, frame: dict[str, Any]) -> list[StreamEvent]:
        delta = frame.get("delta")
        if not isinstance(delta, dict):
            return []
        kind = delta.get("type", "")
        index = frame.get("index", 0)
        self._blocks.delta(index, delta)
        entry = _DELTAS.get(kind)
        if entry is None:
            return []
        piece = delta.get(entry[0])
        # Server-tool blocks (server_tool_use) stream input_json_delta too; only client tool_use
        # blocks are tool calls.
        if (
            not piece
            or type(piece) is not str  # a piece of another type is no text (never joined)
            or (kind == "input_json_delta" and index not in self._tool_blocks)
        ):
            return []
        return [entry[1](piece, index)]

    def _on_message_delta(self, frame: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        usage = frame.get("usage")
        if isinstance(usage, dict):
            # Fields message_delta repeats (or adds) win over message_start's.
            self._usage.update((key, value) for key, value in usage.items() if value is not None)
            events.append(UsageUpdate(map_usage(self._usage)))
        blocks = self._blocks.result()
        if blocks:
            events.append(ContentBlocks(blocks))
        delta = frame.get("delta")
        raw = delta.get("stop_reason") if isinstance(delta, dict) else None
        if not isinstance(raw, str):
            raw = None
        else:
            self.complete = True
        events.append(Finish(map_finish_reason(raw), raw))
        self._finished = True
        return events

    def _on_error(self, frame: dict[str, Any]) -> list[StreamEvent]:
        # {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}} after
        # HTTP 200 — docs/wire-notes.md §5.4 [C], §5.6 [I].
        error = frame.get("error")
        if isinstance(error, dict):
            kind = error.get("type") or "error"
            message = error.get("message") or "no message"
        else:
            kind, message = "error", error or "no message"
        raise StreamError(f"the Anthropic stream reported {kind}: {message}", body=frame)
