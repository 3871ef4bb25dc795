"""Pure conversions from LangChain values to the neutral :mod:`cf_gateway_core` request values.

The one job of this module: LangChain messages and their content blocks in,
:class:`~cf_gateway_core.Message` out (tools, ``tool_choice`` and ``response_format`` are
:mod:`langchain_cf_gateway._tool_specs`; the other direction is
:mod:`langchain_cf_gateway._results`). No I/O and no wire knowledge: JSON field names live in
``cf_gateway_core.wire``.

AI messages in the history give their reasoning back from ``additional_kwargs["reasoning_blocks"]``
(signed, as :mod:`langchain_cf_gateway._results` stores them), else from
``additional_kwargs["reasoning_content"]``, else from ``reasoning`` / ``thinking`` content blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    InvalidToolCall,
    ToolCall,
)

from cf_gateway_core import (
    DocumentPart,
    GatewayConfigError,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    provider_parts,
)
from langchain_cf_gateway._content import CONTENT_BLOCKS, block_cache_control

__all__ = ["to_messages"]

_Block = Mapping[str, Any]
_BlockReader = Callable[[_Block], Part | None]

# --------------------------------------------------------------------------- content blocks


def _bad_block(block: _Block, role: str, hint: str) -> GatewayConfigError:
    return GatewayConfigError(
        f"content block of type {block.get('type')!r} cannot be sent in a {role} message: {hint}"
    )


def _text_block(block: _Block) -> Part | None:
    text = block.get("text")
    if not isinstance(text, str):
        raise GatewayConfigError(f"a text content block needs a string 'text', got {block!r}.")
    cache = block_cache_control(block)
    return TextPart(text, cache_control=cache) if text or cache else None


def _image_url_block(block: _Block) -> Part:
    # OpenAI Chat style: {"type": "image_url", "image_url": {"url", "detail"?} | "<url>"}.
    value = block.get("image_url")
    url, detail = (
        (value.get("url"), value.get("detail")) if isinstance(value, Mapping) else (value, None)
    )
    if not isinstance(url, str) or not url:
        raise GatewayConfigError(
            "an image_url content block needs image_url.url (http(s) or data:)."
        )
    detail = detail if isinstance(detail, str) else None
    return ImagePart(url=url, detail=detail, cache_control=block_cache_control(block))


def _image_block(block: _Block) -> Part:
    # LangChain v1 ({"url"} | {"base64", "mime_type"}), v0 ({"source_type", "url" | "data"}) and
    # Anthropic ({"source": {"type": "base64" | "url", …}}) image blocks.
    cache = block_cache_control(block)
    source = block.get("source")
    if isinstance(source, Mapping):
        block = {
            "url": source.get("url"),
            "base64": source.get("data"),
            "mime_type": source.get("media_type"),
        }
    url = block.get("url")
    if isinstance(url, str) and url:
        return ImagePart(url=url, cache_control=cache)
    data = block.get("base64") or block.get("data")
    mime = block.get("mime_type")
    if isinstance(data, str) and data and isinstance(mime, str) and mime:
        return ImagePart(url=f"data:{mime};base64,{data}", cache_control=cache)
    raise GatewayConfigError(
        "an image content block needs 'url', or 'base64' with 'mime_type' (e.g. 'image/png'); "
        "file ids are not supported by the gateway."
    )


def _no_cache_control(block: _Block) -> None:
    # Anthropic takes no cache_control on thinking blocks, and tool calls are sent from
    # AIMessage.tool_calls: refuse the mark rather than drop it.
    if block_cache_control(block) is not None:
        raise GatewayConfigError(
            f"cache_control on a {block.get('type')!r} block of an AI message cannot be sent: "
            "Anthropic takes no cache_control on thinking blocks, and tool calls are sent from "
            "AIMessage.tool_calls. Mark a text block, or the tool result (a ToolMessage block or "
            "the per-call cache_control=...), instead."
        )


def _reasoning_block(block: _Block) -> Part:
    # LangChain v1 {"type": "reasoning", "reasoning", "extras": {"signature"}}.
    _no_cache_control(block)
    extras = block.get("extras")
    signature = extras.get("signature") if isinstance(extras, Mapping) else None
    return ReasoningPart(text=str(block.get("reasoning") or ""), signature=signature or None)


def _thinking_block(block: _Block) -> Part:
    # Anthropic {"type": "thinking", "thinking", "signature"} (also our reasoning_blocks).
    _no_cache_control(block)
    return ReasoningPart(
        text=str(block.get("thinking") or ""), signature=block.get("signature") or None
    )


def _redacted_block(block: _Block) -> Part:
    return ReasoningPart(text="", redacted_data=str(block.get("data") or ""))


def _skip(block: _Block) -> None:
    # Tool-call blocks in AI content duplicate AIMessage.tool_calls, which is authoritative.
    _no_cache_control(block)
    return None


_USER_BLOCKS: dict[str, _BlockReader] = {
    "text": _text_block,
    "image_url": _image_url_block,
    "image": _image_block,
    **CONTENT_BLOCKS,
}
_SYSTEM_BLOCKS: dict[str, _BlockReader] = {"text": _text_block}
_AI_BLOCKS: dict[str, _BlockReader] = {
    "text": _text_block,
    "reasoning": _reasoning_block,
    "thinking": _thinking_block,
    "redacted_thinking": _redacted_block,
    "tool_use": _skip,
    "tool_call": _skip,
    "tool_call_chunk": _skip,
    "invalid_tool_call": _skip,
}
_REASONING_BLOCKS: dict[str, _BlockReader] = {
    "thinking": _thinking_block,
    "redacted_thinking": _redacted_block,
    "reasoning": _reasoning_block,
}
_BLOCK_HINTS: dict[str, str] = {
    "user": "send text, images (image_url, or image with url / base64 + mime_type), documents "
    "(file, text-plain) and audio.",
    "system": "system messages hold text only; put images in a human message.",
    "assistant": "AI messages hold text, reasoning and tool calls.",
    "tool": "tool results hold text, images and documents.",
}


def _content_parts(
    content: str | list[Any], readers: dict[str, _BlockReader], role: str
) -> list[Part]:
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    parts: list[Part] = []
    for item in content:
        if isinstance(item, str):
            if item:
                parts.append(TextPart(item))
            continue
        reader = readers.get(str(item.get("type"))) if isinstance(item, Mapping) else None
        if reader is None:
            block = item if isinstance(item, Mapping) else {"type": type(item).__name__}
            raise _bad_block(block, role, _BLOCK_HINTS[role])
        part = reader(item)
        if part is not None:
            parts.append(part)
    return parts


# --------------------------------------------------------------------------- messages


def _system_message(message: BaseMessage) -> Message:
    parts = _content_parts(message.content, _SYSTEM_BLOCKS, "system")
    return Message(role="system", parts=tuple(parts), name=message.name)


def _human_message(message: BaseMessage) -> Message:
    parts = _content_parts(message.content, _USER_BLOCKS, "user")
    return Message(role="user", parts=tuple(parts), name=message.name)


def _reasoning_item(block: Any) -> Part:
    reader = _REASONING_BLOCKS.get(str(block.get("type"))) if isinstance(block, Mapping) else None
    if reader is None:
        raise GatewayConfigError(
            f"additional_kwargs['reasoning_blocks'] holds {block!r}; it takes the 'thinking' and "
            "'redacted_thinking' blocks this package put there."
        )
    part = reader(block)
    assert part is not None
    return part


def _reasoning_from_kwargs(kwargs: Mapping[str, Any]) -> list[Part]:
    blocks = kwargs.get("reasoning_blocks")
    if isinstance(blocks, list) and blocks:
        return [_reasoning_item(block) for block in blocks]
    text = kwargs.get("reasoning_content")
    return [ReasoningPart(text=text)] if isinstance(text, str) and text else []


def _tool_call_part(call: ToolCall) -> ToolCallPart:
    return ToolCallPart(id=_call_id(call), name=call["name"], arguments=call["args"])


def _invalid_call_part(call: InvalidToolCall) -> ToolCallPart:
    # Sent back as the model wrote it (the wire keeps raw_arguments), never dropped.
    return ToolCallPart(
        id=_call_id(call),
        name=call.get("name") or "",
        arguments={},
        raw_arguments=call.get("args") or "",
        error=call.get("error") or "invalid tool call",
    )


def _call_id(call: ToolCall | InvalidToolCall) -> str:
    call_id = call.get("id")
    if not call_id:
        raise GatewayConfigError(
            f"tool call {call.get('name')!r} in an AIMessage has no id; give every tool call an id "
            "so the matching ToolMessage(tool_call_id=…) can refer to it."
        )
    return call_id


_AI_SKIPPED = frozenset(
    {*_REASONING_BLOCKS, "tool_use", "tool_call", "tool_call_chunk", "invalid_tool_call"}
)


def _holds_server_blocks(content: str | list[Any]) -> bool:
    """Anthropic server-tool blocks or cited text in an AI message's content.

    The blocks are ``server_tool_use``, ``*_tool_result`` and text with ``citations``, kept as
    langchain-anthropic keeps them.
    """
    if isinstance(content, str):
        return False
    for block in content:
        if not isinstance(block, Mapping):
            continue
        kind = str(block.get("type"))
        if (
            kind == "server_tool_use"
            or kind.endswith("_tool_result")
            or (kind == "text" and block.get("citations"))
        ):
            return True
    return False


def _ai_message(message: BaseMessage) -> Message:
    assert isinstance(message, AIMessage)
    blocks = message.additional_kwargs.get("content_blocks")
    if isinstance(blocks, list) and blocks:
        # A reply with server-tool blocks or citations: its blocks go back verbatim (they hold
        # the text too), then the tool calls.
        content: list[Part] = list(provider_parts(blocks))
    elif _holds_server_blocks(message.content):
        # langchain-anthropic's AIMessage: server-tool blocks and cited text in content. They go
        # back verbatim (minus its stream "index"); thinking and tool calls as for any message.
        kept = [
            b
            for b in message.content
            if isinstance(b, Mapping) and b.get("type") in _REASONING_BLOCKS
        ]
        content = _content_parts(kept, _REASONING_BLOCKS, "assistant")
        content.extend(
            provider_parts(
                {k: v for k, v in b.items() if k != "index"}
                for b in message.content
                if isinstance(b, Mapping) and b.get("type") not in _AI_SKIPPED
            )
        )
    else:
        content = _content_parts(message.content, _AI_BLOCKS, "assistant")
    reasoning = _reasoning_from_kwargs(message.additional_kwargs)
    if reasoning:
        # additional_kwargs holds the signed originals; v1 content may repeat them unsigned.
        content = [p for p in content if not isinstance(p, ReasoningPart)]
    else:
        reasoning = [p for p in content if isinstance(p, ReasoningPart)]
        content = [p for p in content if not isinstance(p, ReasoningPart)]
    parts: list[Part] = [*reasoning, *content]
    parts.extend(_tool_call_part(call) for call in message.tool_calls)
    parts.extend(_invalid_call_part(call) for call in message.invalid_tool_calls)
    return Message(role="assistant", parts=tuple(parts), name=message.name)


def _tool_message(message: BaseMessage) -> Message:
    content = message.content
    result: str | tuple[TextPart | ImagePart | DocumentPart, ...]
    if isinstance(content, str):
        result = content
    else:
        parts = _content_parts(content, _USER_BLOCKS, "tool")
        for p in parts:
            if not isinstance(p, (TextPart, ImagePart, DocumentPart)):
                raise GatewayConfigError(
                    f"a ToolMessage may hold text, images and documents; {type(p).__name__} "
                    "content cannot be sent in a tool result. Put it in a following HumanMessage."
                )
        result = tuple(p for p in parts if isinstance(p, (TextPart, ImagePart, DocumentPart)))
    part = ToolResultPart(
        tool_call_id=getattr(message, "tool_call_id", ""),
        content=result,
        name=message.name,
        is_error=getattr(message, "status", "success") == "error",
    )
    return Message(role="tool", parts=(part,))


# ChatMessage roles -> the converter of the matching message type.
_CHAT_ROLES: dict[str, Callable[[BaseMessage], Message]] = {
    "system": _system_message,
    "developer": _system_message,
    "user": _human_message,
    "human": _human_message,
}


def _chat_message(message: BaseMessage) -> Message:
    role = getattr(message, "role", "")
    converter = _CHAT_ROLES.get(role)
    if converter is None:
        raise GatewayConfigError(
            f"ChatMessage role {role!r} is not supported; use one of {sorted(_CHAT_ROLES)}, or "
            "AIMessage / ToolMessage for assistant turns and tool results."
        )
    return converter(message)


# BaseMessage.type (chunks report their class name) -> converter.
_MESSAGES: dict[str, Callable[[BaseMessage], Message]] = {
    "system": _system_message,
    "SystemMessageChunk": _system_message,
    "human": _human_message,
    "HumanMessageChunk": _human_message,
    "ai": _ai_message,
    "AIMessageChunk": _ai_message,
    "tool": _tool_message,
    "ToolMessageChunk": _tool_message,
    "chat": _chat_message,
    "ChatMessageChunk": _chat_message,
}


def to_messages(messages: Sequence[BaseMessage]) -> tuple[Message, ...]:
    """Convert LangChain messages to neutral messages, in order.

    Raises:
        GatewayConfigError: a message type or content block the gateway cannot carry (the message
            says what to send instead); nothing is dropped silently.
    """
    out: list[Message] = []
    for message in messages:
        converter = _MESSAGES.get(message.type)
        if converter is None:
            raise GatewayConfigError(
                f"{type(message).__name__} is not supported; use SystemMessage, HumanMessage, "
                "AIMessage or ToolMessage."
            )
        out.append(converter(message))
    return tuple(out)
