"""The OpenAI Responses wire format (``POST /ai/v1/responses``): payloads, replies and streams.

Cloudflare passes OpenAI's Responses API through unchanged, adding a top-level
``gatewayMetadata`` to JSON replies — cloudflare-api.md §4.1 [C], Appendix A6. Decisions:

- History is sent statelessly as ``input`` items; no ``previous_response_id`` and no encrypted
  reasoning round trip, so :class:`ReasoningPart` values in assistant history are not sent.
- A ``refusal`` content part is read as answer text (so a stream and a JSON reply agree) and is
  also kept as ``provider_details["refusal"]``.
- Reasoning text of one ``reasoning`` item becomes one :class:`ReasoningPart`: its ``content``
  texts, then its ``summary`` texts, joined with a blank line. Message texts are joined with ``""``.
- A ``failed`` JSON reply raises :class:`GatewayError`; a ``response.failed`` or ``error`` stream
  event raises :class:`StreamError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from cf_gateway_core.errors import GatewayConfigError, GatewayError, StreamError
from cf_gateway_core.events import (
    Finish,
    ReasoningDelta,
    ResponseStart,
    StreamAccumulator,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    ReasoningPart,
    ResponseFormat,
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

__all__ = ["FORMAT", "ChunkDecoder", "build_payload", "parse_response"]

_Item = dict[str, Any]

# Request fields copied as they are when set: (ChatRequest attribute, payload key).
_SCALARS: tuple[tuple[str, str], ...] = (
    ("max_tokens", "max_output_tokens"),
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("parallel_tool_calls", "parallel_tool_calls"),
)

# Input content part types; every other mapped item stands alone in ``input``.
_CONTENT_TYPES = frozenset({"input_text", "input_image", "output_text"})

# Incomplete reasons and non-terminal statuses -> neutral finish reasons (OpenAI Responses spec).
_INCOMPLETE_REASONS: dict[str, FinishReason] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
_STATUS_REASONS: dict[str, FinishReason | None] = {
    "cancelled": "other",
    "in_progress": None,
    "queued": None,
}


# --------------------------------------------------------------------------- request


def build_payload(request: ChatRequest, route: Route) -> dict[str, Any]:
    """Build the ``/ai/v1/responses`` JSON body for ``request``.

    Raises:
        GatewayConfigError: the request uses something the Responses API cannot take (``stop``,
            images in tool output, a part a role cannot carry…); the message says what to do.
    """
    if request.stop:
        raise GatewayConfigError(
            "stop sequences are not supported by the OpenAI Responses API (endpoint='responses'); "
            "remove stop=… or use endpoint='chat_completions'."
        )
    instructions, items = _map_messages(request.messages)
    payload: dict[str, Any] = {"model": route.model.id}
    if instructions:
        payload["instructions"] = instructions
    payload["input"] = items
    if request.tools:
        payload["tools"] = [_map_tool(tool) for tool in request.tools]
    if request.tool_choice is not None:
        payload["tool_choice"] = _map_tool_choice(request.tool_choice)
    for attribute, key in _SCALARS:
        value = getattr(request, attribute)
        if value is not None:
            payload[key] = value
    if request.reasoning_effort is not None:
        payload["reasoning"] = {"effort": request.reasoning_effort}
    if request.response_format is not None:
        payload["text"] = {"format": _map_response_format(request.response_format)}
    if request.stream:
        payload["stream"] = True
    return _map_extra_body(payload, request.extra_body)


def _map_messages(messages: tuple[Message, ...]) -> tuple[str, list[_Item]]:
    """System texts (joined for ``instructions``) and the ``input`` items of the rest."""
    system: list[str] = []
    items: list[_Item] = []
    for message in messages:
        if message.role == "system":
            system.append(_map_system_text(message))
        else:
            items.extend(_map_message(message))
    return "\n\n".join(system), items


def _map_system_text(message: Message) -> str:
    for part in message.parts:
        if not isinstance(part, TextPart):
            raise GatewayConfigError(
                f"system messages on the Responses API carry text only, got "
                f"{type(part).__name__}; move it to a user message."
            )
    return message.text


def _map_message(message: Message) -> list[_Item]:
    """One message -> ``input`` items; content parts are grouped, calls and results stand alone."""
    mappers = _PART_MAPPERS[message.role]
    items: list[_Item] = []
    content: list[_Item] = []
    for part in message.parts:
        mapper = mappers.get(type(part))
        if mapper is None:
            allowed = ", ".join(kind.__name__ for kind in mappers)
            raise GatewayConfigError(
                f"{message.role} messages on the Responses API may carry only {allowed}; got "
                f"{type(part).__name__}. Remove the part or move it to a message that accepts it."
            )
        item = mapper(part)
        if item is None:
            continue
        if item["type"] in _CONTENT_TYPES:
            content.append(item)
            continue
        if content:
            items.append({"role": message.role, "content": content})
            content = []
        items.append(item)
    if content:
        items.append({"role": message.role, "content": content})
    return items


def _map_input_text(part: TextPart) -> _Item:
    return {"type": "input_text", "text": part.text}


def _map_input_image(part: ImagePart) -> _Item:
    # data: URLs are accepted as image_url as they are (OpenAI Responses input_image spec).
    return _compact(type="input_image", image_url=part.url, detail=part.detail)


def _map_output_text(part: TextPart) -> _Item:
    # Assistant history as {"role":"assistant","content":[{"type":"output_text",…}]}, without the
    # output item's id/status: assistant content must be output_text (input_text is rejected);
    # the same form the Vercel AI SDK's openai-responses provider sends.
    return {"type": "output_text", "text": part.text}


def _map_tool_call(part: ToolCallPart) -> _Item:
    arguments = part.raw_arguments
    if part.error is None or arguments is None:
        arguments = json.dumps(part.arguments, separators=(",", ":"), ensure_ascii=False)
    return {"type": "function_call", "call_id": part.id, "name": part.name, "arguments": arguments}


def _map_tool_result(part: ToolResultPart) -> _Item:
    # The Responses API has no is_error flag on function_call_output; the output text says it.
    return {
        "type": "function_call_output",
        "call_id": part.tool_call_id,
        "output": _map_tool_output(part),
    }


def _map_tool_output(part: ToolResultPart) -> str:
    if isinstance(part.content, str):
        return part.content
    texts: list[str] = []
    for block in part.content:
        if not isinstance(block, TextPart):
            raise GatewayConfigError(
                f"tool result {part.tool_call_id!r} contains an image, which this client does "
                "not send as function_call_output on the Responses API; return text from the "
                "tool, or put the image in a following user message."
            )
        texts.append(block.text)
    return "".join(texts)


def _map_reasoning(part: ReasoningPart) -> None:
    # No encrypted reasoning round trip: earlier reasoning is not sent back (module docstring).
    return None


_PART_MAPPERS: dict[str, dict[type[Any], Callable[[Any], _Item | None]]] = {
    "user": {
        TextPart: _map_input_text,
        ImagePart: _map_input_image,
        ToolResultPart: _map_tool_result,
    },
    "assistant": {
        TextPart: _map_output_text,
        ToolCallPart: _map_tool_call,
        ReasoningPart: _map_reasoning,
    },
    "tool": {ToolResultPart: _map_tool_result},
}


def _map_tool(tool: ToolSpec) -> _Item:
    """Responses tools are flat: no nested ``function`` object as in Chat Completions."""
    parameters = dict(tool.parameters)
    return _compact(
        type="function",
        name=tool.name,
        description=tool.description,
        parameters=parameters,
        strict=tool.strict,
    )


def _map_tool_choice(choice: ToolChoice) -> str | _Item:
    if choice.mode != "tool":
        return choice.mode
    if not choice.name:
        raise GatewayConfigError("tool_choice mode 'tool' needs the tool's name.")
    return {"type": "function", "name": choice.name}


def _map_response_format(response_format: ResponseFormat) -> _Item:
    if response_format.type == "json_object":
        return {"type": "json_object"}
    if response_format.schema is None:
        raise GatewayConfigError("response_format json_schema needs a schema.")
    name = response_format.name or "response"
    schema = dict(response_format.schema)
    return _compact(type="json_schema", name=name, schema=schema, strict=response_format.strict)


def _compact(**fields: Any) -> _Item:
    """The fields that are not ``None``."""
    return {key: value for key, value in fields.items() if value is not None}


def _map_extra_body(payload: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra_body`` last; objects one level deep, so ``{"reasoning": {"summary": …}}``
    keeps a ``reasoning_effort`` set beside it."""
    for key, value in extra.items():
        current = payload.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            payload[key] = {**current, **value}
        else:
            payload[key] = value
    return payload


