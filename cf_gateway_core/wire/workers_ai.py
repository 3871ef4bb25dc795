"""The Workers AI run API: ``POST /ai/run/{model}`` (native) and ``POST /ai/run`` (universal).

Native (``route.native``, ``@cf/`` and ``@hf/`` models): the body is the model's own JSON schema
(OpenAI-style ``messages`` and ``tools``, no ``model`` key), replies come in the Cloudflare v4
envelope with either the legacy ``{"response", "tool_calls", "usage"}`` result or an OpenAI
``chat.completion``, and streams mix native ``{"response": …}`` frames with OpenAI chunks.
Universal (any other model): the body is ``{"model", "input"}`` where ``input`` is the OpenAI Chat
or Anthropic Messages body, and replies nest that body once or twice under ``result``. OpenAI- and
Anthropic-shaped bodies and frames are delegated to :mod:`~cf_gateway_core.wire.openai_chat` and
:mod:`~cf_gateway_core.wire.anthropic_messages`; this module owns the envelope, the legacy shape
and the native stream. The bodies are built and the envelope is walked here; the legacy shape is
read in :mod:`~cf_gateway_core.wire._workers_ai_reply` and streams are decoded in
:mod:`~cf_gateway_core.wire._workers_ai_stream` (``ChunkDecoder`` is re-exported here).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from cf_gateway_core.errors import GatewayError, error_from_response
from cf_gateway_core.messages import ChatRequest, ChatResponse
from cf_gateway_core.profiles import get_profile
from cf_gateway_core.routing import Endpoint, ModelKind, Route
from cf_gateway_core.wire import get_format
from cf_gateway_core.wire._format import DecoderOnFirstStream, WireFormat
from cf_gateway_core.wire._workers_ai_reply import parse_legacy

if TYPE_CHECKING:
    from cf_gateway_core.wire._workers_ai_stream import ChunkDecoder

__all__ = ["FORMAT", "ChunkDecoder", "build_payload", "parse_response"]

# OpenAI Chat fields the native /ai/run/{model} schemas do not take: the model is in the URL, and
# the native stream reports usage without stream_options — docs/wire-notes.md §6.1 [C]
# (CF-MODEL-LLAMA33 input schema), §5.1 [O]. openai_chat already spells max_tokens and sends the
# bare json_schema for Workers AI models (§6.1 [C]).
_NATIVE_DROP: tuple[str, ...] = ("model", "stream_options")

# The format of a universal /ai/run input, by model kind. The other wire modules are imported
# when a body needs them (get_format), not with this one: a native call uses openai_chat only.
_INNER_FORMATS: dict[ModelKind, Endpoint] = {
    ModelKind.ANTHROPIC: Endpoint.MESSAGES,
    ModelKind.THIRD_PARTY: Endpoint.CHAT_COMPLETIONS,
    ModelKind.WORKERS_AI: Endpoint.CHAT_COMPLETIONS,
}

# Universal /ai/run input fields spelled as in Cloudflare's examples: the REST API page's /ai/run
# example for openai/gpt-4.1 sends "max_tokens" inside input (openai_chat spells it
# max_completion_tokens for OpenAI's models on /ai/v1/chat/completions) — docs/gateway-2026.md.
_UNIVERSAL_RENAMES: dict[str, str] = {"max_completion_tokens": "max_tokens"}

# Envelope keys kept in provider_details: /ai/run wraps the model output in
# {"result": …, "gatewayMetadata": …, "state": …} — docs/wire-notes.md §0.5 [O], A8 [C].
_ENVELOPE_DETAILS: tuple[str, ...] = ("gatewayMetadata", "state")


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
    bare = _without_extra_body(request)
    endpoint = _INNER_FORMATS[route.model.kind]
    if get_profile(route.model.id).responses_only:
        # A Responses-only model's run input is a Responses body — docs/gateway-2026.md.
        endpoint = Endpoint.RESPONSES
    inner = get_format(endpoint).build_payload(bare, route)
    inner.pop("model", None)
    for ours, theirs in _UNIVERSAL_RENAMES.items():
        if ours in inner:
            inner[theirs] = inner.pop(ours)
    inner.update(request.extra_body)
    return {"model": route.model.id, "input": inner}


def _without_extra_body(request: ChatRequest) -> ChatRequest:
    """``request`` for the inner body builder: its ``extra_body`` is merged by the caller.

    Copied only when it has one (``dataclasses.replace`` rebuilds every field).
    """
    return dataclasses.replace(request, extra_body={}) if request.extra_body else request


def _native_payload(request: ChatRequest, route: Route) -> dict[str, Any]:
    payload = get_format(Endpoint.CHAT_COMPLETIONS).build_payload(
        _without_extra_body(request), route
    )
    for key in _NATIVE_DROP:
        payload.pop(key, None)
    # e.g. {"options": {"rejectIfBusy": true}} goes top-level — docs/wire-notes.md §1.2 [C].
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
    if isinstance(parser, Endpoint):
        parser = get_format(parser).parse_response
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


def _is_responses(node: Mapping[str, Any]) -> bool:
    return node.get("object") == "response" and "output" in node


def _is_legacy(node: Mapping[str, Any]) -> bool:
    return "response" in node or "tool_calls" in node


def _is_queued(node: Mapping[str, Any]) -> bool:
    return "request_id" in node


def _parse_queued(node: Mapping[str, Any]) -> NoReturn:
    # Async queue answer {"request_id": …} — docs/wire-notes.md §4.2 [C].
    raise GatewayError(
        f"Workers AI queued the request (request_id {node.get('request_id')!r}); a chat call "
        "cannot wait for it. Do not pass queueRequest here: send queued (async batch) requests "
        "with cf_gateway_core.BatchAPI / AsyncBatchAPI, which poll for the results."
    )


_Parser = Callable[[Any], ChatResponse] | Endpoint  # an endpoint: its wire format's parser

# Inner body shapes, tried in order (a body is recognised by its keys, not by the model), with
# whether the parser takes the whole reply: the OpenAI and Anthropic parsers unwrap the envelope
# themselves and read gatewayMetadata as on their own endpoints.
_SHAPES: tuple[tuple[Callable[[Mapping[str, Any]], bool], _Parser, bool], ...] = (
    (_is_openai, Endpoint.CHAT_COMPLETIONS, True),
    (_is_anthropic, Endpoint.MESSAGES, True),
    (_is_responses, Endpoint.RESPONSES, False),
    (_is_legacy, parse_legacy, False),
    (_is_queued, _parse_queued, False),
)


def _shape_parser(node: Mapping[str, Any]) -> tuple[_Parser, bool] | None:
    for matches, parser, whole in _SHAPES:
        if matches(node):
            return parser, whole
    return None


_DECODER = DecoderOnFirstStream(__name__, "cf_gateway_core.wire._workers_ai_stream")
__getattr__ = _DECODER.module_getattr


FORMAT = WireFormat(
    build_payload=build_payload,
    parse_response=parse_response,
    new_decoder=_DECODER.new,
)
"""The ``run`` endpoint's wire format."""
