"""Pure conversions from neutral :mod:`cf_gateway_core` replies to LangChain messages.

The one job of this module: a :class:`~cf_gateway_core.ChatResponse` out as an ``AIMessage``
(stream events become ``ChatGenerationChunk`` values whose merge equals that ``AIMessage`` in
:mod:`langchain_cf_gateway._streaming`, loaded by the first stream).

Reasoning follows langchain-core 1.x: the reasoning text is
``additional_kwargs["reasoning_content"]`` (``AIMessage.content_blocks`` turns it into a leading
``reasoning`` block) and ``content`` stays the answer text. When the provider signs its reasoning
(Anthropic thinking), the blocks are also kept verbatim as ``additional_kwargs["reasoning_blocks"]``
(``thinking`` / ``redacted_thinking`` dicts), which :mod:`langchain_cf_gateway._convert` reads back,
so a multi-turn tool loop returns the signatures unchanged.

Server-tool blocks and citations (``ChatResponse.content_blocks``) are kept verbatim as
``additional_kwargs["content_blocks"]`` with every citation in ``additional_kwargs["citations"]``;
:mod:`langchain_cf_gateway._convert` sends the blocks back on the next turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    InputTokenDetails,
    InvalidToolCall,
    OutputTokenDetails,
    ToolCall,
    UsageMetadata,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call

from cf_gateway_core import (
    ChatResponse,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
    reply_citations,
)

__all__ = [
    "reasoning_blocks",
    "response_metadata",
    "to_ai_message",
    "to_usage_metadata",
]


def to_usage_metadata(usage: Usage | None) -> UsageMetadata | None:
    """Usage as LangChain's ``UsageMetadata`` (cache and reasoning details when reported)."""
    if usage is None:
        return None
    # A cast, not a literal: langchain-core marks the detail keys typing.NotRequired, which mypy
    # targeting Python 3.10 reads as required.
    meta = cast(
        "UsageMetadata",
        {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        },
    )
    input_details = InputTokenDetails()
    if usage.cache_read_tokens is not None:
        input_details["cache_read"] = usage.cache_read_tokens
    if usage.cache_creation_tokens is not None:
        input_details["cache_creation"] = usage.cache_creation_tokens
    if input_details:
        meta["input_token_details"] = input_details
    if usage.reasoning_tokens is not None:
        meta["output_token_details"] = OutputTokenDetails(reasoning=usage.reasoning_tokens)
    return meta


def response_metadata(response: ChatResponse, model_name: str) -> dict[str, Any]:
    """The reply's ``response_metadata``.

    ``model_name`` (the model id requested), ``finish_reason`` (normalised), the raw reason when it
    differs, ``served_model`` (the id the provider reported) and ``gateway``.
    """
    meta: dict[str, Any] = {
        "model_name": model_name,
        "gateway": response.gateway.as_dict() if response.gateway is not None else {},
    }
    if response.finish_reason is not None:
        meta["finish_reason"] = response.finish_reason
    if response.raw_finish_reason not in (None, response.finish_reason):
        meta["raw_finish_reason"] = response.raw_finish_reason
    if response.model:
        meta["served_model"] = response.model
    return meta


def reasoning_blocks(parts: Sequence[Part]) -> list[dict[str, Any]] | None:
    """The reasoning parts as Anthropic-style blocks, when any carries a signature or redacted data.

    Otherwise there is nothing to round-trip beyond ``reasoning_content``.
    """
    reasoning = [p for p in parts if isinstance(p, ReasoningPart)]
    if not any(p.signature or p.redacted_data for p in reasoning):
        return None
    blocks: list[dict[str, Any]] = []
    for part in reasoning:
        if part.redacted_data is not None:
            blocks.append({"type": "redacted_thinking", "data": part.redacted_data})
        else:
            block: dict[str, Any] = {"type": "thinking", "thinking": part.text}
            if part.signature:
                block["signature"] = part.signature
            blocks.append(block)
    return blocks


def _reasoning_kwargs(parts: Sequence[Part]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    text = "".join(p.text for p in parts if isinstance(p, ReasoningPart))
    if text:
        kwargs["reasoning_content"] = text
    blocks = reasoning_blocks(parts)
    if blocks:
        kwargs["reasoning_blocks"] = blocks
    return kwargs


def content_kwargs(response: ChatResponse) -> dict[str, Any]:
    """The reply's ``content_blocks`` and ``citations``, when it has them.

    ``content_blocks`` are server-tool blocks and cited text, verbatim, sent back on the next
    turn; ``citations`` lists every citation / annotation.
    """
    if not response.content_blocks:
        return {}
    kwargs: dict[str, Any] = {"content_blocks": [dict(b) for b in response.content_blocks]}
    citations = reply_citations(response.content_blocks)
    if citations:
        kwargs["citations"] = citations
    return kwargs


def to_ai_message(response: ChatResponse, model_name: str) -> AIMessage:
    """A complete reply as an ``AIMessage`` (``model_name``: the model id requested)."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    reasoning = False
    for part in response.parts:  # one pass; a plain text reply has nothing else to read
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            _add_call(part, calls, invalid)
        elif isinstance(part, ReasoningPart):
            reasoning = True
    extra = _reasoning_kwargs(response.parts) if reasoning else {}
    if response.content_blocks:
        extra.update(content_kwargs(response))
    # Only what the reply has: the message's own defaults stand for the rest.
    fields: dict[str, Any] = {}
    if extra:
        fields["additional_kwargs"] = extra
    if calls:
        fields["tool_calls"] = calls
    if invalid:
        fields["invalid_tool_calls"] = invalid
    if response.usage is not None:
        fields["usage_metadata"] = to_usage_metadata(response.usage)
    return AIMessage(
        content="".join(texts),
        response_metadata=response_metadata(response, model_name),
        id=response.id,
        **fields,
    )


def _add_call(part: ToolCallPart, calls: list[ToolCall], invalid: list[InvalidToolCall]) -> None:
    if part.error is None:
        calls.append(tool_call(name=part.name, args=dict(part.arguments), id=part.id))
    else:
        args, error = part.raw_arguments, part.error
        invalid.append(invalid_tool_call(name=part.name, args=args, id=part.id, error=error))
