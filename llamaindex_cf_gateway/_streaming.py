"""Stream events -> cumulative LlamaIndex ``ChatResponse``s (:class:`ChatStream`).

``chat_responses`` / ``achat_responses`` run it over an open core event stream.

Apart from :mod:`llamaindex_cf_gateway._results` so a plain call loads neither this module nor
the core's stream events (docs/io-stack.md, "Memory: what a sync call loads").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse as LIChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)

from cf_gateway_core import (
    ChatResponse,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from llamaindex_cf_gateway._results import (
    _assistant_message,
    _thinking_block,
    to_chat_response,
)

if TYPE_CHECKING:
    from cf_gateway_core import AsyncEventStream, EventStream

__all__ = ["ChatStream", "achat_responses", "chat_responses"]


class ChatStream:
    """Stream events in, cumulative LlamaIndex ``ChatResponse``s out (one stream each).

    Text deltas yield ``delta=<piece>``; reasoning deltas yield ``delta=""`` with
    ``additional_kwargs["thinking_delta"]`` (what LlamaIndex agents read); tool-call fragments
    yield a message whose ``ToolCallBlock.tool_kwargs`` is the argument JSON received so far.
    The last response (:meth:`final`) is built from the core's accumulated reply, so it equals
    what a non-streaming call returns.
    """

    __slots__ = ("_reasoning", "_text", "_tools")

    def __init__(self) -> None:
        """Start empty."""
        self._text = ""
        self._reasoning: dict[int, list[Any]] = {}
        self._tools: dict[int, list[str]] = {}

    def on_event(self, event: StreamEvent) -> LIChatResponse | None:
        """Fold one event; return the response to yield, or ``None`` for bookkeeping events."""
        if type(event) is TextDelta:  # the usual event, without the table lookup and a call
            text = self._text = self._text + event.text
            if not self._reasoning and not self._tools:  # plain text so far: one TextBlock
                message = ChatMessage(role=MessageRole.ASSISTANT, blocks=[TextBlock(text=text)])
                return LIChatResponse(message=message, delta=event.text, raw=event)
            return self._response(event, event.text, {})
        handler = _STREAM_HANDLERS.get(type(event))
        return None if handler is None else handler(self, event)

    def _on_text(self, event: TextDelta) -> LIChatResponse:
        self._text += event.text
        return self._response(event, event.text, {})

    def _on_tool(self, event: ToolCallDelta) -> LIChatResponse:
        call = self._tools.get(event.index)
        if call is None:
            call = self._tools[event.index] = ["", "", ""]
        if event.id:
            call[0] = event.id
        if event.name:
            call[1] = event.name
        call[2] += event.arguments
        return self._response(event, "", {})

    def _on_reasoning(self, event: ReasoningDelta) -> LIChatResponse | None:
        item = self._reasoning.get(event.index)
        if item is None:
            item = self._reasoning[event.index] = ["", None, None]
        item[0] += event.text
        item[1] = event.signature or item[1]
        item[2] = event.redacted_data or item[2]
        # A signature-only delta changes nothing a reader sees; the final response carries it.
        return self._response(event, "", {"thinking_delta": event.text}) if event.text else None

    def final(self, response: ChatResponse) -> LIChatResponse:
        """The closing response: the complete reply, usage and gateway metadata, ``delta=""``."""
        return to_chat_response(response, delta="")

    def _response(self, event: StreamEvent, delta: str, extra: dict[str, Any]) -> LIChatResponse:
        blocks: list[Any] = []
        if self._reasoning:
            blocks.extend(_thinking_block(*r) for _, r in sorted(self._reasoning.items()))
        if self._text or not (self._reasoning or self._tools):
            blocks.append(TextBlock(text=self._text))
        if self._tools:
            blocks.extend(
                ToolCallBlock(tool_call_id=c[0] or None, tool_name=c[1], tool_kwargs=c[2])
                for _, c in sorted(self._tools.items())
            )
        message = _assistant_message(blocks)
        return LIChatResponse(message=message, delta=delta, raw=event, additional_kwargs=extra)


_STREAM_HANDLERS: dict[type, Callable[[ChatStream, Any], LIChatResponse | None]] = {
    TextDelta: ChatStream._on_text,
    ToolCallDelta: ChatStream._on_tool,
    ReasoningDelta: ChatStream._on_reasoning,
}


def chat_responses(events: EventStream) -> ChatResponseGen:
    """LlamaIndex responses from an open event stream, closed when done or abandoned.

    One response per group of events that arrived together (adjacent deltas merged); the last
    one is the complete reply, equal to what a non-streamed call returns.
    """
    state = ChatStream()
    with events:
        for batch in events.batches():
            for event in batch:
                response = state.on_event(event)
                if response is not None:
                    yield response
    yield state.final(events.result())


async def achat_responses(events: AsyncEventStream) -> ChatResponseAsyncGen:
    """Async twin of :func:`chat_responses`."""
    state = ChatStream()
    async with events:
        async for batch in events.batches():
            for event in batch:
                response = state.on_event(event)
                if response is not None:
                    yield response
    yield state.final(events.result())
