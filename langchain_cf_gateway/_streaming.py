"""Stream events -> ``ChatGenerationChunk`` values (:class:`StreamConverter`).

Merging the chunks gives the ``AIMessage`` of :func:`langchain_cf_gateway._results.to_ai_message`.

Apart from :mod:`langchain_cf_gateway._results` so a plain call loads neither this module nor
the core's stream events (docs/io-stack.md, "Memory: what a sync call loads").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessageChunk, ToolCallChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from cf_gateway_core import ChatResponse, ReasoningDelta, StreamEvent, TextDelta
from langchain_cf_gateway._results import (
    content_kwargs,
    reasoning_blocks,
    response_metadata,
    to_usage_metadata,
)

__all__ = ["StreamConverter"]


class StreamConverter:
    """Per-stream state that turns neutral events into ``ChatGenerationChunk`` values.

    Text and reasoning text become chunks as they arrive; usage, finish reason, gateway metadata,
    signed reasoning blocks and the tool calls come once, in the ``last`` chunk built from the
    folded reply — so merging the chunks gives the message :func:`to_ai_message` builds. The
    adapter converts the events of ``EventStream.batches()``: one chunk per group of events that
    arrived together (adjacent deltas merged), the same text in fewer framework chunks.

    Tool calls are held back until the reply is complete: LangChain parses the merged argument
    fragments of a call with ``parse_partial_json``, which would turn a call cut off at
    ``{"amount": 10`` into a callable ``{"amount": 10}``. The last chunk carries each call whole,
    in index order (so parallel calls merge in the order ``invoke`` returns them); a call whose
    arguments are not a complete JSON object carries them as a JSON *string*, which LangChain
    files under ``invalid_tool_calls`` (``args`` is that string, ``json.loads`` gives the raw
    text) instead of guessing.
    """

    __slots__ = ("_model_name",)

    def __init__(self, model_name: str) -> None:
        """Start a stream for ``model_name`` (the model id requested)."""
        self._model_name = model_name

    def chunk(self, event: StreamEvent) -> ChatGenerationChunk | None:
        """The chunk for one event, or ``None`` for events folded into the last chunk."""
        if type(event) is TextDelta:  # the usual event, without the table lookup and a call
            text = event.text
            return ChatGenerationChunk(message=AIMessageChunk(content=text)) if text else None
        handler = _EVENT_HANDLERS.get(type(event))
        return handler(self, event) if handler is not None else None

    def _text(self, event: TextDelta) -> ChatGenerationChunk | None:
        if not event.text:
            return None
        return ChatGenerationChunk(message=AIMessageChunk(content=event.text))

    def _reasoning(self, event: ReasoningDelta) -> ChatGenerationChunk | None:
        if not event.text:
            return None
        message = AIMessageChunk(content="", additional_kwargs={"reasoning_content": event.text})
        return ChatGenerationChunk(message=message)

    def last(self, response: ChatResponse) -> ChatGenerationChunk:
        """The closing chunk (``chunk_position="last"``), built from the folded reply."""
        blocks = reasoning_blocks(response.parts)
        extra = {"reasoning_blocks": blocks} if blocks else {}
        message = AIMessageChunk(
            content="",
            additional_kwargs={**extra, **content_kwargs(response)},
            tool_call_chunks=_whole_calls(response),
            usage_metadata=to_usage_metadata(response.usage),
            response_metadata=response_metadata(response, self._model_name),
            id=response.id,
            chunk_position="last",
        )
        return ChatGenerationChunk(message=message)


def _whole_calls(response: ChatResponse) -> list[ToolCallChunk]:
    """Every tool call as one chunk, in index order; unparseable arguments as a JSON string."""
    chunks: list[ToolCallChunk] = []
    for index, part in enumerate(response.tool_calls):
        if part.error is None:
            args = json.dumps(dict(part.arguments), ensure_ascii=False)
        else:
            args = json.dumps(part.raw_arguments or "", ensure_ascii=False)
        chunks.append(tool_call_chunk(name=part.name, args=args, id=part.id, index=index))
    return chunks


_EVENT_HANDLERS: dict[type, Callable[[StreamConverter, Any], ChatGenerationChunk | None]] = {
    TextDelta: StreamConverter._text,
    ReasoningDelta: StreamConverter._reasoning,
}