# --------------------------------------------------------------------------- reply


def parse_response(body: Any) -> ChatResponse:
    """Parse a Responses object (bare, or wrapped in ``{"result": …}``) into a reply.

    The output items are folded by the same code a stream's final event goes through, so a
    JSON reply and a stream of it give equal replies by construction.

    Raises:
        GatewayError: the body is not a Responses object, or its ``status`` is ``failed``.
    """
    data, gateway_metadata = _unwrap(body)
    if data.get("status") == "failed":
        raise GatewayError(f"The response failed: {_map_error(data.get('error'))}")
    accumulator = StreamAccumulator()
    for event in ChunkDecoder()._final_events(data, "completed"):
        accumulator.add(event)
    details: dict[str, Any] = {}
    if "status" in data:
        details["status"] = data["status"]
    if gateway_metadata is not None:
        details["gatewayMetadata"] = gateway_metadata
    refusal = _map_refusal(data.get("output"))
    if refusal:
        details["refusal"] = refusal
    return replace(accumulator.result(), provider_details=details)


def _unwrap(body: Any) -> tuple[Mapping[str, Any], Any]:
    """The Responses object inside ``{"result": …}`` wrappers, and any ``gatewayMetadata``."""
    # Bare and {"result": body} bodies both occur (cloudflare-api.md §4.1 [C], CF-LC-META); the
    # /ai/run form nests twice with gatewayMetadata beside the inner result (§0 fact 5 [O]).
    gateway_metadata = None
    for _ in range(3):
        if not isinstance(body, Mapping):
            break
        gateway_metadata = body.get("gatewayMetadata", gateway_metadata)
        if "output" in body or body.get("object") == "response":
            return body, gateway_metadata
        body = body.get("result")
    raise GatewayError(
        "cannot read the Responses reply: expected a Responses object (with 'output'), bare or "
        "wrapped in {'result': …}."
    )


