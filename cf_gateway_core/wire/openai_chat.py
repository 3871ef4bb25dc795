"""OpenAI Chat Completions (``/ai/v1/chat/completions``): request JSON, reply JSON, stream chunks.

The one job: convert between the neutral values and the OpenAI ``chat.completion`` dialect the
gateway speaks for third-party and Workers AI models. Strict on what we send (unsupported content
raises :class:`~cf_gateway_core.errors.GatewayConfigError`), lenient on what we read (unknown keys
ignored). :mod:`~cf_gateway_core.wire.workers_ai` reuses the three entry points for OpenAI-shaped
``/ai/run`` bodies, so the decoder also reads Workers AI's native frames (``{"response": …}``,
top-level ``tool_calls`` and the usage trailer). The legacy non-stream ``{"response": …}`` body is
left to ``workers_ai``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from cf_gateway_core.errors import GatewayConfigError, GatewayError, StreamError, parse_error_body
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
    Usage,
)
from cf_gateway_core.routing import ModelKind, ModelRef, Route
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire import WireFormat

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

# finish_reason -> neutral reason; model_length and error are Workers AI values — cloudflare-api.md
# §5.1 [C] (CFAI-FINISH); function_call is OpenAI's legacy tool_calls. Unknown -> "other".
_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}

# Reply keys kept in provider_details when set: gatewayMetadata — cloudflare-api.md §0.4 [C], A4;
# system_fingerprint / service_tier — A5 [C]; the message's refusal and annotations.
_BODY_DETAILS: tuple[str, ...] = ("gatewayMetadata", "system_fingerprint", "service_tier")
_MESSAGE_DETAILS: tuple[str, ...] = ("refusal", "annotations")

# Content-list item types whose "text" is answer text (OpenAI content parts).
_TEXT_ITEM_TYPES = frozenset({"text", "output_text"})


# --------------------------------------------------------------------------- requests


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
    payload: dict[str, Any] = {
        "model": route.model.id,
        "messages": _map_messages(request.messages),
    }
    if request.tools:
        payload["tools"] = [_map_tool_spec(spec) for spec in request.tools]
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
    if request.stream:
        payload["stream"] = True
        # Without include_usage an OpenAI stream reports no usage — cloudflare-api.md §5.3 [C].
        payload["stream_options"] = {"include_usage": True}
    if request.extra_body:
        payload.update(request.extra_body)
    return payload


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
        arguments = json.dumps(_as_dict(part.arguments), separators=(",", ":"), ensure_ascii=False)
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
                "content": _map_tool_result_content(part),
            }
        )


def _map_tool_result_content(part: ToolResultPart) -> str:
    if isinstance(part.content, str):
        return part.content
    texts: list[str] = []
    for item in part.content:
        if not isinstance(item, TextPart):
            raise GatewayConfigError(
                f"tool result {part.tool_call_id!r} holds an image; images in tool results are "
                "not supported on endpoint 'chat_completions'. Use endpoint='messages' (Anthropic "
                "models) or put the image in a user message."
            )
        texts.append(item.text)
    return "".join(texts)


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
        # cloudflare-api.md §6.1 [C] (CF-JSONMODE, CF-LC-CHAT).
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


# --------------------------------------------------------------------------- replies


def parse_response(body: Any) -> ChatResponse:
    """Parse a Chat Completions reply.

    Accepts the raw ``chat.completion``, a ``{"result": body}`` wrapper and the doubly nested
    ``{"result": {"result": body, "gatewayMetadata": …}}`` form (cloudflare-api.md §4.1).
    Reasoning comes from ``reasoning_content`` or ``reasoning``; a ``refusal`` is kept as answer
    text (so it is never lost and a stream folds to the same text) and also in
    ``provider_details["refusal"]``. Tool calls without an id get ``call_<index>``, the id
    :class:`~cf_gateway_core.events.StreamAccumulator` gives them, so streamed and non-streamed
    replies match. ``gatewayMetadata``, ``system_fingerprint``, ``service_tier`` and non-empty
    ``annotations`` go to ``provider_details``.

    Raises:
        GatewayError: the body is not a chat completion (no ``choices``), e.g. an embedding,
            an image result or the Workers AI legacy ``{"response": …}`` shape.
    """
    node, envelope_metadata = _unwrap(body)
    choices = node["choices"]
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict):
        choice = {}
    message = choice.get("message")
    if not isinstance(message, dict):
        message = {}
    finish, raw_finish = _map_finish_reason(choice.get("finish_reason"))
    details = {key: node[key] for key in _BODY_DETAILS if node.get(key) is not None}
    details.update((key, message[key]) for key in _MESSAGE_DETAILS if message.get(key))
    if envelope_metadata is not None:
        details.setdefault("gatewayMetadata", envelope_metadata)
    return ChatResponse(
        parts=_map_message_parts(message),
        id=_str_or_none(node.get("id")),
        model=_str_or_none(node.get("model")),
        finish_reason=finish,
        raw_finish_reason=raw_finish,
        usage=_map_usage(node.get("usage")),
        provider_details=details,
    )


def _unwrap(body: Any) -> tuple[dict[str, Any], Any]:
    metadata: Any = None
    node = body
    for _ in range(3):  # bare, {"result": body}, {"result": {"result": body}} — §4.1 [C]/[O]
        if not isinstance(node, dict):
            break
        if "choices" in node:
            return node, metadata
        if metadata is None:
            metadata = node.get("gatewayMetadata")
        node = node.get("result")
    raise _not_a_chat_completion(body)


def _not_a_chat_completion(body: Any) -> GatewayError:
    if isinstance(body, dict):
        got = f"an object with keys {', '.join(sorted(map(str, body))[:12]) or '(none)'}"
    else:
        got = f"a JSON {type(body).__name__}"
    return GatewayError(
        f"The reply was not a chat completion (no 'choices'); got {got}. Check that the model "
        "is a chat model served on this endpoint (a Workers AI legacy {'response': …} reply "
        "is read by endpoint='run')."
    )


def _map_message_parts(
    message: dict[str, Any],
) -> tuple[TextPart | ReasoningPart | ToolCallPart, ...]:
    parts: list[TextPart | ReasoningPart | ToolCallPart] = []
    reasoning = _map_reasoning(message)
    if reasoning:
        parts.append(ReasoningPart(text=reasoning))
    text = _map_text(message.get("content"))
    refusal = message.get("refusal")
    if isinstance(refusal, str):
        text += refusal
    if text:
        parts.append(TextPart(text))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for index, call in enumerate(calls):
            if isinstance(call, dict):
                parts.append(_map_tool_call_part(call, index))
    return tuple(parts)


def _map_tool_call_part(call: dict[str, Any], index: int) -> ToolCallPart:
    function = call.get("function")
    if not isinstance(function, dict):
        function = call  # Workers AI's flat {"name", "arguments"} — cloudflare-api.md §6.1 [C]
    raw = _map_arguments_text(function.get("arguments"))
    arguments, error = parse_tool_arguments(raw)  # the accumulator's parser: stream == JSON
    return ToolCallPart(
        id=_str_or_none(call.get("id")) or f"call_{index}",
        name=_str_or_none(function.get("name")) or "",
        arguments=arguments,
        raw_arguments=raw if error else None,
        error=error,
    )


def _map_arguments_text(raw: Any) -> str:
    # A JSON string (OpenAI) or an object (Workers AI, cloudflare-api.md §4.2 [C]).
    if isinstance(raw, str):
        return raw
    return "" if raw is None else json.dumps(raw, ensure_ascii=False)


def _map_reasoning(container: dict[str, Any]) -> str:
    # reasoning_content (Qwen, GLM, Kimi, DeepSeek) or reasoning (some GPT-OSS) —
    # cloudflare-api.md §4.2 [C].
    value = container.get("reasoning_content") or container.get("reasoning")
    return value if isinstance(value, str) else ""


def _map_text(value: Any) -> str:
    """Answer text from a string, null, a number (Workers AI sends numeric tokens as JSON numbers,
    cloudflare-api.md §5.1 [O]), a list of content parts, or a JSON-mode object (§4.2 [C])."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_map_text_item(item) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _map_text_item(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and item.get("type", "text") in _TEXT_ITEM_TYPES:
        text = item.get("text")
        return text if isinstance(text, str) else ""
    return ""


