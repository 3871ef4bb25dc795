"""Neutral stream events and the accumulator that folds them into a :class:`ChatResponse`.

Every wire format's ``ChunkDecoder`` turns server-sent events into these values; adapters turn
them into framework chunks. :class:`StreamAccumulator` is the one place a stream becomes a final
reply, and :func:`events_from_response` replays a complete reply as events (for a ``stream=true``
request answered with plain JSON), so streaming and non-streaming converge by construction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cf_gateway_core._tool_calls import accumulator_call_id, parse_tool_arguments, tool_call_part
from cf_gateway_core._values import value_class
from cf_gateway_core.messages import (
    ChatResponse,
    FinishReason,
    GatewayMetadata,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
)

__all__ = [
    "ContentBlocks",
    "Finish",
    "ReasoningDelta",
    "ResponseStart",
    "StreamAccumulator",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
    "UsageUpdate",
    "accumulator_call_id",
    "events_from_response",
    "parse_tool_arguments",
    "tool_call_part",
]


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ResponseStart:
    """The reply's id and model, as soon as the stream tells them."""

    id: str | None = None
    model: str | None = None


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TextDelta:
    """A piece of answer text."""

    text: str


def _text_delta_init(self: TextDelta, text: str) -> None:
    _set_text(self, text)


# The generated __init__ of a frozen dataclass stores each field through object.__setattr__;
# the slot's own setter does the same in half the time, once per streamed piece of text.
_set_text = TextDelta.__dict__["text"].__set__
setattr(TextDelta, "__init__", _text_delta_init)  # noqa: B010 - the method, not an attribute


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ReasoningDelta:
    """A piece of reasoning text and/or its signature; ``index`` keys separate reasoning blocks."""

    text: str = ""
    signature: str | None = None
    index: int = 0
    redacted_data: str | None = None


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ToolCallDelta:
    """A fragment of a tool call; fragments with the same ``index`` belong to one call.

    The first fragment of a call usually carries ``id`` and ``name``; ``arguments`` fragments are
    JSON text concatenated in order and parsed once when the stream closes.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class UsageUpdate:
    """A usage snapshot; the last non-zero one wins."""

    usage: Usage


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Finish:
    """Why the reply ended (normalised and raw)."""

    reason: FinishReason | None
    raw_reason: str | None = None


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ContentBlocks:
    """The reply's provider content blocks (server-tool blocks, citations), verbatim.

    In wire order; sent once, when the stream has them all (see
    ``ChatResponse.content_blocks``).
    """

    blocks: tuple[Mapping[str, Any], ...]


StreamEvent = (
    ResponseStart
    | TextDelta
    | ReasoningDelta
    | ToolCallDelta
    | UsageUpdate
    | Finish
    | ContentBlocks
)
"""Any stream event."""


class _ToolCallBuilder:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []

    def build(self, index: int) -> ToolCallPart:
        return tool_call_part(
            self.id or accumulator_call_id(index), self.name or "", "".join(self.arguments)
        )


class _ReasoningBuilder:
    __slots__ = ("redacted_data", "signature", "text")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.signature: str | None = None
        self.redacted_data: str | None = None


class StreamAccumulator:
    """Folds stream events into the :class:`ChatResponse` a non-stream call would return."""

    def __init__(self, *, gateway: GatewayMetadata | None = None) -> None:
        """Start empty; ``gateway`` is the metadata read from the response headers."""
        self.gateway = gateway
        self._id: str | None = None
        self._model: str | None = None
        self._text: list[str] = []
        self._reasoning: dict[int, _ReasoningBuilder] = {}
        self._tools: dict[int, _ToolCallBuilder] = {}
        self._usage: Usage | None = None
        self._finish: Finish | None = None
        self._blocks: tuple[Mapping[str, Any], ...] = ()

    def add(self, event: StreamEvent) -> None:
        """Fold one event in."""
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, ToolCallDelta):
            self._add_tool(event)
        elif isinstance(event, ReasoningDelta):
            self._add_reasoning(event)
        elif isinstance(event, UsageUpdate):
            if not event.usage.is_zero or self._usage is None:
                self._usage = event.usage
        elif isinstance(event, Finish):
            self._finish = event
        elif isinstance(event, ContentBlocks):
            self._blocks = event.blocks
        else:
            self._id = event.id or self._id
            self._model = event.model or self._model

    def add_all(self, events: list[StreamEvent]) -> None:
        """Fold events in, in order (text deltas, the usual ones, without a call each)."""
        text = self._text
        for event in events:
            if type(event) is TextDelta:
                text.append(event.text)
            else:
                self.add(event)

    def text_sink(self) -> Callable[[str], None]:
        """A callable folding in one piece of text: ``add(TextDelta(text))`` without the event."""
        return self._text.append

    def _add_tool(self, event: ToolCallDelta) -> None:
        builder = self._tools.get(event.index)
        if builder is None:
            builder = self._tools[event.index] = _ToolCallBuilder()
        if event.id:
            builder.id = event.id
        if event.name:
            builder.name = event.name
        if event.arguments:
            builder.arguments.append(event.arguments)

    def _add_reasoning(self, event: ReasoningDelta) -> None:
        builder = self._reasoning.get(event.index)
        if builder is None:
            builder = self._reasoning[event.index] = _ReasoningBuilder()
        if event.text:
            builder.text.append(event.text)
        if event.signature:
            builder.signature = event.signature
        if event.redacted_data:
            builder.redacted_data = event.redacted_data

    @property
    def text(self) -> str:
        """The text received so far (available to callers when a stream breaks)."""
        return "".join(self._text)

    def result(self) -> ChatResponse:
        """The reply folded so far, in canonical part order."""
        parts: list[TextPart | ReasoningPart | ToolCallPart] = [
            ReasoningPart(
                text="".join(r.text), signature=r.signature, redacted_data=r.redacted_data
            )
            for _, r in sorted(self._reasoning.items())
        ]
        text = "".join(self._text)
        if text:
            parts.append(TextPart(text))
        parts.extend(b.build(i) for i, b in sorted(self._tools.items()))
        finish = self._finish
        return ChatResponse(
            parts=tuple(parts),
            id=self._id,
            model=self._model,
            finish_reason=finish.reason if finish else None,
            raw_finish_reason=finish.raw_reason if finish else None,
            usage=self._usage,
            gateway=self.gateway,
            content_blocks=self._blocks,
        )


def events_from_response(response: ChatResponse) -> list[StreamEvent]:
    """Replay a complete reply as stream events (a JSON answer to a streaming request)."""
    events: list[StreamEvent] = [ResponseStart(response.id, response.model)]
    tool_index = 0
    for part in response.parts:
        if isinstance(part, TextPart):
            events.append(TextDelta(part.text))
        elif isinstance(part, ReasoningPart):
            events.append(
                ReasoningDelta(part.text, part.signature, len(events), part.redacted_data)
            )
        else:
            raw = part.raw_arguments
            if raw is None:
                raw = json.dumps(dict(part.arguments), separators=(",", ":"))
            events.append(ToolCallDelta(tool_index, part.id, part.name, raw))
            tool_index += 1
    if response.usage is not None:
        events.append(UsageUpdate(response.usage))
    if response.content_blocks:
        events.append(ContentBlocks(response.content_blocks))
    events.append(Finish(response.finish_reason, response.raw_finish_reason))
    return events
