"""Pure conversions from LlamaIndex values to the core's neutral request values.

``ChatMessage`` / content blocks / tools -> neutral request values (``to_messages``,
``to_tool_specs``, ``to_tool_choice``). The reply direction is in ``_results``. No I/O, no wire
JSON: the core owns that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from cf_gateway_core import (
    DocumentPart,
    GatewayConfigError,
    ImagePart,
    Message,
    Part,
    ProviderTool,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from llamaindex_cf_gateway._content import (
    CONTENT_PARTS,
    apply_cache_point,
    assistant_parts,
    provider_tool_of,
    split_cache_points,
)

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

from llamaindex_cf_gateway._results import _REDACTED_KEY, SIGNATURE_KEY

__all__ = ["to_messages", "to_tool_choice", "to_tool_specs"]

_Role = Literal["system", "user", "assistant", "tool"]
_Mode = Literal["auto", "none", "required"]

_ROLES: dict[MessageRole, _Role] = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}

_CHOICE_MODES: dict[str, _Mode] = {
    "auto": "auto",
    "none": "none",
    "required": "required",
    "any": "required",
}

# ----------------------------------------------------------------------------- request side


def _text_part(block: Any) -> Part:
    return TextPart(block.text)


def _image_part(block: Any) -> Part:
    image = cast(ImageBlock, block)
    if image.url is not None and image.image is None:
        return ImagePart(url=str(image.url), detail=image.detail)
    if not image.image_mimetype:
        raise GatewayConfigError(
            "an ImageBlock without a known media type cannot be sent: set "
            "ImageBlock(image_mimetype='image/png', ...) (or jpeg, gif, webp)."
        )
    # ImageBlock stores bytes as base64 once validated; a path is read here.
    data = image.resolve_image(as_base64=True).read().decode("ascii")
    return ImagePart(url=f"data:{image.image_mimetype};base64,{data}", detail=image.detail)


def _reasoning_part(block: Any) -> Part:
    info = block.additional_information
    return ReasoningPart(
        text=block.content or "",
        signature=info.get(SIGNATURE_KEY),
        redacted_data=info.get(_REDACTED_KEY),
    )


def _tool_call_part(block: Any) -> Part:
    call_id, name, kwargs = block.tool_call_id or "", block.tool_name, block.tool_kwargs
    if not isinstance(kwargs, str):
        return ToolCallPart(id=call_id, name=name, arguments=kwargs)
    try:
        parsed = json.loads(kwargs) if kwargs.strip() else {}
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return ToolCallPart(id=call_id, name=name, arguments=parsed)
    # Kept as written so the model sees its own call again (the wire sends raw_arguments back).
    return ToolCallPart(
        id=call_id,
        name=name,
        arguments={},
        raw_arguments=kwargs,
        error="arguments are not a JSON object",
    )


_BLOCK_PARTS: dict[type, Callable[[Any], Part]] = {
    TextBlock: _text_part,
    ImageBlock: _image_part,
    ThinkingBlock: _reasoning_part,
    ToolCallBlock: _tool_call_part,
    **CONTENT_PARTS,
}


def _unsupported(block: object) -> GatewayConfigError:
    return GatewayConfigError(
        f"{type(block).__name__} cannot be sent through Cloudflare AI Gateway: messages may hold "
        "TextBlock, ImageBlock, DocumentBlock, AudioBlock, CitableBlock, ThinkingBlock, "
        "ToolCallBlock and CachePoint. Convert other content (video…) to text or images first."
    )


def _to_parts(blocks: Sequence[object]) -> list[Part]:
    parts: list[Part] = []
    previous: object = None
    for block in blocks:
        # The table first: isinstance() against a pydantic model class runs pydantic's Python
        # __instancecheck__, and a CachePoint is never in the table.
        convert = _BLOCK_PARTS.get(type(block))
        if convert is None:
            if not isinstance(block, CachePoint):
                raise _unsupported(block)
            apply_cache_point(parts, block, previous)
            continue
        previous = block
        parts.append(convert(block))
    return parts


def _legacy_tool_call(call: Any) -> ToolCallPart:
    """A tool call from ``additional_kwargs["tool_calls"]`` (pre-0.14 LlamaIndex integrations)."""
    if isinstance(call, ToolCallBlock):
        return cast(ToolCallPart, _tool_call_part(call))
    data = call.model_dump() if hasattr(call, "model_dump") else call
    if not isinstance(data, Mapping):
        raise GatewayConfigError(
            f"additional_kwargs['tool_calls'] holds a {type(call).__name__}; use ToolCallBlock "
            "blocks in ChatMessage.blocks instead."
        )
    function = data.get("function")
    source = function if isinstance(function, Mapping) else data
    call_id, name = data.get("id"), source.get("name") or ""
    arguments = source.get("arguments", source.get("input", {}))
    if not (
        isinstance(call_id, (str, type(None)))
        and isinstance(name, str)
        and isinstance(arguments, (str, Mapping))
    ):
        raise GatewayConfigError(
            "additional_kwargs['tool_calls'] entries need a string 'id', a string 'name' and "
            "'arguments' as a JSON string or a dict; use ToolCallBlock blocks instead."
        )
    block = ToolCallBlock(tool_call_id=call_id, tool_name=name, tool_kwargs=arguments)
    return cast(ToolCallPart, _tool_call_part(block))


def _tool_result(
    message: ChatMessage, parts: list[Part], cache: dict[str, Any] | None
) -> ToolResultPart:
    call_id = message.additional_kwargs.get("tool_call_id")
    if not call_id:
        raise GatewayConfigError(
            "a tool message needs the id of the call it answers: "
            "ChatMessage(role='tool', content=..., additional_kwargs={'tool_call_id': ...})."
        )
    content: str | tuple[TextPart | ImagePart | DocumentPart, ...]
    if all(isinstance(p, TextPart) for p in parts):
        content = "".join(cast(TextPart, p).text for p in parts)
    else:
        content = tuple(_result_item(p) for p in parts)
    name = message.additional_kwargs.get("name")
    return ToolResultPart(
        tool_call_id=str(call_id),
        content=content,
        name=name if isinstance(name, str) else None,
        cache_control=cache,
    )


def _result_item(part: Part) -> TextPart | ImagePart | DocumentPart:
    if isinstance(part, (TextPart, ImagePart, DocumentPart)):
        return part
    raise GatewayConfigError(
        f"a tool result may hold text, images and documents only, got {type(part).__name__}."
    )


def _to_message(message: ChatMessage) -> Message:
    role = _ROLES.get(message.role)
    if role is None:
        raise GatewayConfigError(f"message role {message.role!r} is not supported.")
    if role == "tool":
        blocks, cache = split_cache_points(message.blocks)
        part = _tool_result(message, _to_parts(blocks), cache)
        return Message(role="tool", parts=(part,))
    if role == "assistant":
        parts = assistant_parts(message, _to_parts)
    else:
        parts = _to_parts(message.blocks)
    legacy = message.additional_kwargs.get("tool_calls")
    if legacy and not any(isinstance(p, ToolCallPart) for p in parts):
        parts.extend(_legacy_tool_call(call) for call in legacy)
    return Message(role=role, parts=tuple(parts))


def to_messages(messages: Sequence[ChatMessage]) -> tuple[Message, ...]:
    """Convert LlamaIndex chat messages to neutral messages.

    Tool results are ``role="tool"`` messages with ``additional_kwargs["tool_call_id"]`` (the
    convention of LlamaIndex agents); tool calls are ``ToolCallBlock`` blocks (or, from older
    integrations, ``additional_kwargs["tool_calls"]``); reasoning is ``ThinkingBlock`` with the
    provider's signature in ``additional_information["signature"]``.

    Raises:
        GatewayConfigError: a block type the gateway cannot take, an image without a media type,
            or a tool message without ``tool_call_id``.
    """
    return tuple([_to_message(m) for m in messages])


def to_tool_specs(
    tools: Sequence[BaseTool | ToolSpec | ProviderTool | Mapping[str, Any]],
) -> tuple[ToolSpec | ProviderTool, ...]:
    """Describe LlamaIndex tools (``FunctionTool``, ``QueryEngineTool``…) as neutral specs.

    A provider's own tool dict (Anthropic ``web_search_20250305``, OpenAI ``web_search``…) is
    sent as written.
    """
    specs: list[ToolSpec | ProviderTool] = []
    for tool in tools:
        if isinstance(tool, (ToolSpec, ProviderTool)):
            specs.append(tool)
            continue
        if isinstance(tool, Mapping):
            specs.append(provider_tool_of(tool))
            continue
        meta = tool.metadata
        specs.append(
            ToolSpec(
                name=meta.get_name(),
                description=meta.description or "",
                parameters=meta.get_parameters_dict(),
            )
        )
    return tuple(specs)


def _choice_from_mapping(value: Mapping[str, Any]) -> ToolChoice:
    # The two dict forms LlamaIndex users pass: OpenAI's {"type": "function", "function":
    # {"name": ...}} and Anthropic's {"type": "tool", "name": ...} / {"type": "any"}.
    function = value.get("function")
    name = function.get("name") if isinstance(function, Mapping) else value.get("name")
    if isinstance(name, str) and name:
        return ToolChoice(mode="tool", name=name)
    mode = _CHOICE_MODES.get(str(value.get("type")))
    if mode is None:
        raise GatewayConfigError(f"tool_choice {dict(value)!r} is not understood.")
    return ToolChoice(mode=mode)


def to_tool_choice(value: object, *, tool_required: bool = False) -> ToolChoice | None:
    """Normalise a LlamaIndex ``tool_choice`` into a neutral :class:`ToolChoice`.

    It may be ``"auto"``, ``"none"``, ``"required"``/``"any"``, a tool name, an
    OpenAI/Anthropic dict or a :class:`ToolChoice`.

    With no ``tool_choice``, ``tool_required=True`` means "must call some tool"; otherwise nothing
    is sent and the model decides.

    Raises:
        GatewayConfigError: a value that names no mode and no tool.
    """
    if value is None:
        return ToolChoice(mode="required") if tool_required else None
    if isinstance(value, ToolChoice):
        return value
    if isinstance(value, str):
        mode = _CHOICE_MODES.get(value)
        return ToolChoice(mode="tool", name=value) if mode is None else ToolChoice(mode=mode)
    if isinstance(value, Mapping):
        return _choice_from_mapping(value)
    raise GatewayConfigError(
        f"tool_choice must be a string, a dict or a ToolChoice, got {type(value).__name__}."
    )


# ----------------------------------------------------------------------------- response side
