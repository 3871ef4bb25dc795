"""Pure conversions from the core's neutral replies to LlamaIndex values.

Neutral replies -> LlamaIndex ``ChatResponse`` (``to_chat_response``; stream events in
:mod:`llamaindex_cf_gateway._streaming`, loaded by the first stream), and the ``ToolSelection``s
read back from a response (``to_tool_selections``). No wire JSON and no request: the core sends
and decodes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse as LIChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection

from cf_gateway_core import (
    ChatResponse,
    InvalidToolCallError,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
)
from llamaindex_cf_gateway._content import (
    citation_blocks,
)

if TYPE_CHECKING:
    pass


__all__ = [
    "INVALID_TOOL_CALLS_KEY",
    "SIGNATURE_KEY",
    "keep_first_tool_call",
    "to_chat_response",
    "to_tool_selections",
    "usage_dict",
]

SIGNATURE_KEY = "signature"
"""``ThinkingBlock.additional_information`` key of a provider's reasoning signature (Anthropic's
must be sent back unchanged in multi-turn tool use); the key llama-index-llms-anthropic uses."""
_REDACTED_KEY = "redacted_data"
INVALID_TOOL_CALLS_KEY = "invalid_tool_calls"
"""``ChatMessage.additional_kwargs`` key listing a complete reply's tool calls whose arguments are
not a complete JSON object (``id``, ``name``, ``args``: the raw text, ``error``), as LangChain's
``AIMessage.invalid_tool_calls`` does; their ``ToolCallBlock`` keeps the raw text."""
"""``ThinkingBlock.additional_information`` key of Anthropic ``redacted_thinking`` data."""

_USAGE_DETAILS = (
    "cache_read_tokens",
    "cache_creation_tokens",
    "reasoning_tokens",
)


def usage_dict(usage: Usage | None) -> dict[str, int] | None:
    """Token counts as a plain dict (optional details only when reported)."""
    if usage is None:
        return None
    counts = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    for name in _USAGE_DETAILS:
        if (value := getattr(usage, name)) is not None:
            counts[name] = value
    return counts


def _response_info(response: ChatResponse) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(raw, additional_kwargs)`` for a LlamaIndex response."""
    usage = usage_dict(response.usage)
    gateway = response.gateway.as_dict() if response.gateway is not None else {}
    raw: dict[str, Any] = {
        "id": response.id,
        "model": response.model,
        "finish_reason": response.finish_reason,
        "raw_finish_reason": response.raw_finish_reason,
        "usage": usage,
        "gateway": gateway,
    }
    if response.provider_details:
        raw["provider_details"] = dict(response.provider_details)
    extra: dict[str, Any] = {
        "gateway": gateway,
        "model": response.model,
        "finish_reason": response.finish_reason,
    }
    if usage is not None:
        # LlamaIndex's usual flat token counts (llama-index-llms-openai), plus the full dict.
        extra["prompt_tokens"] = usage["input_tokens"]
        extra["completion_tokens"] = usage["output_tokens"]
        extra["total_tokens"] = usage["total_tokens"]
        extra["usage"] = usage
    return raw, extra


def _thinking_block(text: str, signature: str | None, redacted: str | None) -> ThinkingBlock:
    info: dict[str, Any] = {}
    if signature:
        info[SIGNATURE_KEY] = signature
    if redacted:
        info[_REDACTED_KEY] = redacted
    return ThinkingBlock(content=text, additional_information=info)


def _block_from_part(part: TextPart | ReasoningPart | ToolCallPart) -> Any:
    if isinstance(part, TextPart):
        return TextBlock(text=part.text)
    if isinstance(part, ReasoningPart):
        return _thinking_block(part.text, part.signature, part.redacted_data)
    kwargs: dict[str, Any] | str = dict(part.arguments)
    if part.error is not None and part.raw_arguments is not None:
        kwargs = part.raw_arguments
    return ToolCallBlock(tool_call_id=part.id, tool_name=part.name, tool_kwargs=kwargs)


def _tool_call_dict(block: ToolCallBlock) -> dict[str, Any]:
    kwargs = block.tool_kwargs
    arguments = kwargs if isinstance(kwargs, str) else json.dumps(kwargs, ensure_ascii=False)
    function = {"name": block.tool_name, "arguments": arguments}
    return {"id": block.tool_call_id, "type": "function", "function": function}


def _assistant_message(blocks: list[Any]) -> ChatMessage:
    """An assistant message holding ``blocks``.

    Tool calls are mirrored in ``additional_kwargs["tool_calls"]`` (OpenAI-shaped dicts), where
    parts of llama-index-core still look for them (streaming structured output,
    ``chat_engine.types.is_function``).
    """
    calls = [_tool_call_dict(b) for b in blocks if type(b) is ToolCallBlock]
    extra: dict[str, Any] = {"tool_calls": calls} if calls else {}
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def keep_first_tool_call(message: ChatMessage) -> None:
    """Drop every tool call but the first (LlamaIndex's rule without parallel tool calls)."""
    calls = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if len(calls) > 1:
        first = calls[0]
        message.blocks = [b for b in message.blocks if b is first or b not in calls]
        message.additional_kwargs["tool_calls"] = [_tool_call_dict(first)]


