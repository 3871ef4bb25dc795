"""Anthropic Messages (``POST /ai/v1/messages``): request bodies, replies and stream decoding.

The gateway speaks Anthropic Messages natively for ``anthropic/*`` models (docs/wire-notes.md §0
fact 8 [C]); this module converts a neutral :class:`~cf_gateway_core.messages.ChatRequest` into
that body, a reply into a :class:`~cf_gateway_core.messages.ChatResponse`, and the Anthropic event
stream into neutral stream events. The Workers AI universal ``/ai/run`` path reuses all three for
``anthropic/*`` models. Replies are read in :mod:`~cf_gateway_core.wire._anthropic_reply` and
streams in :mod:`~cf_gateway_core.wire._anthropic_stream`; both are re-exported here.

Payload conventions: message ``content`` is always a list of blocks (never the plain-string
shorthand), so merging consecutive same-role turns is a list extend; ``system`` is always a string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.messages import (
    AudioPart,
    ChatRequest,
    DocumentPart,
    ImagePart,
    Message,
    ProviderPart,
    ProviderTool,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from cf_gateway_core.profiles import ModelProfile, get_profile
from cf_gateway_core.routing import Route
from cf_gateway_core.wire._anthropic_reply import parse_response
from cf_gateway_core.wire._caching import (
    MAX_BREAKPOINTS,
    cache_control,
    count_breakpoints,
    reject_prompt_cache_key,
)
from cf_gateway_core.wire._format import DecoderOnFirstStream, WireFormat
from cf_gateway_core.wire._media import anthropic_document, audio_refused, has_part
from cf_gateway_core.wire._server_tools import refuse_foreign

if TYPE_CHECKING:
    from cf_gateway_core.wire._anthropic_stream import ChunkDecoder

__all__ = ["FORMAT", "ChunkDecoder", "build_payload", "default_max_tokens", "parse_response"]

_Block = dict[str, Any]

# reasoning_effort. Through the gateway, `thinking: {"type": "adaptive"}` plus
# `output_config.effort` was observed accepted (docs/wire-notes.md §5.4 [O]), and current Claude
# models take no `temperature` (§0 fact 8) — the generation whose extended thinking is adaptive
# only. So adaptive + effort is the default. Models released before adaptive thinking reject it
# but take `thinking: {"type": "enabled", "budget_tokens": N}`: the model table says which
# (ModelProfile.budget_thinking).
# Anthropic's minimum budget is 1024; budget_tokens must stay below max_tokens.
_THINKING_BUDGETS: dict[str, int] = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384}
_EFFORTS: dict[str, str] = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}
_MIN_ANSWER_TOKENS = 4096
"""Room left for the answer when max_tokens is raised to fit a thinking budget."""

_TOOL_CHOICES: dict[str, str] = {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}

_WIRE_ROLES: dict[str, str] = {"user": "user", "tool": "user", "assistant": "assistant"}


def default_max_tokens(model_id: str) -> int:
    """The ``max_tokens`` sent when the request sets none (the Anthropic API requires one).

    Args:
        model_id: a model id such as ``anthropic/claude-sonnet-4.5``; a bare Anthropic name such
            as ``claude-3-5-haiku-latest`` is read as ``anthropic/…``.

    Returns:
        The model table's ``default_max_tokens`` (the family's maximum output for Claude
        models, 4096 for others and for unknown models).
    """
    return _profile(model_id).default_max_tokens


def _profile(model_id: str) -> ModelProfile:
    # A bare Anthropic name such as claude-3-5-haiku-latest is read as anthropic/….
    model_id = model_id.strip()
    if model_id and "/" not in model_id:
        model_id = f"anthropic/{model_id}"
    return get_profile(model_id)


# --------------------------------------------------------------------------------------------
# Request


def build_payload(request: ChatRequest, route: Route) -> dict[str, Any]:
    """Build the Anthropic Messages body for ``request``.

    Raises:
        GatewayConfigError: content the API cannot take (a non-text system message, an image that
            is neither an http(s) nor a base64 ``data:`` URL, ``response_format``, an unknown
            ``reasoning_effort``…); the message says what to do instead.
    """
    _check_request(request, route)
    model = route.model.id
    system, messages = _map_messages(request.messages)
    if request.cache_control is not None:
        _mark_last_block(messages, request.cache_control)
    max_tokens = request.max_tokens
    payload: dict[str, Any] = {
        "model": model,
        "max_tokens": default_max_tokens(model) if max_tokens is None else max_tokens,
    }
    if system:
        # A string: block arrays are rejected with 400/7003 — docs/wire-notes.md §0 fact 8 [C].
        payload["system"] = system
    payload["messages"] = messages
    if request.tools:
        payload["tools"] = [_map_tool(tool) for tool in request.tools]
    tool_choice = _map_tool_choice(request)
    if tool_choice is not None:
        payload["tool_choice"] = tool_choice
    if request.temperature is not None:
        payload["temperature"] = request.temperature
    if request.top_p is not None:
        payload["top_p"] = request.top_p
    if request.stop:
        payload["stop_sequences"] = list(request.stop)
    if request.reasoning_effort is not None:
        _map_reasoning_effort(request.reasoning_effort, model, max_tokens, payload)
    if request.stream:
        payload["stream"] = True
    if request.extra_body:
        payload.update(request.extra_body)
    _check_breakpoints(payload)
    return payload


def _check_request(request: ChatRequest, route: Route) -> None:
    """Refuse what the Messages API has no field for, naming where it goes instead."""
    if request.response_format is not None:
        raise GatewayConfigError(
            "response_format (structured output) is not supported on the Anthropic Messages "
            "endpoint. Use tool calling instead (LangChain: with_structured_output(..., "
            "method='function_calling')) or pass endpoint='chat_completions'."
        )
    reject_prompt_cache_key(request, route.endpoint.value)
    refuse_foreign(request, "anthropic", route.endpoint.value)
    if has_part(request, AudioPart):
        raise audio_refused(route.endpoint.value)


# Blocks that take no cache_control of their own (Anthropic prompt-caching docs: thinking blocks
# are cached with the rest of the turn but cannot be marked).
_UNMARKABLE = frozenset({"thinking", "redacted_thinking"})


def _mark_last_block(messages: list[_Block], value: Any) -> None:
    """The per-call ``cache_control``: on the last block of the last turn that can carry one."""
    marker = cache_control(value)
    for block in reversed(messages[-1]["content"] if messages else []):
        if block.get("type") not in _UNMARKABLE:
            block["cache_control"] = marker
            return
    raise GatewayConfigError(
        "cache_control was passed for the call, but the last message has no content block that "
        "can carry it; add a user message (or put cache_control on a block yourself)."
    )


def _check_breakpoints(payload: dict[str, Any]) -> None:
    count = count_breakpoints(payload)
    if count > MAX_BREAKPOINTS:
        raise GatewayConfigError(
            f"the request marks {count} blocks with cache_control; the Anthropic Messages API "
            f"takes at most {MAX_BREAKPOINTS} cache breakpoints. Remove some."
        )


def _with_cache(block: _Block, part: Any) -> _Block:
    if part.cache_control is not None:
        block["cache_control"] = cache_control(part.cache_control)
    return block


def _map_messages(messages: tuple[Message, ...]) -> tuple[str, list[_Block]]:
    """System text, and the turns with consecutive same-role messages merged.

    Anthropic requires user/assistant alternation, so a run of tool results (and a user message
    after them) becomes one user message.
    """
    system: list[str] = []
    turns: list[_Block] = []
    for message in messages:
        if message.role == "system":
            system.append(_map_system(message))
            continue
        role = _WIRE_ROLES[message.role]
        blocks = _map_parts(message.parts, _PART_MAPPERS[role], f"a {message.role!r} message")
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return "\n\n".join(text for text in system if text), turns


def _map_system(message: Message) -> str:
    for part in message.parts:
        if not isinstance(part, TextPart):
            raise GatewayConfigError(
                f"a system message may only hold text on the Anthropic Messages API (got "
                f"{type(part).__name__}); move images and tool content to a user message."
            )
        if part.cache_control is not None:
            # The gateway takes `system` only as a string: a block array (the one place
            # cache_control could go) is rejected with 400 / code 7003 (docs/content.md).
            raise GatewayConfigError(
                "cache_control on the system prompt cannot be sent through Cloudflare AI "
                "Gateway: /ai/v1/messages takes the system prompt only as a string (a block "
                "array is rejected with 400, code 7003). Put cache_control on the first user "
                "message's content block (or on the last tool) instead: Anthropic caches tools, "
                "system and messages as one prefix, so that breakpoint caches the system prompt."
            )
    return message.text


def _map_parts(
    parts: tuple[Any, ...], mappers: dict[type, Callable[[Any], _Block | None]], where: str
) -> list[_Block]:
    blocks: list[_Block] = []
    for part in parts:
        mapper = mappers.get(type(part))
        if mapper is None:
            raise GatewayConfigError(
                f"{type(part).__name__} cannot be sent in {where} on the Anthropic Messages API "
                "(assistant turns hold text, reasoning and tool calls; user and tool turns hold "
                "text, images, documents and tool results; tool results hold text, images and "
                "documents)."
            )
        block = mapper(part)
        if block is not None:
            blocks.append(block)
    return blocks


def _map_text(part: TextPart) -> _Block | None:
    # Empty or whitespace-only text blocks are rejected by the API; they carry nothing.
    text = part.text
    if not text or text.isspace():
        if part.cache_control is not None:
            raise GatewayConfigError(
                "cache_control is set on an empty text block, which the Anthropic Messages API "
                "does not take; put it on a block with content."
            )
        return None
    return _with_cache({"type": "text", "text": text}, part)


def _map_image(part: ImagePart) -> _Block:
    url = part.url
    if url.startswith("data:"):
        header, sep, data = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if sep and data and media_type and encoding == "base64":
            source: _Block = {"type": "base64", "media_type": media_type, "data": data}
            return _with_cache({"type": "image", "source": source}, part)
    elif url.startswith(("https://", "http://")):
        return _with_cache({"type": "image", "source": {"type": "url", "url": url}}, part)
    raise GatewayConfigError(
        f"image URL {url[:40]!r}… cannot be sent to the Anthropic Messages API: pass an "
        "http(s) URL or a 'data:<media type>;base64,<data>' URL."
    )


def _map_provider_block(part: ProviderPart) -> _Block:
    # server_tool_use / *_tool_result / cited text from an earlier reply, sent back verbatim.
    return dict(part.block)


def _map_document(part: DocumentPart) -> _Block:
    return _with_cache(anthropic_document(part), part)


def _map_reasoning(part: ReasoningPart) -> _Block | None:
    if part.redacted_data is not None:
        return {"type": "redacted_thinking", "data": part.redacted_data}
    if not part.signature:
        # Anthropic verifies thinking by its signature and rejects a block without one; thinking
        # from earlier turns may be left out (Anthropic extended-thinking docs), so unsigned
        # reasoning (e.g. another provider's) is not sent back.
        return None
    return {"type": "thinking", "thinking": part.text, "signature": part.signature}


def _map_tool_call(part: ToolCallPart) -> _Block:
    arguments = part.arguments
    return {
        "type": "tool_use",
        "id": part.id,
        "name": part.name,
        "input": arguments if isinstance(arguments, dict) else dict(arguments),
    }


_RESULT_MAPPERS: dict[type, Callable[[Any], _Block | None]] = {
    TextPart: _map_text,
    ImagePart: _map_image,
    DocumentPart: _map_document,
}


def _map_tool_result(part: ToolResultPart) -> _Block:
    content: str | list[_Block]
    if isinstance(part.content, str):
        content = part.content
    else:
        content = _map_parts(part.content, _RESULT_MAPPERS, "a tool result")
    result: _Block = {"type": "tool_result", "tool_use_id": part.tool_call_id, "content": content}
    if part.is_error:
        result["is_error"] = True
    return _with_cache(result, part)


_PART_MAPPERS: dict[str, dict[type, Callable[[Any], _Block | None]]] = {
    "user": {
        TextPart: _map_text,
        ImagePart: _map_image,
        DocumentPart: _map_document,
        ToolResultPart: _map_tool_result,
    },
    "assistant": {
        TextPart: _map_text,
        ReasoningPart: _map_reasoning,
        ToolCallPart: _map_tool_call,
        ProviderPart: _map_provider_block,
    },
}


def _map_tool(tool: ToolSpec | ProviderTool) -> _Block:
    if isinstance(tool, ProviderTool):
        return dict(tool.spec)  # a server tool, as the caller wrote it (cache_control included)
    spec: _Block = {"name": tool.name}
    if tool.description:
        spec["description"] = tool.description
    spec["input_schema"] = tool.parameters
    if tool.strict:
        spec["strict"] = True
    return _with_cache(spec, tool)


def _map_tool_choice(request: ChatRequest) -> _Block | None:
    choice: ToolChoice | None = request.tool_choice
    mapped: _Block | None = None
    if choice is not None:
        mapped = {"type": _TOOL_CHOICES[choice.mode]}
        if choice.mode == "tool":
            if not choice.name:
                raise GatewayConfigError("tool_choice mode 'tool' needs the tool's name.")
            mapped["name"] = choice.name
    if request.parallel_tool_calls is False and (mapped or request.tools):
        # {"type": "none"} takes no flag: with no tool calls there is nothing to parallelise.
        mapped = mapped or {"type": "auto"}
        if mapped["type"] != "none":
            mapped["disable_parallel_tool_use"] = True
    return mapped


def _map_reasoning_effort(
    effort: str, model: str, max_tokens: int | None, payload: dict[str, Any]
) -> None:
    if effort == "none":
        payload["thinking"] = {"type": "disabled"}
        return
    if effort not in _EFFORTS:
        raise GatewayConfigError(
            f"reasoning_effort {effort!r} is not supported on the Anthropic Messages API; use "
            "'none', 'minimal', 'low', 'medium' or 'high' (or pass 'thinking' in extra_body)."
        )
    if not _profile(model).budget_thinking:
        payload["thinking"] = {"type": "adaptive"}
        payload["output_config"] = {"effort": _EFFORTS[effort]}
        return
    budget = _THINKING_BUDGETS[effort]
    if max_tokens is None:
        payload["max_tokens"] = max(payload["max_tokens"], budget + _MIN_ANSWER_TOKENS)
    elif max_tokens <= budget:
        raise GatewayConfigError(
            f"reasoning_effort={effort!r} gives {model} a thinking budget of {budget} tokens, and "
            f"max_tokens ({max_tokens}) must be larger: raise max_tokens or lower reasoning_effort."
        )
    payload["thinking"] = {"type": "enabled", "budget_tokens": budget}


_DECODER = DecoderOnFirstStream(__name__, "cf_gateway_core.wire._anthropic_stream")
__getattr__ = _DECODER.module_getattr


FORMAT = WireFormat(
    build_payload=build_payload, parse_response=parse_response, new_decoder=_DECODER.new
)
"""The Anthropic Messages wire format."""