def _map_refusal(output: Any) -> str:
    """The text of any ``refusal`` content parts (also read as answer text)."""
    return "".join(
        part["refusal"]
        for item in _list(output)
        if item.get("type") == "message"
        for part in _list(item.get("content"))
        if part.get("type") == "refusal" and isinstance(part.get("refusal"), str)
    )


def _map_finish(data: Mapping[str, Any], has_calls: bool) -> tuple[FinishReason | None, str | None]:
    """``status`` (+ ``incomplete_details.reason``) -> (neutral reason, raw reason)."""
    status = _str(data.get("status")) or "completed"
    if status == "completed":
        return ("tool_calls" if has_calls else "stop"), status
    if status == "incomplete":
        details = data.get("incomplete_details")
        reason = _str(details.get("reason")) if isinstance(details, Mapping) else None
        return _INCOMPLETE_REASONS.get(reason or "", "other"), reason or status
    return _STATUS_REASONS.get(status, "other"), status


def _map_usage(value: Any) -> Usage | None:
    if not isinstance(value, Mapping):
        return None
    input_tokens = _int(value.get("input_tokens")) or 0
    output_tokens = _int(value.get("output_tokens")) or 0
    total = _int(value.get("total_tokens"))
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total if total is not None else input_tokens + output_tokens,
        cache_read_tokens=_int(_get(value, "input_tokens_details", "cached_tokens")),
        reasoning_tokens=_int(_get(value, "output_tokens_details", "reasoning_tokens")),
    )


def _map_error(error: Any) -> str:
    """``{"code", "message"}`` -> one readable line."""
    if not isinstance(error, Mapping):
        return "no error details were given."
    message = _str(error.get("message")) or "no message was given."
    code = error.get("code")
    return f"{message} (code {code})" if code else message