def to_chat_response(response: ChatResponse, *, delta: str | None = None) -> LIChatResponse:
    """A complete neutral reply as a LlamaIndex ``ChatResponse``.

    The message holds ``ThinkingBlock``s, one ``TextBlock`` and ``ToolCallBlock``s (canonical
    order); ``raw`` is a plain dict (id, model, finish reason, usage, gateway metadata) and
    ``additional_kwargs`` holds ``gateway``, ``usage`` and LlamaIndex's flat token counts.
    """
    blocks: list[Any] = []
    invalid: list[dict[str, Any]] = []
    for part in response.parts:  # one pass: the blocks and the calls whose arguments are bad
        if type(part) is TextPart:  # the usual part, without the isinstance chain
            blocks.append(TextBlock(text=part.text))
            continue
        blocks.append(_block_from_part(part))
        if isinstance(part, ToolCallPart) and part.error is not None:
            invalid.append(
                {"id": part.id, "name": part.name, "args": part.raw_arguments, "error": part.error}
            )
    raw, extra = _response_info(response)
    message = _assistant_message(blocks)
    if invalid:
        message.additional_kwargs[INVALID_TOOL_CALLS_KEY] = invalid
    if response.content_blocks:
        # Server-tool blocks and citations: CitationBlocks after the text, the blocks verbatim
        # in additional_kwargs["content_blocks"] (sent back on the next turn).
        server = [dict(b) for b in response.content_blocks]
        citations = citation_blocks(server)
        at = next((i + 1 for i, b in enumerate(blocks) if isinstance(b, TextBlock)), len(blocks))
        message.blocks[at:at] = citations
        message.additional_kwargs["content_blocks"] = server
        if citations:
            extra["citations"] = [c.model_dump() for c in citations]
    return LIChatResponse(message=message, raw=raw, delta=delta, additional_kwargs=extra)


def _complete_arguments(kwargs: dict[str, Any] | str) -> dict[str, Any] | None:
    """A call's arguments when they are a complete JSON object, else ``None``.

    Never a guess: a streamed call still in progress (or cut off) has arguments like
    ``{"amount": 10``, which partial-JSON parsing would turn into ``{"amount": 10}``. A JSON
    object that parses is closed by its last ``}``, so it can no longer grow.
    """
    if isinstance(kwargs, dict):
        return kwargs
    try:
        value = json.loads(kwargs)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _invalid_calls_error(response: LIChatResponse, calls: list[Any]) -> InvalidToolCallError:
    finish = response.additional_kwargs.get("finish_reason")
    hint = " (finish_reason 'length': the reply hit max_tokens inside the call)"
    described = "; ".join(
        f"{c.get('name')!r} (id {c.get('id')!r}): {c.get('error')}; raw arguments "
        f"{str(c.get('args'))[:200]!r}"
        for c in calls
    )
    return InvalidToolCallError(
        f"the reply holds tool calls whose arguments are not complete JSON, so they cannot be "
        f"run{hint if finish == 'length' else ''}: {described}",
        tool_calls=tuple(calls),
        finish_reason=finish,
    )


def to_tool_selections(
    response: LIChatResponse, *, error_on_no_tool_call: bool = True
) -> list[ToolSelection]:
    """The tool calls in a response's ``ToolCallBlock``s as ``ToolSelection``s.

    Only calls whose arguments are a complete JSON object are selections: in a streamed response
    still in progress, a call whose arguments have not all arrived is left out until they have.

    Raises:
        InvalidToolCallError: the response is complete and holds a call whose arguments are not
            a complete JSON object (cut off, e.g. at ``max_tokens``, or malformed) — it is never
            handed over with guessed arguments.
        ValueError: no tool call while ``error_on_no_tool_call`` is true (LlamaIndex's contract).
    """
    invalid = response.message.additional_kwargs.get(INVALID_TOOL_CALLS_KEY)
    if invalid:
        raise _invalid_calls_error(response, list(invalid))
    selections: list[ToolSelection] = []
    for block in response.message.blocks:
        if isinstance(block, ToolCallBlock):
            arguments = _complete_arguments(block.tool_kwargs)
            if arguments is not None:
                selections.append(
                    ToolSelection(
                        tool_id=block.tool_call_id or "",
                        tool_name=block.tool_name,
                        tool_kwargs=arguments,
                    )
                )
    if not selections and error_on_no_tool_call:
        raise ValueError("Expected at least one tool call, but got 0 tool calls.")
    return selections