def _map_finish_reason(raw: Any) -> tuple[FinishReason | None, str | None]:
    if not isinstance(raw, str) or not raw:
        return None, None
    return _FINISH_REASONS.get(raw, "other"), raw


def _map_usage(raw: Any) -> Usage | None:
    # OpenAI usage; Workers AI adds "neurons" (ignored) — cloudflare-api.md §4.2 [C], §5.1 [O].
    if not isinstance(raw, dict):
        return None
    prompt = _as_int(raw.get("prompt_tokens"))
    completion = _as_int(raw.get("completion_tokens"))
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=_as_int(raw.get("total_tokens")) or prompt + completion,
        cache_read_tokens=_map_usage_detail(raw, "prompt_tokens_details", "cached_tokens"),
        reasoning_tokens=_map_usage_detail(raw, "completion_tokens_details", "reasoning_tokens"),
    )


def _map_usage_detail(raw: dict[str, Any], group: str, key: str) -> int | None:
    details = raw.get(group)
    if isinstance(details, dict) and details.get(key) is not None:
        return _as_int(details[key])
    return None


def _as_int(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return 0


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --------------------------------------------------------------------------- streams


class ChunkDecoder:
    """Decodes one Chat Completions stream into neutral events.

    Reads OpenAI ``chat.completion.chunk`` frames (``choices[0].delta``) and Workers AI native
    frames (top-level ``response`` / ``tool_calls`` / ``finish_reason`` and the
    ``{"response": "", "usage": …}`` trailer). ``ResponseStart`` and ``Finish`` are emitted once;
    only non-zero usage is reported, so the Workers AI trailer wins over the zero-usage frame
    before it (cloudflare-api.md §5.2 [O]). Events after ``data: [DONE]`` are ignored. No
    ``Finish`` is invented when the stream sent no ``finish_reason``.
    """

    __slots__ = ("_current_tool", "_done", "_finished", "_started", "_tool_slots")

    def __init__(self) -> None:
        """Start a decoder for one stream."""
        self._started = False
        self._finished = False
        self._done = False
        self._tool_slots: set[int] = set()
        self._current_tool = 0

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event.

        Raises:
            StreamError: an error frame (``{"error": …}`` or ``event: error``) or data that is
                not a JSON object.
        """
        if self._done:
            return []
        data = event.data
        if data == "[DONE]":
            self._done = True
            return []
        chunk = self._load(event)
        if chunk is None:
            return []
        events: list[StreamEvent] = []
        if not self._started:
            self._map_start(chunk, events)
        choices = chunk.get("choices")
        if choices is None:
            raw_finish = self._map_native(chunk, events)
        elif isinstance(choices, list) and choices:
            raw_finish = self._map_choice(choices[0], events)
        else:
            raw_finish = None  # "choices": [] — OpenAI's usage chunk, §5.3 [C]
        usage = chunk.get("usage")
        if usage:
            mapped = _map_usage(usage)
            if mapped is not None and not mapped.is_zero:
                events.append(UsageUpdate(mapped))
        if raw_finish and not self._finished:
            finish, raw = _map_finish_reason(raw_finish)
            if raw is not None:
                self._finished = True
                events.append(Finish(finish, raw))
        return events

    def close(self) -> list[StreamEvent]:
        """End of stream; tool-call fragments are emitted as they come, so nothing is pending."""
        return []

    def _load(self, event: ServerSentEvent) -> dict[str, Any] | None:
        data = event.data
        try:
            chunk = json.loads(data)
        except ValueError:
            chunk = None
        if event.event == "error" or (isinstance(chunk, dict) and chunk.get("error")):
            # {"error": {...}} / {"error": "…"} / v4 "errors" — the shapes errors.py reads.
            _, code, message = parse_error_body(data.encode())
            code_text = f" (code {code})" if code is not None else ""
            raise StreamError(f"the stream reported an error{code_text}: {message}", body=chunk)
        if isinstance(chunk, dict):
            return chunk
        stripped = data.strip()
        if stripped == "[DONE]":
            self._done = True
        elif stripped:  # an empty data line carries nothing
            raise StreamError(
                f"the stream sent data that is not a JSON object: {stripped[:200]!r}", body=data
            )
        return None

    def _map_start(self, chunk: dict[str, Any], events: list[StreamEvent]) -> None:
        response_id = _str_or_none(chunk.get("id"))
        model = _str_or_none(chunk.get("model"))
        if response_id or model:
            self._started = True
            events.append(ResponseStart(response_id, model))

    def _map_choice(self, choice: Any, events: list[StreamEvent]) -> Any:
        if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
            return None  # n > 1: only the first choice is read, like parse_response
        delta = choice.get("delta")
        if isinstance(delta, dict) and delta:
            reasoning = _map_reasoning(delta)
            if reasoning:
                events.append(ReasoningDelta(reasoning))
            self._map_text_delta(delta.get("content"), events)
            refusal = delta.get("refusal")
            if refusal and isinstance(refusal, str):
                events.append(TextDelta(refusal))  # kept as text, like parse_response
            calls = delta.get("tool_calls")
            if calls:
                self._map_tool_deltas(calls, events)
        return choice.get("finish_reason")

    def _map_native(self, chunk: dict[str, Any], events: list[StreamEvent]) -> Any:
        # {"response": "tok", "p": "…"}, {"tool_calls": […]}, {"finish_reason": …} and the
        # {"response": "", "usage": {…}} trailer — cloudflare-api.md §5.1 [C]/[O], §5.2 [O], A10.
        self._map_text_delta(chunk.get("response"), events)
        calls = chunk.get("tool_calls")
        if calls:
            self._map_tool_deltas(calls, events)
        return chunk.get("finish_reason")

    @staticmethod
    def _map_text_delta(content: Any, events: list[StreamEvent]) -> None:
        if content is None:
            return
        text = content if type(content) is str else _map_text(content)
        if text:
            events.append(TextDelta(text))

    def _map_tool_deltas(self, calls: Any, events: list[StreamEvent]) -> None:
        # OpenAI fragments {index, id, type, function: {name, arguments}}; later fragments may
        # carry "id": null, "name": null (GLM, A9 [O]); a null finalisation frame carries nothing
        # (§5.1 [C]); older Workers AI models send complete {"name", "arguments": {…}} objects.
        if not isinstance(calls, list):
            return
        for position, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            function = call.get("function")
            if not isinstance(function, dict):
                function = call
            name = _str_or_none(function.get("name"))
            call_id = _str_or_none(call.get("id"))
            arguments = _map_arguments_text(function.get("arguments"))
            if not (name or call_id or arguments):
                continue
            index = self._map_tool_index(call.get("index"), position, name)
            events.append(ToolCallDelta(index, call_id, name, arguments))

    def _map_tool_index(self, raw_index: Any, position: int, name: str | None) -> int:
        index: int
        if isinstance(raw_index, int) and not isinstance(raw_index, bool):
            index = raw_index
        else:
            if name:  # a new call without an index takes the next free slot
                slots = self._tool_slots
                index = position if position not in slots else max(slots) + 1
            else:  # a continuation without an index belongs to the latest call
                index = self._current_tool
        if name:
            self._tool_slots.add(index)
        self._current_tool = index
        return index


FORMAT = WireFormat(
    build_payload=build_payload,
    parse_response=parse_response,
    new_decoder=ChunkDecoder,
)
"""The ``chat_completions`` endpoint's wire format."""