def _get(value: Mapping[str, Any], key: str, inner: str) -> Any:
    nested = value.get(key)
    return nested.get(inner) if isinstance(nested, Mapping) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Mapping[str, Any]]:
    """The mappings in a JSON array (anything else reads as empty)."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


# --------------------------------------------------------------------------- stream

_Key = tuple[int, str, int]


class ChunkDecoder:
    """Responses stream events -> neutral events (one decoder per stream).

    The stream has no ``[DONE]``; it ends with ``response.completed`` / ``response.incomplete``
    (usage and finish) or ``response.failed`` — cloudflare-api.md §5.5 [C]. Text, reasoning and
    arguments come as deltas; a ``.done`` event, a finished output item or the final response
    object supplies whatever no delta carried, so nothing is lost and nothing doubled.
    """

    __slots__ = ("_finished", "_has_calls", "_idents", "_reasoning", "_seen", "_started", "_text")

    def __init__(self) -> None:
        """Start a fresh stream."""
        self._started = False
        self._finished = False
        self._has_calls = False
        self._seen: set[_Key] = set()
        self._idents: set[int] = set()
        self._reasoning: set[int] = set()
        self._text: list[str] = []

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event; unknown event types give ``[]``.

        Raises:
            StreamError: a ``response.failed`` or ``error`` event.
        """
        try:
            data = json.loads(event.data)
        except ValueError:
            if event.event == "error":
                raise self._error(
                    f"The stream reported an error: {event.data}", event.data
                ) from None
            return []
        if not isinstance(data, dict):
            return []
        data["type"] = kind = data.get("type") or event.event
        handler = _EVENT_HANDLERS.get(kind)
        return handler(self, data) if handler is not None else []

    def close(self) -> list[StreamEvent]:
        """End of stream; a stream cut before its terminal event finishes with reason ``None``."""
        if self._finished:
            return []
        self._finished = True
        return [Finish(None, None)]

    # -- events

    def _on_created(self, data: dict[str, Any]) -> list[StreamEvent]:
        response = _mapping(data.get("response"))
        self._started = True
        return [ResponseStart(_str(response.get("id")), _str(response.get("model")))]

    def _on_piece(self, data: dict[str, Any]) -> list[StreamEvent]:
        """A text, refusal, reasoning or arguments ``.delta`` (or its whole-text ``.done``)."""
        kind, sub_field, text_field = _PIECES[data["type"]]
        key = (_index(data), kind, _int(data.get(sub_field)) or 0)
        return self._piece_events(key, data.get(text_field), text_field == "delta")

    def _on_item(self, data: dict[str, Any]) -> list[StreamEvent]:
        item = _mapping(data.get("item"))
        if data["type"] == "response.output_item.done":
            return self._item_events(_index(data), item)
        if item.get("type") != "function_call":
            return []
        return self._call_events(_index(data), item, is_delta=True)

    def _on_terminal(self, data: dict[str, Any]) -> list[StreamEvent]:
        status = data["type"].removeprefix("response.")
        return self._final_events(_mapping(data.get("response")), status)

    def _final_events(self, response: Mapping[str, Any], status: str) -> list[StreamEvent]:
        """The final response object: start (if missing), unseen items, usage and finish."""
        events: list[StreamEvent] = []
        if not self._started:
            self._started = True
            events.append(ResponseStart(_str(response.get("id")), _str(response.get("model"))))
        for index, item in enumerate(_list(response.get("output"))):
            events.extend(self._item_events(index, item))
        usage = _map_usage(response.get("usage"))
        if usage is not None:
            events.append(UsageUpdate(usage))
        events.append(Finish(*_map_finish({"status": status, **response}, self._has_calls)))
        self._finished = True
        return events

    def _on_failed(self, data: dict[str, Any]) -> list[StreamEvent]:
        error = _mapping(data.get("response")).get("error")
        raise self._error(f"The response failed: {_map_error(error)}", data)

    def _on_error(self, data: dict[str, Any]) -> list[StreamEvent]:
        # Spec: {"type":"error","code","message","param"}; a nested {"error":{…}} is read too.
        error = data.get("error") if isinstance(data.get("error"), Mapping) else data
        raise self._error(f"The stream reported an error: {_map_error(error)}", data)

    def _error(self, message: str, body: object) -> StreamError:
        return StreamError(message, partial_text="".join(self._text), body=body)

    # -- whole items (``output_item.done`` and the final response's ``output``)

    def _item_events(self, index: int, item: Mapping[str, Any]) -> list[StreamEvent]:
        if item.get("type") == "function_call":
            return self._call_events(index, item, is_delta=False)
        events: list[StreamEvent] = []
        for field, kind in _ITEM_TEXTS.get(item.get("type"), ()):
            for sub, part in enumerate(_list(item.get(field))):
                text = part.get("text", part.get("refusal"))  # output_text | refusal | reasoning
                events.extend(self._piece_events((index, kind, sub), text, False))
        return events

    # -- emitters

    def _piece_events(self, key: _Key, text: Any, is_delta: bool) -> list[StreamEvent]:
        """Emit a non-empty delta, or whole text for a part whose deltas were never seen."""
        new_part = key not in self._seen
        if not isinstance(text, str) or not text or (not is_delta and not new_part):
            return []
        self._seen.add(key)
        index, kind, _ = key
        if kind == "text":
            self._text.append(text)
            return [TextDelta(text)]
        if kind == "arguments":
            self._has_calls = True
            return [ToolCallDelta(index, arguments=text)]
        if new_part and index in self._reasoning:
            text = "\n\n" + text  # parts of one reasoning item, as parse_response joins them
        self._reasoning.add(index)
        return [ReasoningDelta(text, index=index)]

    def _call_events(
        self, index: int, item: Mapping[str, Any], *, is_delta: bool
    ) -> list[StreamEvent]:
        """A function_call item: id and name once, plus arguments no delta carried."""
        self._has_calls = True
        call_id = _str(item.get("call_id")) or _str(item.get("id"))
        name = _str(item.get("name"))
        arguments = _arguments_text(item.get("arguments"))
        ident = index not in self._idents
        pieces = self._piece_events((index, "arguments", 0), arguments, is_delta)
        if not ident:
            return pieces
        self._idents.add(index)
        return [ToolCallDelta(index, call_id, name, arguments if pieces else "")]


