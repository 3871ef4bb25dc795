"""OpenAI Chat Completions (``/ai/v1/chat/completions``): request JSON, reply JSON, stream chunks.

The one job: convert between the neutral values and the OpenAI ``chat.completion`` dialect the
gateway speaks for third-party and Workers AI models. Strict on what we send (unsupported content
raises :class:`~cf_gateway_core.errors.GatewayConfigError`), lenient on what we read (unknown keys
ignored). :mod:`~cf_gateway_core.wire.workers_ai` reuses the three entry points for OpenAI-shaped
``/ai/run`` bodies, so the decoder also reads Workers AI's native frames (``{"response": …}``,
top-level ``tool_calls`` and the usage trailer). The legacy non-stream ``{"response": …}`` body is
left to ``workers_ai``.

This module builds request bodies; replies are read in
:mod:`~cf_gateway_core.wire._openai_chat_reply` and streams in
:mod:`~cf_gateway_core.wire._openai_chat_stream`, both re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.messages import (
    AudioPart,
    ChatRequest,
    DocumentPart,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from cf_gateway_core.routing import Endpoint, ModelKind, ModelRef, Route
from cf_gateway_core.wire._caching import reject_cache_control, reject_prompt_cache_key
from cf_gateway_core.wire._common import compact_json, tool_result_text
from cf_gateway_core.wire._format import DecoderOnFirstStream, WireFormat
from cf_gateway_core.wire._media import chat_audio, chat_file, has_part
from cf_gateway_core.wire._openai_chat_reply import parse_response
from cf_gateway_core.wire._server_tools import refuse_foreign

if TYPE_CHECKING:
    from cf_gateway_core.wire._openai_chat_stream import ChunkDecoder

__all__ = ["FORMAT", "ChunkDecoder", "build_payload", "parse_response"]

# Optional request fields sent as they are when set: (ChatRequest attribute, JSON key).
_SCALAR_PARAMS: tuple[tuple[str, str], ...] = (
    ("parallel_tool_calls", "parallel_tool_calls"),
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("reasoning_effort", "reasoning_effort"),
)

# OpenAI's own models take max_completion_tokens (reasoning models reject max_tokens); every other
# third-party author and all Workers AI models take max_tokens.
_MAX_TOKENS_KEYS: dict[str, str] = {"openai": "max_completion_tokens"}

_TOOL_CHOICE_MODES: dict[str, str] = {"auto": "auto", "none": "none", "required": "required"}

# What to do instead, for part/role pairs Chat Completions cannot carry.
_UNSUPPORTED_HINTS: dict[tuple[str, type[Any]], str] = {
    ("system", ImagePart): "put the image in a user message",
    ("assistant", ImagePart): "put the image in a user message",
    ("user", ToolResultPart): "send tool results as Message(role='tool', parts=(ToolResultPart…,))",
    ("user", ToolCallPart): "tool calls belong in assistant messages",
    ("user", ReasoningPart): "reasoning belongs in assistant messages",
    ("assistant", ToolResultPart): "send tool results as Message(role='tool', …)",
    ("tool", TextPart): "wrap the text in a ToolResultPart(tool_call_id=…, content=…)",
}

# Tool messages carry text only; the error after "tool result '<id>'" for an image in one.
_TOOL_RESULT_IMAGE = (
    "holds an image or a document; images in tool results are not supported on endpoint "
    "{endpoint!r} (nor documents). Use endpoint 'messages' (Anthropic models) or 'responses', or "
    "put the image in a user message."
)


def build_payload(request: ChatRequest, route: Route) -> dict[str, Any]:
    """Build the Chat Completions JSON body.

    Unset values are not sent; ``extra_body`` is merged last (a shallow update, so it can
    override anything). Reasoning parts in assistant history are not sent: Chat Completions takes
    no reasoning input.

    Args:
        request: the neutral request.
        route: where it goes; ``route.model`` decides the model id, the ``max_tokens`` spelling
            and the ``json_schema`` shape (bare schema for Workers AI models).

    Returns:
        A JSON-ready dict.

    Raises:
        GatewayConfigError: the request holds content Chat Completions cannot express (an image
            in a tool result or a system message, a tool result outside a tool message…).
    """
    _check_request(request, route)
    payload: dict[str, Any] = {
        "model": route.model.id,
        "messages": _map_messages(request.messages),
    }
    if request.tools:
        # Provider tools were refused above (refuse_foreign): only function tools remain.
        payload["tools"] = [_map_tool_spec(s) for s in request.tools if isinstance(s, ToolSpec)]
    if request.tool_choice is not None:
        payload["tool_choice"] = _map_tool_choice(request.tool_choice)
    if request.response_format is not None:
        payload["response_format"] = _map_response_format(request.response_format, route.model)
    for attribute, key in _SCALAR_PARAMS:
        value = getattr(request, attribute)
        if value is not None:
            payload[key] = value
    if request.max_tokens is not None:
        payload[_map_max_tokens_key(route.model)] = request.max_tokens
    if request.stop:
        payload["stop"] = list(request.stop)
    if request.prompt_cache_key is not None:
        payload["prompt_cache_key"] = request.prompt_cache_key
    if request.stream:
        payload["stream"] = True
        # Without include_usage an OpenAI stream reports no usage — docs/wire-notes.md §5.3 [C].
        payload["stream_options"] = {"include_usage": True}
    if request.extra_body:
        payload.update(request.extra_body)
    return payload


def _check_request(request: ChatRequest, route: Route) -> None:
    """Refuse what this body has no field for (the run path reuses it), naming where it goes."""
    endpoint = route.endpoint.value
    reject_cache_control(request, endpoint)
    refuse_foreign(request, None, endpoint)
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, ToolResultPart) and not isinstance(part.content, str):
                tool_result_text(part, _TOOL_RESULT_IMAGE.format(endpoint=endpoint))
    if route.endpoint is not Endpoint.CHAT_COMPLETIONS:
        reject_prompt_cache_key(request, endpoint)
        _refuse_media(request, endpoint)


def _refuse_media(request: ChatRequest, endpoint: str) -> None:
    """Documents and audio on the run path: the Workers AI and universal schemas take neither."""
    if has_part(request, DocumentPart):
        raise GatewayConfigError(
            f"documents cannot be sent on endpoint {endpoint!r} for this model: use endpoint "
            "'chat_completions' (file parts), 'responses' (input_file) or, with Anthropic "
            "models, 'messages'."
        )
    if has_part(request, AudioPart):
        # Only Chat Completions takes input_audio; Responses and Messages refuse audio.
        raise GatewayConfigError(
            f"audio input cannot be sent on endpoint {endpoint!r} for this model: use endpoint "
            "'chat_completions' (input_audio parts) with an audio-capable model such as "
            "openai/gpt-4o-audio-preview."
        )


def _map_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        mapper = _ROLE_MAPPERS.get(message.role)
        if mapper is None:
            raise GatewayConfigError(
                f"message role {message.role!r} is not supported; use 'system', 'user', "
                "'assistant' or 'tool'."
            )
        start = len(out)
        mapper(message, out)
        if message.name:
            for wire in out[start:]:
                wire["name"] = message.name
    return out


def _unsupported(role: str, part: Part) -> GatewayConfigError:
    kind = type(part).__name__
    hint = _UNSUPPORTED_HINTS.get((role, type(part)), "remove it or use another endpoint")
    return GatewayConfigError(
        f"{kind} is not supported in a {role!r} message on endpoint 'chat_completions'; {hint}."
    )


def _map_system(message: Message, out: list[dict[str, Any]]) -> None:
    texts: list[str] = []
    for part in message.parts:
        if not isinstance(part, TextPart):
            raise _unsupported("system", part)
        texts.append(part.text)
    out.append({"role": "system", "content": "".join(texts)})


def _map_user(message: Message, out: list[dict[str, Any]]) -> None:
    parts = message.parts
    content: str | list[dict[str, Any]]
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        content = parts[0].text
    else:
        items = [_map_user_part(part) for part in parts]
        if all(item["type"] == "text" for item in items):
            # Text only: one string, joined like Message.text.
            content = "".join(item["text"] for item in items)
        else:
            content = items
    out.append({"role": "user", "content": content})


def _map_user_part(part: Part) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, DocumentPart):
        return chat_file(part, "chat_completions")
    if isinstance(part, AudioPart):
        return chat_audio(part, "chat_completions")
    if not isinstance(part, ImagePart):
        raise _unsupported("user", part)
    image: dict[str, Any] = {"url": part.url}
    if part.detail is not None:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


def _map_assistant(message: Message, out: list[dict[str, Any]]) -> None:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            calls.append(_map_tool_call(part))
        elif not isinstance(part, ReasoningPart):
            # ReasoningPart is skipped on purpose: Chat Completions has no reasoning input.
            raise _unsupported("assistant", part)
    text = "".join(texts)
    # content may be null only beside tool_calls (OpenAI spec); otherwise send a string.
    wire: dict[str, Any] = {"role": "assistant", "content": text or (None if calls else "")}
    if calls:
        wire["tool_calls"] = calls
    out.append(wire)


def _map_tool_call(part: ToolCallPart) -> dict[str, Any]:
    if part.error is not None and part.raw_arguments is not None:
        arguments = part.raw_arguments  # send back what the model wrote, not a made-up "{}"
    else:
        arguments = compact_json(_as_dict(part.arguments))
    return {
        "id": part.id,
        "type": "function",
        "function": {"name": part.name, "arguments": arguments},
    }


def _map_tool_message(message: Message, out: list[dict[str, Any]]) -> None:
    # One wire message per ToolResultPart. Chat Completions has no error flag, so is_error is
    # carried by the content itself.
    if not message.parts:
        raise GatewayConfigError(
            "a 'tool' message needs at least one ToolResultPart(tool_call_id=…, content=…)."
        )
    for part in message.parts:
        if not isinstance(part, ToolResultPart):
            raise _unsupported("tool", part)
        out.append(
            {
                "role": "tool",
                "tool_call_id": part.tool_call_id,
                "content": tool_result_text(part, "holds an image"),
            }
        )


_ROLE_MAPPERS: dict[str, Callable[[Message, list[dict[str, Any]]], None]] = {
    "system": _map_system,
    "user": _map_user,
    "assistant": _map_assistant,
    "tool": _map_tool_message,
}


def _map_tool_spec(spec: ToolSpec) -> dict[str, Any]:
    function: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "parameters": _as_dict(spec.parameters),
    }
    if spec.strict is not None:
        function["strict"] = spec.strict
    return {"type": "function", "function": function}


def _map_tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    mode = _TOOL_CHOICE_MODES.get(choice.mode)
    if mode is not None:
        return mode
    if choice.mode == "tool" and choice.name:
        return {"type": "function", "function": {"name": choice.name}}
    raise GatewayConfigError(
        f"tool_choice {choice.mode!r} needs a tool name: pass ToolChoice(mode='tool', "
        "name='<tool>'), or use mode 'auto', 'none' or 'required'."
    )


def _map_response_format(fmt: ResponseFormat, model: ModelRef) -> dict[str, Any]:
    if fmt.type == "json_object":
        return {"type": "json_object"}
    if fmt.type != "json_schema" or fmt.schema is None:
        raise GatewayConfigError(
            f"response_format type {fmt.type!r} needs a schema: pass ResponseFormat("
            "type='json_schema', schema={...}) or use type='json_object'."
        )
    schema = _as_dict(fmt.schema)
    if model.kind is ModelKind.WORKERS_AI:
        # Workers AI wants the bare schema, not OpenAI's {name, schema, strict} wrapper —
        # docs/wire-notes.md §6.1 [C] (CF-JSONMODE, CF-LC-CHAT).
        return {"type": "json_schema", "json_schema": schema}
    spec: dict[str, Any] = {"name": fmt.name or "response", "schema": schema}
    if fmt.strict is not None:
        spec["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": spec}


def _map_max_tokens_key(model: ModelRef) -> str:
    if model.kind is ModelKind.THIRD_PARTY:
        return _MAX_TOKENS_KEYS.get(model.author, "max_tokens")
    return "max_tokens"


def _as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    # json.dumps only encodes real dicts (a MappingProxyType would fail at send time).
    return value if isinstance(value, dict) else dict(value)


_DECODER = DecoderOnFirstStream(__name__, "cf_gateway_core.wire._openai_chat_stream")
__getattr__ = _DECODER.module_getattr


FORMAT = WireFormat(
    build_payload=build_payload,
    parse_response=parse_response,
    new_decoder=_DECODER.new,
)
"""The ``chat_completions`` endpoint's wire format."""
