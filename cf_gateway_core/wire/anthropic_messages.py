"""Anthropic Messages (``POST /ai/v1/messages``): request bodies, replies and stream decoding.

The gateway speaks Anthropic Messages natively for ``anthropic/*`` models (cloudflare-api.md §0
fact 8 [C]); this module converts a neutral :class:`~cf_gateway_core.messages.ChatRequest` into
that body, a reply into a :class:`~cf_gateway_core.messages.ChatResponse`, and the Anthropic event
stream into neutral stream events. The Workers AI universal ``/ai/run`` path reuses all three for
``anthropic/*`` models.

Payload conventions: message ``content`` is always a list of blocks (never the plain-string
shorthand), so merging consecutive same-role turns is a list extend; ``system`` is always a string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from cf_gateway_core.errors import GatewayConfigError, GatewayError, StreamError
from cf_gateway_core.events import (
    Finish,
    ReasoningDelta,
    ResponseStart,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
    parse_tool_arguments,
)
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    GatewayMetadata,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from cf_gateway_core.routing import Route
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire import WireFormat

__all__ = ["FORMAT", "ChunkDecoder", "build_payload", "default_max_tokens", "parse_response"]

_Block = dict[str, Any]
_ReplyPart = TextPart | ReasoningPart | ToolCallPart

_FALLBACK_MAX_TOKENS = 4096

# Max output tokens per model family (Anthropic's models overview; langchain-anthropic's
# _MODEL_DEFAULT_MAX_OUTPUT_TOKENS holds the same figures). Names are normalised first
# ("anthropic/claude-sonnet-4.5" -> "claude-sonnet-4-5"); the first matching prefix wins. Opus 4 and
# 4.1 cap output at 32k; later Opus models allow more, so 32k is safe for the whole family.
_MAX_TOKENS_BY_FAMILY: tuple[tuple[str, int], ...] = (
    ("claude-opus-", 32_000),
    ("claude-sonnet-", 64_000),
    ("claude-haiku-", 64_000),
    ("claude-3-7-sonnet", 64_000),
    ("claude-3-5-sonnet", 8_192),
    ("claude-3-5-haiku", 8_192),
    ("claude-3-", 4_096),
)

# reasoning_effort. Through the gateway, `thinking: {"type": "adaptive"}` plus
# `output_config.effort` was observed accepted (cloudflare-api.md §5.4 [O]), and current Claude
# models take no `temperature` (§0 fact 8) — the generation whose extended thinking is adaptive
# only. So adaptive + effort is the default. Models released before adaptive thinking (Claude 3.7
# Sonnet, Sonnet 4 / 4.5, Haiku 4.5, Opus 4 / 4.1 / 4.5) reject it but take
# `thinking: {"type": "enabled", "budget_tokens": N}`; this pattern matches them (dated or not).
_BUDGET_THINKING_MODELS = re.compile(
    r"claude-(?:3-7-sonnet|sonnet-4(?:-[05])?|haiku-4-5|opus-4(?:-[015])?)(?:-\d{8}|-latest)?$"
)
# Anthropic's minimum budget is 1024; budget_tokens must stay below max_tokens.
_THINKING_BUDGETS: dict[str, int] = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384}
_EFFORTS: dict[str, str] = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}
_MIN_ANSWER_TOKENS = 4096
"""Room left for the answer when max_tokens is raised to fit a thinking budget."""

_TOOL_CHOICES: dict[str, str] = {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}

_WIRE_ROLES: dict[str, str] = {"user": "user", "tool": "user", "assistant": "assistant"}

_FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
    "model_context_window_exceeded": "length",
}

# Message and usage fields kept in ChatResponse.provider_details when present.
_DETAIL_KEYS: tuple[str, ...] = ("stop_sequence", "stop_details", "container")
_USAGE_DETAIL_KEYS = ("service_tier", "inference_geo", "cache_creation", "server_tool_use")


def default_max_tokens(model_id: str) -> int:
    """The ``max_tokens`` sent when the request sets none (the Anthropic API requires one).

    Args:
        model_id: a model id such as ``anthropic/claude-sonnet-4.5`` or ``claude-3-5-haiku-latest``.

    Returns:
        The family's maximum output tokens, or 4096 for an unknown model.
    """
    name = _normalise_model(model_id)
    for prefix, limit in _MAX_TOKENS_BY_FAMILY:
        if name.startswith(prefix):
            return limit
    return _FALLBACK_MAX_TOKENS


def _normalise_model(model_id: str) -> str:
    # The gateway spells versions with dots (§0 fact 6), Anthropic with dashes.
    return model_id.rpartition("/")[2].lower().replace(".", "-")


# --------------------------------------------------------------------------------------------
# Request


def build_payload(request: ChatRequest, route: Route) -> dict[str, Any]:
    """Build the Anthropic Messages body for ``request``.

    Raises:
        GatewayConfigError: content the API cannot take (a non-text system message, an image that
            is neither an http(s) nor a base64 ``data:`` URL, ``response_format``, an unknown
            ``reasoning_effort``…); the message says what to do instead.
    """
    if request.response_format is not None:
        raise GatewayConfigError(
            "response_format (structured output) is not supported on the Anthropic Messages "
            "endpoint. Use tool calling instead (LangChain: with_structured_output(..., "
            "method='function_calling')) or pass endpoint='chat_completions'."
        )
    model = route.model.id
    system, messages = _map_messages(request.messages)
    max_tokens = request.max_tokens
    payload: dict[str, Any] = {
        "model": model,
        "max_tokens": default_max_tokens(model) if max_tokens is None else max_tokens,
    }
    if system:
        # A string: block arrays are rejected with 400/7003 — cloudflare-api.md §0 fact 8 [C].
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
    return payload


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
                "text, images and tool results; tool results hold text and images)."
            )
        block = mapper(part)
        if block is not None:
            blocks.append(block)
    return blocks


def _map_text(part: TextPart) -> _Block | None:
    # Empty or whitespace-only text blocks are rejected by the API; they carry nothing.
    text = part.text
    if not text or text.isspace():
        return None
    return {"type": "text", "text": text}


def _map_image(part: ImagePart) -> _Block:
    url = part.url
    if url.startswith("data:"):
        header, sep, data = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if sep and data and media_type and encoding == "base64":
            source: _Block = {"type": "base64", "media_type": media_type, "data": data}
            return {"type": "image", "source": source}
    elif url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise GatewayConfigError(
        f"image URL {url[:40]!r}… cannot be sent to the Anthropic Messages API: pass an "
        "http(s) URL or a 'data:<media type>;base64,<data>' URL."
    )


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
    return result


_PART_MAPPERS: dict[str, dict[type, Callable[[Any], _Block | None]]] = {
    "user": {TextPart: _map_text, ImagePart: _map_image, ToolResultPart: _map_tool_result},
    "assistant": {TextPart: _map_text, ReasoningPart: _map_reasoning, ToolCallPart: _map_tool_call},
}


def _map_tool(tool: ToolSpec) -> _Block:
    spec: _Block = {"name": tool.name}
    if tool.description:
        spec["description"] = tool.description
    spec["input_schema"] = tool.parameters
    if tool.strict:
        spec["strict"] = True
    return spec


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
    if not _BUDGET_THINKING_MODELS.match(_normalise_model(model)):
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


# --------------------------------------------------------------------------------------------
# Reply


def parse_response(body: Any) -> ChatResponse:
    """Parse an Anthropic message, bare or inside ``{"result": …}`` envelopes.

    Content blocks ``text``, ``thinking``, ``redacted_thinking`` and ``tool_use`` become parts;
    server-tool blocks (``server_tool_use``, ``web_search_tool_result``…) and other unknown block
    types are ignored (the text that cites them is kept).

    Raises:
        GatewayError: the body is not an Anthropic message.
    """
    message, metadata = _unwrap(body)
    parts: list[_ReplyPart] = []
    for index, block in enumerate(message["content"]):
        if isinstance(block, dict):
            mapper = _BLOCK_MAPPERS.get(block.get("type", ""))
            if mapper is not None:
                parts.append(mapper(block, index))
    raw_reason = message.get("stop_reason")
    if not isinstance(raw_reason, str):
        raw_reason = None
    usage = message.get("usage")
    key_source = metadata.get("keySource") if isinstance(metadata, dict) else None
    return ChatResponse(
        parts=_canonical_order(parts),
        id=message.get("id"),
        model=message.get("model"),
        finish_reason=_map_finish_reason(raw_reason),
        raw_finish_reason=raw_reason,
        usage=_map_usage(usage) if isinstance(usage, dict) else None,
        gateway=GatewayMetadata(key_source=key_source) if isinstance(key_source, str) else None,
        provider_details=_map_details(message, metadata),
    )


def _unwrap(body: Any) -> tuple[dict[str, Any], Any]:
    # Bare message (+ gatewayMetadata), {"result": message} or
    # {"result": {"result": message, "gatewayMetadata": …}} — cloudflare-api.md §4.1 [C]/[O].
    node, metadata = body, None
    for _ in range(3):
        if not isinstance(node, dict):
            break
        metadata = node.get("gatewayMetadata", metadata)
        if isinstance(node.get("content"), list):
            return node, metadata
        if node.get("type") == "error":
            error = node.get("error")
            detail = error.get("message") if isinstance(error, dict) else error
            raise GatewayError(f"the reply is an Anthropic error, not a message: {detail}")
        node = node.get("result")
    shape = f"an object with keys {sorted(body)[:8]}" if isinstance(body, dict) else type(body)
    raise GatewayError(
        f"expected an Anthropic message (an object with a 'content' list), got {shape}."
    )


def _map_tool_use_block(block: dict[str, Any], index: int) -> _ReplyPart:
    raw = block.get("input")
    text, error = None, None
    if raw is None or isinstance(raw, dict):
        arguments: dict[str, Any] = raw or {}
    else:  # Not an object (lenient): parse a string, report anything else as invalid.
        text = raw if isinstance(raw, str) else json.dumps(raw)
        arguments, error = parse_tool_arguments(text)
    return ToolCallPart(
        # The same fallback id the stream accumulator gives (keyed by block index).
        id=block.get("id") or f"call_{index}",
        name=block.get("name") or "",
        arguments=arguments,
        raw_arguments=text if error else None,
        error=error,
    )


_BLOCK_MAPPERS: dict[str, Callable[[dict[str, Any], int], _ReplyPart]] = {
    "text": lambda block, index: TextPart(str(block.get("text") or "")),
    "thinking": lambda block, index: ReasoningPart(
        text=block.get("thinking") or "", signature=block.get("signature") or None
    ),
    "redacted_thinking": lambda block, index: ReasoningPart(
        text="", redacted_data=block.get("data")
    ),
    "tool_use": _map_tool_use_block,
}


def _canonical_order(parts: list[_ReplyPart]) -> tuple[_ReplyPart, ...]:
    # Reasoning, one joined text part, tool calls — as StreamAccumulator builds them.
    ordered: list[_ReplyPart] = [p for p in parts if isinstance(p, ReasoningPart)]
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    if text:
        ordered.append(TextPart(text))
    ordered.extend(p for p in parts if isinstance(p, ToolCallPart))
    return tuple(ordered)


def _map_finish_reason(raw: str | None) -> FinishReason | None:
    return None if raw is None else _FINISH_REASONS.get(raw, "other")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _map_usage(raw: Mapping[str, Any]) -> Usage:
    # LangChain's convention: the input total includes cache reads and writes; the cache counts
    # are subsets of it. Anthropic reports them apart from input_tokens.
    cache_read = _as_int(raw.get("cache_read_input_tokens"))
    cache_creation = _as_int(raw.get("cache_creation_input_tokens"))
    input_tokens = _as_int(raw.get("input_tokens")) or 0
    input_tokens += (cache_read or 0) + (cache_creation or 0)
    output_tokens = _as_int(raw.get("output_tokens")) or 0
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        cache_read_tokens=cache_read,
        cache_creation_tokens=cache_creation,
    )


def _map_details(message: dict[str, Any], metadata: Any) -> dict[str, Any]:
    details = {key: message[key] for key in _DETAIL_KEYS if message.get(key) is not None}
    usage = message.get("usage")
    if isinstance(usage, dict):
        details.update((key, usage[key]) for key in _USAGE_DETAIL_KEYS if key in usage)
    if metadata is not None:
        details["gatewayMetadata"] = metadata
    return details


# --------------------------------------------------------------------------------------------
# Stream

_Handler = Callable[[dict[str, Any]], list[StreamEvent]]

# content_block_start: the block's first content, keyed by block type (index = block index).
_BLOCK_STARTS: dict[str, Callable[[dict[str, Any], int], list[StreamEvent]]] = {
    "text": lambda block, index: [TextDelta(block["text"])] if block.get("text") else [],
    "thinking": lambda block, index: [
        ReasoningDelta(block.get("thinking") or "", block.get("signature") or None, index)
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
    """Decodes an Anthropic Messages event stream (cloudflare-api.md §5.4 [C]).

    Each event's ``type`` (or, failing that, its SSE ``event:`` name) picks a handler; there is no
    ``[DONE]``. Input tokens arrive in ``message_start`` and output tokens in ``message_delta``,
    so the usage reported at ``message_delta`` combines both. Tool-call and reasoning events are
    keyed by the content block index. ``ping``, ``content_block_stop``, ``message_stop`` and
    unknown events yield nothing; an ``error`` event raises :class:`StreamError`.
    """

    __slots__ = ("_finished", "_handlers", "_tool_blocks", "_usage")

    def __init__(self) -> None:
        """Start a decoder for one stream."""
        self._usage: dict[str, Any] = {}
        self._tool_blocks: set[int] = set()
        self._finished = False
        self._handlers: dict[str, _Handler] = {
            "message_start": self._on_message_start,
            "content_block_start": self._on_block_start,
            "content_block_delta": self._on_block_delta,
            "message_delta": self._on_message_delta,
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
            frame = json.loads(data)
        except ValueError as exc:
            raise StreamError(
                f"the Anthropic stream sent an event that is not JSON: {data[:200]!r}", body=data
            ) from exc
        if not isinstance(frame, dict):
            return []
        handler = self._handlers.get(frame.get("type") or event.event)
        if handler is not None:
            return handler(frame)
        return self._on_error(frame) if "error" in frame else []

    def close(self) -> list[StreamEvent]:
        """End of stream: a ``Finish`` without a reason when ``message_delta`` never came."""
        if self._finished:
            return []
        self._finished = True
        return [Finish(None)]

    def _on_message_start(self, frame: dict[str, Any]) -> list[StreamEvent]:
        message = frame.get("message")
        if not isinstance(message, dict):
            return []
        usage = message.get("usage")
        if isinstance(usage, dict):
            self._usage = {key: value for key, value in usage.items() if value is not None}
        return [
            ResponseStart(message.get("id"), message.get("model")),
            UsageUpdate(_map_usage(self._usage)),
        ]

    def _on_block_start(self, frame: dict[str, Any]) -> list[StreamEvent]:
        block = frame.get("content_block")
        if not isinstance(block, dict):
            return []
        kind = block.get("type", "")
        start = _BLOCK_STARTS.get(kind)
        if start is None:
            return []
        index = frame.get("index", 0)
        if kind == "tool_use":
            self._tool_blocks.add(index)
        return start(block, index)

    def _on_block_delta(self, frame: dict[str, Any]) -> list[StreamEvent]:
        delta = frame.get("delta")
        if not isinstance(delta, dict):
            return []
        kind = delta.get("type", "")
        entry = _DELTAS.get(kind)
        if entry is None:
            return []
        piece = delta.get(entry[0])
        index = frame.get("index", 0)
        # Server-tool blocks (server_tool_use) stream input_json_delta too; only client tool_use
        # blocks are tool calls.
        if not piece or (kind == "input_json_delta" and index not in self._tool_blocks):
            return []
        return [entry[1](piece, index)]

    def _on_message_delta(self, frame: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        usage = frame.get("usage")
        if isinstance(usage, dict):
            # Fields message_delta repeats (or adds) win over message_start's.
            self._usage.update((key, value) for key, value in usage.items() if value is not None)
            events.append(UsageUpdate(_map_usage(self._usage)))
        delta = frame.get("delta")
        raw = delta.get("stop_reason") if isinstance(delta, dict) else None
        if not isinstance(raw, str):
            raw = None
        events.append(Finish(_map_finish_reason(raw), raw))
        self._finished = True
        return events

    def _on_error(self, frame: dict[str, Any]) -> list[StreamEvent]:
        # {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}} after
        # HTTP 200 — cloudflare-api.md §5.4 [C], §5.6 [I].
        error = frame.get("error")
        if isinstance(error, dict):
            kind = error.get("type") or "error"
            message = error.get("message") or "no message"
        else:
            kind, message = "error", error or "no message"
        raise StreamError(f"the Anthropic stream reported {kind}: {message}", body=frame)


FORMAT = WireFormat(
    build_payload=build_payload, parse_response=parse_response, new_decoder=ChunkDecoder
)
"""The Anthropic Messages wire format."""