# Delta/done event -> (key kind, sub-index field, field with the text); "delta" marks a delta.
_PIECES: dict[str, tuple[str, str, str]] = {
    "response.output_text.delta": ("text", "content_index", "delta"),
    "response.output_text.done": ("text", "content_index", "text"),
    "response.refusal.delta": ("text", "content_index", "delta"),
    "response.refusal.done": ("text", "content_index", "refusal"),
    "response.reasoning_text.delta": ("reasoning", "content_index", "delta"),
    "response.reasoning_text.done": ("reasoning", "content_index", "text"),
    "response.reasoning_summary_text.delta": ("summary", "summary_index", "delta"),
    "response.reasoning_summary_text.done": ("summary", "summary_index", "text"),
    "response.function_call_arguments.delta": ("arguments", "", "delta"),
    "response.function_call_arguments.done": ("arguments", "", "arguments"),
}

# Output item type -> (field holding text parts, key kind); reasoning content before summary.
_ITEM_TEXTS: dict[Any, tuple[tuple[str, str], ...]] = {
    "message": (("content", "text"),),
    "reasoning": (("content", "reasoning"), ("summary", "summary")),
}

_EVENT_HANDLERS: dict[Any, Callable[[ChunkDecoder, dict[str, Any]], list[StreamEvent]]] = {
    "response.created": ChunkDecoder._on_created,
    **dict.fromkeys(_PIECES, ChunkDecoder._on_piece),
    "response.output_item.added": ChunkDecoder._on_item,
    "response.output_item.done": ChunkDecoder._on_item,
    "response.completed": ChunkDecoder._on_terminal,
    "response.incomplete": ChunkDecoder._on_terminal,
    "response.failed": ChunkDecoder._on_failed,
    "error": ChunkDecoder._on_error,
}


def _index(data: Mapping[str, Any]) -> int:
    return _int(data.get("output_index")) or 0


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _arguments_text(value: Any) -> str:
    """Arguments as JSON text (a proxy may send an object instead of a string)."""
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value if isinstance(value, str) else ""


FORMAT = WireFormat(
    build_payload=build_payload, parse_response=parse_response, new_decoder=ChunkDecoder
)
"""The Responses wire format (``Endpoint.RESPONSES``)."""
