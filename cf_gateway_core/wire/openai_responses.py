"""The OpenAI Responses wire format (``POST /ai/v1/responses``): payloads, replies and streams.

Cloudflare passes OpenAI's Responses API through unchanged, adding a top-level
``gatewayMetadata`` to JSON replies — docs/wire-notes.md §4.1 [C], Appendix A6. Decisions:

- History is sent statelessly as ``input`` items; no ``previous_response_id`` and no encrypted
  reasoning round trip, so :class:`ReasoningPart` values in assistant history are not sent.
- A ``refusal`` content part is read as answer text (so a stream and a JSON reply agree) and is
  also kept as ``provider_details["refusal"]``.
- Reasoning text of one ``reasoning`` item becomes one :class:`ReasoningPart`: its ``content``
  texts, then its ``summary`` texts, joined with a blank line. Message texts are joined with ``""``.
- A ``failed`` JSON reply raises :class:`GatewayError`; a ``response.failed`` or ``error`` stream
  event raises :class:`StreamError`.

This module builds request bodies and unwraps replies; output items and stream events are read
in :mod:`~cf_gateway_core.wire._responses_stream` (``ChunkDecoder`` is re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from cf_gateway_core.errors import GatewayConfigError, GatewayError
from cf_gateway_core.events import StreamAccumulator
from cf_gateway_core.messages import (
    AudioPart,
    ChatRequest,
    ChatResponse,
    DocumentPart,
    ImagePart,
    Message,
    ProviderPart,
    ProviderTool,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from cf_gateway_core.routing import Route
from cf_gateway_core.wire._caching import reject_cache_control
from cf_gateway_core.wire._common import compact_json, mappings, result_levels
from cf_gateway_core.wire._format import WireFormat
from cf_gateway_core.wire._media import audio_refused, has_part, responses_file
from cf_gateway_core.wire._responses_stream import ChunkDecoder, final_events, map_error
from cf_gateway_core.wire._server_tools import refuse_foreign

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
_CONTENT_TYPES = frozenset({"input_text", "input_image", "input_file", "output_text"})


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
    reject_cache_control(request, route.endpoint.value)
    refuse_foreign(request, "responses", route.endpoint.value)
    if has_part(request, AudioPart):
        raise audio_refused(route.endpoint.value)
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
    if request.prompt_cache_key is not None:
        payload["prompt_cache_key"] = request.prompt_cache_key
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


def _map_input_file(part: DocumentPart) -> _Item:
    return responses_file(part, "responses")


def _map_output_text(part: TextPart) -> _Item:
    # Assistant history as {"role":"assistant","content":[{"type":"output_text",…}]}, without the
    # output item's id/status: assistant content must be output_text (input_text is rejected);
    # the same form the Vercel AI SDK's openai-responses provider sends.
    return {"type": "output_text", "text": part.text}


def _map_tool_call(part: ToolCallPart) -> _Item:
    arguments = part.raw_arguments
    if part.error is None or arguments is None:
        arguments = compact_json(part.arguments)
    return {"type": "function_call", "call_id": part.id, "name": part.name, "arguments": arguments}


def _map_tool_result(part: ToolResultPart) -> _Item:
    # The Responses API has no is_error flag on function_call_output; the output text says it.
    # Text-only results are one string; with images, output is a list of input_text /
    # input_image items (OpenAI function-calling guide, "function_call_output" output array).
    output: str | list[_Item]
    if isinstance(part.content, str):
        output = part.content
    elif all(isinstance(item, TextPart) for item in part.content):
        output = "".join(item.text for item in part.content if isinstance(item, TextPart))
    else:
        output = [_RESULT_ITEMS[type(item)](item) for item in part.content]
    return {"type": "function_call_output", "call_id": part.tool_call_id, "output": output}


_RESULT_ITEMS: dict[type[Any], Callable[[Any], _Item]] = {
    TextPart: _map_input_text,
    ImagePart: _map_input_image,
    DocumentPart: _map_input_file,
}


def _map_provider_item(part: ProviderPart) -> _Item:
    # An earlier reply's output item (web_search_call, annotated message…), sent back verbatim.
    return dict(part.block)


def _map_reasoning(part: ReasoningPart) -> None:
    # No encrypted reasoning round trip: earlier reasoning is not sent back (module docstring).
    return None


_PART_MAPPERS: dict[str, dict[type[Any], Callable[[Any], _Item | None]]] = {
    "user": {
        TextPart: _map_input_text,
        ImagePart: _map_input_image,
        DocumentPart: _map_input_file,
        ToolResultPart: _map_tool_result,
    },
    "assistant": {
        TextPart: _map_output_text,
        ToolCallPart: _map_tool_call,
        ReasoningPart: _map_reasoning,
        ProviderPart: _map_provider_item,
    },
    "tool": {ToolResultPart: _map_tool_result},
}


def _map_tool(tool: ToolSpec | ProviderTool) -> _Item:
    """One tool in the Responses shape.

    Responses tools are flat: no nested ``function`` object as in Chat Completions; built-in
    tools (``web_search``, ``file_search``…) are sent as given.
    """
    if isinstance(tool, ProviderTool):
        return dict(tool.spec)
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
    """Merge ``extra_body`` last.

    Objects merge one level deep, so ``{"reasoning": {"summary": …}}`` keeps a
    ``reasoning_effort`` set beside it.
    """
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
        raise GatewayError(f"The response failed: {map_error(data.get('error'))}")
    accumulator = StreamAccumulator()
    for event in final_events(data):
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
    # Bare and {"result": body} bodies both occur (docs/wire-notes.md §4.1 [C], CF-LC-META); the
    # /ai/run form nests twice with gatewayMetadata beside the inner result (§0 fact 5 [O]).
    gateway_metadata = None
    for node in result_levels(body):
        gateway_metadata = node.get("gatewayMetadata", gateway_metadata)
        if "output" in node or node.get("object") == "response":
            return node, gateway_metadata
    raise GatewayError(
        "cannot read the Responses reply: expected a Responses object (with 'output'), bare or "
        "wrapped in {'result': …}."
    )


def _map_refusal(output: Any) -> str:
    """The text of any ``refusal`` content parts (also read as answer text)."""
    return "".join(
        part["refusal"]
        for item in mappings(output)
        if item.get("type") == "message"
        for part in mappings(item.get("content"))
        if part.get("type") == "refusal" and isinstance(part.get("refusal"), str)
    )


FORMAT = WireFormat(
    build_payload=build_payload, parse_response=parse_response, new_decoder=ChunkDecoder
)
"""The Responses wire format (``Endpoint.RESPONSES``)."""
