"""The Workers AI run API: ``POST /ai/run/{model}`` (native) and ``POST /ai/run`` (universal).

Native (``route.native``, ``@cf/`` and ``@hf/`` models): the body is the model's own JSON schema
(OpenAI-style ``messages`` and ``tools``, no ``model`` key), replies come in the Cloudflare v4
envelope with either the legacy ``{"response", "tool_calls", "usage"}`` result or an OpenAI
``chat.completion``, and streams mix native ``{"response": …}`` frames with OpenAI chunks.
Universal (any other model): the body is ``{"model", "input"}`` where ``input`` is the OpenAI Chat
or Anthropic Messages body, and replies nest that body once or twice under ``result``. OpenAI- and
Anthropic-shaped bodies and frames are delegated to :mod:`~cf_gateway_core.wire.openai_chat` and
:mod:`~cf_gateway_core.wire.anthropic_messages`; this module owns the envelope, the legacy shape
and the native stream.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from cf_gateway_core.errors import (
    GatewayError,
    StreamError,
    error_from_response,
    parse_error_body,
)
from cf_gateway_core.events import (
    Finish,
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
    TextPart,
    ToolCallPart,
    Usage,
)
from cf_gateway_core.routing import ModelKind, Route
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire import WireFormat, anthropic_messages, openai_chat

__all__ = ["FORMAT", "ChunkDecoder", "build_payload", "parse_response"]

# OpenAI Chat fields the native /ai/run/{model} schemas do not take: the model is in the URL, and
# the native stream reports usage without stream_options — cloudflare-api.md §6.1 [C]
# (CF-MODEL-LLAMA33 input schema), §5.1 [O]. openai_chat already spells max_tokens and sends the
# bare json_schema for Workers AI models (§6.1 [C]).
_NATIVE_DROP: tuple[str, ...] = ("model", "stream_options")

_INNER_BUILDERS: dict[ModelKind, Callable[[ChatRequest, Route], dict[str, Any]]] = {
    ModelKind.ANTHROPIC: anthropic_messages.build_payload,
    ModelKind.THIRD_PARTY: openai_chat.build_payload,
    ModelKind.WORKERS_AI: openai_chat.build_payload,
}

# finish_reason values seen on Workers AI — cloudflare-api.md §5.1 [C] (CFAI-FINISH).
_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}

# Envelope keys kept in provider_details: /ai/run wraps the model output in
# {"result": …, "gatewayMetadata": …, "state": …} — cloudflare-api.md §0.5 [O], A8 [C].
_ENVELOPE_DETAILS: tuple[str, ...] = ("gatewayMetadata", "state")

# Anthropic stream event types (universal /ai/run with an anthropic/ model) — §5.4 [C].
_ANTHROPIC_EVENTS: frozenset[str] = frozenset(
    {"message_start", "message_delta", "message_stop", "ping"}
    | {"content_block_start", "content_block_delta", "content_block_stop"}
)


# --------------------------------------------------------------------------- requests


def build_payload(request: ChatRequest, route: Route) -> dict[str, Any]:
    """Build the JSON body for ``/ai/run/{model}`` (native) or ``/ai/run`` (universal).

    Args:
        request: the neutral request.
        route: a ``run`` route; ``route.native`` picks the native model-specific body.

    Returns:
        The native body (``messages``, ``tools``, ``max_tokens``… and ``extra_body`` merged last)
        or ``{"model": id, "input": <OpenAI Chat or Anthropic Messages body>}`` with
        ``extra_body`` merged into ``input`` (model parameters go inside ``input``, §1.1).

    Raises:
        GatewayConfigError: the request holds something the wire format cannot express.
    """
    if route.native:
        return _native_payload(request, route)
    bare = dataclasses.replace(request, extra_body={})
    inner = _INNER_BUILDERS[route.model.kind](bare, route)
    inner.pop("model", None)
    inner.update(request.extra_body)
    return {"model": route.model.id, "input": inner}


def _native_payload(request: ChatRequest, route: Route) -> dict[str, Any]:
    payload = openai_chat.build_payload(dataclasses.replace(request, extra_body={}), route)
    for key in _NATIVE_DROP:
        payload.pop(key, None)
    # e.g. {"options": {"rejectIfBusy": true}} goes top-level — cloudflare-api.md §1.2 [C].
    payload.update(request.extra_body)
    return payload


# --------------------------------------------------------------------------- responses


def parse_response(body: Any) -> ChatResponse:
    """Parse a ``/ai/run`` or ``/ai/run/{model}`` reply.

    Accepts the v4 envelope (``{"result": …, "success": …}``), the doubly nested universal form
    (``{"result": {"result": …, "gatewayMetadata": …}}``) and a bare body; the innermost body may
    be the legacy Workers AI shape, an OpenAI ``chat.completion`` or an Anthropic ``message``
    (detected by shape). ``gatewayMetadata`` and ``state`` are kept in ``provider_details``.

    Raises:
        APIStatusError: the envelope reports a failure (``"success": false`` or
            ``"state": "Failed"``) although the HTTP status was 2xx; the class is chosen by
            :func:`~cf_gateway_core.errors.error_from_response` from the error code, with
            ``status_code`` 200.
        GatewayError: the reply is a queued request (``request_id``) or not a chat reply.
    """
    details: dict[str, Any] = {}
    node: Any = body
    while True:
        if not isinstance(node, Mapping):
            raise GatewayError(
                f"/ai/run reply is not a JSON object (got {type(node).__name__}); "
                "expected a Workers AI v4 envelope or a chat reply."
            )
        _raise_for_failure(node)
        shape = _shape_parser(node)
        if shape is not None:
            break
        if "result" not in node:
            raise GatewayError(
                "/ai/run reply is not a chat reply (keys: "
                f"{', '.join(sorted(map(str, node))) or 'none'}); media, speech and other "
                "non-chat models are not supported by the chat models."
            )
        for key in _ENVELOPE_DETAILS:
            if key in node:
                details.setdefault(key, node[key])
        node = node["result"]
    parser, whole = shape
    response = parser(body if whole else node)
    if details:
        merged = {**response.provider_details, **details}
        response = dataclasses.replace(response, provider_details=merged)
    return response


def _raise_for_failure(node: Mapping[str, Any]) -> None:
    # An error envelope is normally sent with an error status and classified by the client; if
    # one arrives with 2xx (success false, or the Run API's state "Failed" — §4.1 [C], A16)
    # it is still a gateway error reply, so it gets the same typed class.
    if node.get("success") is False or node.get("state") == "Failed":
        raise error_from_response(200, {}, json.dumps(node).encode())


def _is_openai(node: Mapping[str, Any]) -> bool:
    return "choices" in node


def _is_anthropic(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "message" and "content" in node


def _is_legacy(node: Mapping[str, Any]) -> bool:
    return "response" in node or "tool_calls" in node


def _is_queued(node: Mapping[str, Any]) -> bool:
    return "request_id" in node


def _parse_queued(node: Mapping[str, Any]) -> NoReturn:
    # Async queue answer {"request_id": …} — cloudflare-api.md §4.2 [C].
    raise GatewayError(
        f"Workers AI queued the request (request_id {node.get('request_id')!r}); queued "
        "(async batch) requests are not supported. Do not pass queueRequest."
    )


def _parse_legacy(result: Mapping[str, Any]) -> ChatResponse:
    # Legacy text-generation output — cloudflare-api.md §4.2.1 [C], A1, A17.
    text = _map_text(result.get("response"))
    calls = [
        _map_tool_call(position, raw)
        for position, raw in enumerate(_tool_call_list(result.get("tool_calls")))
    ]
    raw_finish = result.get("finish_reason")
    if isinstance(raw_finish, str) and raw_finish:
        finish = _map_finish_reason(raw_finish)
    else:
        raw_finish = None
        finish = "tool_calls" if calls else "stop"
    return ChatResponse(
        parts=(TextPart(text), *calls) if text else tuple(calls),
        finish_reason=finish,
        raw_finish_reason=raw_finish,
        usage=_map_usage(result.get("usage")),
    )


_Parser = Callable[[Any], ChatResponse]

# Inner body shapes, tried in order (a body is recognised by its keys, not by the model), with
# whether the parser takes the whole reply: the OpenAI and Anthropic parsers unwrap the envelope
# themselves and read gatewayMetadata as on their own endpoints.
_SHAPES: tuple[tuple[Callable[[Mapping[str, Any]], bool], _Parser, bool], ...] = (
    (_is_openai, openai_chat.parse_response, True),
    (_is_anthropic, anthropic_messages.parse_response, True),
    (_is_legacy, _parse_legacy, False),
    (_is_queued, _parse_queued, False),
)


def _shape_parser(node: Mapping[str, Any]) -> tuple[_Parser, bool] | None:
    for matches, parser, whole in _SHAPES:
        if matches(node):
            return parser, whole
    return None


def _tool_call_list(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _map_tool_call(position: int, raw: Mapping[str, Any]) -> ToolCallPart:
    # Legacy calls are {"name", "arguments": {object}} without an id (§6.1 [C]); some bodies use
    # the OpenAI {"id", "function": {"name", "arguments"}} form instead.
    function = raw.get("function")
    source = function if isinstance(function, Mapping) else raw
    name = _as_str(source.get("name"))
    text = _arguments_text(source.get("arguments"))
    call_id = _as_str(raw.get("id")) or _stable_tool_call_id(position, name, text)
    arguments, error = parse_tool_arguments(text)
    return ToolCallPart(
        id=call_id,
        name=name,
        arguments=arguments,
        raw_arguments=text if error else None,
        error=error,
    )


def _stable_tool_call_id(position: int, name: str, arguments_text: str) -> str:
    """A deterministic id for a call the wire gave none, equal for stream and non-stream."""
    arguments, error = parse_tool_arguments(arguments_text)
    canonical = (
        arguments_text
        if error
        else json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    )
    seed = f"{position}\x1f{name}\x1f{canonical}".encode()
    return "call_" + hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:24]


def _arguments_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _map_text(value: Any) -> str:
    # JSON mode may return an object (CF-JSONMODE) and numbers have been seen — §4.2.1 [C]/[O].
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _as_int(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return 0


def _detail(usage: Mapping[str, Any], group: str, key: str) -> int | None:
    details = usage.get(group)
    if isinstance(details, Mapping) and key in details:
        return _as_int(details[key])
    return None


def _map_usage(value: Any) -> Usage | None:
    # {"prompt_tokens", "completion_tokens", "total_tokens", "neurons"?,
    #  "prompt_tokens_details": {"cached_tokens"}?} — §4.2.1 [C], §5.1 [O]; neurons ignored.
    if not isinstance(value, Mapping):
        return None
    prompt = _as_int(value.get("prompt_tokens", value.get("input_tokens")))
    completion = _as_int(value.get("completion_tokens", value.get("output_tokens")))
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=_as_int(value.get("total_tokens")) or prompt + completion,
        cache_read_tokens=_detail(value, "prompt_tokens_details", "cached_tokens"),
        reasoning_tokens=_detail(value, "completion_tokens_details", "reasoning_tokens"),
    )


def _map_finish_reason(raw: str) -> FinishReason:
    return _FINISH_REASONS.get(raw, "other")


# --------------------------------------------------------------------------- streams


class _Fragments:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name = ""
        self.arguments: list[str] = []


class ChunkDecoder:
    """Decodes a ``/ai/run`` stream: native Workers AI frames, OpenAI chunks, Anthropic events.

    The frame shape is detected per event: frames with ``choices`` go to an
    :class:`openai_chat.ChunkDecoder <cf_gateway_core.wire.openai_chat.ChunkDecoder>`, frames whose
    ``type`` is an Anthropic stream event to an ``anthropic_messages.ChunkDecoder``, and the rest
    are native (``response``, ``tool_calls``, ``usage``, ``finish_reason``; ``p`` padding ignored).
    Only non-zero usage is reported, so the Workers AI usage trailer wins over zero usage frames.
    At close, a stream that sent no finish reason gets ``Finish("stop")`` (``"tool_calls"`` when
    tool calls came) if it ended with ``data: [DONE]``, and ``Finish(None)`` if it did not: a
    stream cut short is not reported as a normal stop.
    """

    __slots__ = (
        "_anthropic",
        "_done",
        "_finished",
        "_fragments",
        "_last_fragment",
        "_next_tool",
        "_openai",
        "_saw_tools",
        "_text",
    )

    def __init__(self) -> None:
        """Start a decoder for one stream."""
        self._openai: openai_chat.ChunkDecoder | None = None
        self._anthropic: anthropic_messages.ChunkDecoder | None = None
        self._fragments: dict[int, _Fragments] = {}
        self._last_fragment: int | None = None
        self._next_tool = 0
        self._text: list[str] = []
        self._saw_tools = False
        self._finished = False
        self._done = False

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event.

        Raises:
            StreamError: the event is an error frame or is not valid JSON.
        """
        data = event.data.strip()
        if data == "[DONE]":
            self._done = True
        if not data or self._done:
            return []
        try:
            frame = json.loads(data)
        except ValueError as exc:
            raise StreamError(
                f"the stream sent a frame that is not JSON: {data[:200]!r}",
                partial_text="".join(self._text),
            ) from exc
        if event.event == "error" or (
            isinstance(frame, Mapping) and (frame.get("error") or frame.get("errors"))
        ):
            self._raise_error(data)
        if not isinstance(frame, Mapping):
            return []
        events = self._dispatch(event, frame)
        self._note(events)
        return events

    def close(self) -> list[StreamEvent]:
        """End of stream: close delegated decoders, give id-less tool calls a stable id, finish."""
        events: list[StreamEvent] = []
        for decoder in (self._openai, self._anthropic):
            if decoder is not None:
                events.extend(decoder.close())
        if self._finished:
            events = [e for e in events if not isinstance(e, Finish)]
        events.extend(self._close_fragments())
        self._note(events)
        if not self._finished:
            # Native streams carry no finish reason; [DONE] is their only "complete" signal
            # (cloudflare-api.md §5.1 [C]; reliability.md §6 #23).
            reason: FinishReason = "tool_calls" if self._saw_tools else "stop"
            events.append(Finish(reason if self._done else None))
            self._finished = True
        return events

    def _dispatch(self, event: ServerSentEvent, frame: Mapping[str, Any]) -> list[StreamEvent]:
        if "choices" in frame:
            # OpenAI chunks on the run path (newer models, universal OpenAI inner) — §5.2 [O].
            if self._openai is None:
                self._openai = openai_chat.ChunkDecoder()
            return self._openai.feed(event)
        if frame.get("type") in _ANTHROPIC_EVENTS:
            if self._anthropic is None:
                self._anthropic = anthropic_messages.ChunkDecoder()
            return self._anthropic.feed(event)
        return self._native(frame)

    def _native(self, frame: Mapping[str, Any]) -> list[StreamEvent]:
        # {"response": "tok", "p": "…"}, {"tool_calls": […]}, {"finish_reason": …} and the
        # {"response": "", "usage": {…}} trailer — cloudflare-api.md §5.1 [C]/[O].
        events: list[StreamEvent] = []
        text = _map_text(frame.get("response"))
        if text:
            events.append(TextDelta(text))
        for raw in _tool_call_list(frame.get("tool_calls")):
            events.extend(self._tool_call(raw))
        usage = _map_usage(frame.get("usage"))
        if usage is not None and not usage.is_zero:
            events.append(UsageUpdate(usage))
        raw_finish = frame.get("finish_reason")
        if isinstance(raw_finish, str) and raw_finish:
            events.append(Finish(_map_finish_reason(raw_finish), raw_finish))
        return events

    def _tool_call(self, raw: Mapping[str, Any]) -> list[StreamEvent]:
        function = raw.get("function")
        if isinstance(function, Mapping):
            return self._tool_fragment(raw, function)
        # A complete {"name", "arguments": {…}} call (older models, CF-LC-CHAT) — §5.1 [C].
        position = self._next_tool
        self._next_tool += 1
        name = _as_str(raw.get("name"))
        text = _arguments_text(raw.get("arguments"))
        call_id = _as_str(raw.get("id")) or _stable_tool_call_id(position, name, text)
        return [ToolCallDelta(position, call_id, name, text)]

    def _tool_fragment(
        self, raw: Mapping[str, Any], function: Mapping[str, Any]
    ) -> list[StreamEvent]:
        # {index, id, type, function: {name, arguments}} fragments ending with a null
        # finalisation {id: null, type: null, function: {name: null}} — §5.1 [C] (CFAI-STREAM).
        call_id = _as_str(raw.get("id"))
        name = _as_str(function.get("name"))
        text = _arguments_text(function.get("arguments"))
        index = raw.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            # No index: a fragment naming a call starts one, a bare one continues the last.
            last = self._last_fragment
            index = last if last is not None and not (call_id or name) else self._next_tool
        self._last_fragment = index
        self._next_tool = max(self._next_tool, index + 1)
        state = self._fragments.setdefault(index, _Fragments())
        state.id = call_id or state.id
        state.name = name or state.name
        if not (call_id or name or text):
            return []
        state.arguments.append(text)
        return [ToolCallDelta(index, call_id or None, name or None, text)]

    def _close_fragments(self) -> list[StreamEvent]:
        return [
            ToolCallDelta(index, _stable_tool_call_id(index, state.name, "".join(state.arguments)))
            for index, state in sorted(self._fragments.items())
            if state.id is None
        ]

    def _note(self, events: list[StreamEvent]) -> None:
        for item in events:
            if isinstance(item, TextDelta):
                self._text.append(item.text)
            elif isinstance(item, ToolCallDelta):
                self._saw_tools = True
            elif isinstance(item, Finish):
                self._finished = True

    def _raise_error(self, data: str) -> NoReturn:
        _, code, message = parse_error_body(data.encode())
        code_text = f" (code {code})" if code is not None else ""
        raise StreamError(
            f"the stream reported an error{code_text}: {message}",
            partial_text="".join(self._text),
            body=data,
        )


FORMAT = WireFormat(
    build_payload=build_payload,
    parse_response=parse_response,
    new_decoder=ChunkDecoder,
)
"""The ``run`` endpoint's wire format."""
