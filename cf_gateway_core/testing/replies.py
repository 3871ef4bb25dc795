"""Whole replies: a :class:`Turn` in a named wire format, as JSON or a stream; error replies.

:func:`turn_body` and :func:`turn_events` pick the builder of a format from one table;
:func:`turn_reply` makes a :class:`~cf_gateway_core.emulator.exchange.Reply` (JSON, or SSE sent
one event per network read); :func:`reply_to` answers a recorded request in the format its
endpoint speaks (what :meth:`cf_gateway_core.testing.FakeGateway.queue_turns` uses).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from cf_gateway_core.emulator.exchange import RecordedRequest, Reply
from cf_gateway_core.testing import anthropic, openai_chat, responses, workers_ai
from cf_gateway_core.testing.errors import (
    BYOK_REJECTED,
    CODE_MESSAGES,
    CODE_STATUS,
    CREDENTIALS_REJECTED,
    spend_cap_body,
)
from cf_gateway_core.testing.sse import SSEItem
from cf_gateway_core.testing.turns import Turn

__all__ = [
    "FORMATS",
    "WireFormat",
    "byok_rejected_reply",
    "credentials_rejected_reply",
    "error_reply",
    "reply_to",
    "spend_cap_reply",
    "turn_body",
    "turn_events",
    "turn_reply",
]

WireFormat = Literal["openai_chat", "anthropic", "responses", "workers_ai", "universal"]
"""A reply format: Chat Completions, Anthropic Messages, Responses, the native Workers AI run
API, or the universal ``/ai/run`` envelope (around a Chat Completions or Messages body)."""

Body = dict[str, Any]
_BodyBuilder = Callable[[Turn, str, bool], Body]
_StreamBuilder = Callable[[Turn, str, bool], list[SSEItem]]


def _universal_body(turn: Turn, model: str, _: bool) -> Body:
    inner = _inner_format(model)
    return workers_ai.universal_envelope(FORMATS[inner][0](turn, model, False))


def _universal_events(turn: Turn, model: str, usage: bool) -> list[SSEItem]:
    return FORMATS[_inner_format(model)][1](turn, model, usage)


FORMATS: dict[str, tuple[_BodyBuilder, _StreamBuilder, str]] = {
    "openai_chat": (
        lambda t, m, meta: openai_chat.chat_completion(t, model=m, gateway_metadata=meta),
        lambda t, m, usage: openai_chat.chat_events(t, model=m, include_usage=usage),
        "openai/gpt-5.5",
    ),
    "anthropic": (
        lambda t, m, meta: anthropic.message(t, model=m, gateway_metadata=meta),
        lambda t, m, _: anthropic.message_events(t, model=m),
        "anthropic/claude-sonnet-4.5",
    ),
    "responses": (
        lambda t, m, meta: responses.response(t, model=m, gateway_metadata=meta),
        lambda t, m, _: responses.response_events(t, model=m),
        "openai/gpt-5.5",
    ),
    "workers_ai": (
        lambda t, _, __: workers_ai.run_result(t),
        lambda t, _, __: workers_ai.run_events(t),
        "@cf/meta/llama-3.1-8b-instruct",
    ),
    "universal": (_universal_body, _universal_events, "openai/gpt-5.5"),
}
"""Format -> (JSON body builder, stream builder, default model)."""


def _inner_format(model: str) -> str:
    # The universal /ai/run body follows the model's provider (docs/wire-notes.md §4.1).
    return "anthropic" if model.startswith("anthropic/") else "openai_chat"


def _format(fmt: str) -> tuple[_BodyBuilder, _StreamBuilder, str]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown wire format {fmt!r}; use one of {sorted(FORMATS)}")
    return FORMATS[fmt]


def turn_body(
    turn: Turn, fmt: WireFormat, *, model: str | None = None, gateway_metadata: bool = False
) -> Body:
    """Render a turn as the JSON body of a format.

    Args:
        turn: the reply.
        fmt: the wire format.
        model: the model the body names (default: one of the format's models).
        gateway_metadata: add ``gatewayMetadata`` (Chat Completions, Messages, Responses).

    Returns:
        The JSON body.
    """
    build, _, default = _format(fmt)
    return build(turn, model or default, gateway_metadata)


def turn_events(
    turn: Turn, fmt: WireFormat, *, model: str | None = None, include_usage: bool = True
) -> list[SSEItem]:
    """Render a turn as the event stream of a format.

    Args:
        turn: the reply.
        fmt: the wire format.
        model: the model the events name.
        include_usage: Chat Completions: end with the usage chunk.

    Returns:
        The events (see :func:`cf_gateway_core.testing.sse.sse_bytes` for the bytes).
    """
    _, build, default = _format(fmt)
    return build(turn, model or default, include_usage)


def turn_reply(
    turn: Turn,
    fmt: WireFormat,
    *,
    stream: bool = False,
    model: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """Render a turn as a whole reply for :meth:`FakeGateway.queue`.

    Args:
        turn: the reply.
        fmt: the wire format.
        stream: an SSE reply (one event per network read) instead of JSON.
        model: the model the reply names.
        headers: extra response headers (e.g. ``cf-aig-log-id``).

    Returns:
        The reply.
    """
    if stream:
        return Reply.sse(turn_events(turn, fmt, model=model), headers=headers)
    return Reply.json(turn_body(turn, fmt, model=model), headers=headers)


_ENDPOINT_FORMATS: dict[str, WireFormat] = {
    "chat_completions": "openai_chat",
    "messages": "anthropic",
    "responses": "responses",
}


def _request_format(request: RecordedRequest, body: Mapping[str, Any]) -> tuple[WireFormat, str]:
    if request.endpoint in _ENDPOINT_FORMATS:
        return _ENDPOINT_FORMATS[request.endpoint], str(body.get("model") or "")
    if request.endpoint == "run":
        _, _, model = request.path.partition("/ai/run/")
        if model.strip("/"):
            return "workers_ai", model.strip("/")
        return "universal", str(body.get("model") or "")
    raise ValueError(f"a Turn answers chat requests, not {request.path}")


def reply_to(turn: Turn, request: RecordedRequest) -> Reply:
    """Answer a chat request with a turn, in the format and mode the request asks for.

    The endpoint picks the format (``/ai/run/@cf/…``: native; ``/ai/run``: universal), the
    body's ``stream`` flag JSON or SSE, its ``model`` the model named; third-party models'
    JSON replies carry ``gatewayMetadata``, and a Chat Completions stream ends with the usage
    chunk only when ``stream_options.include_usage`` asks for it, as OpenAI's API does.

    Args:
        turn: the reply.
        request: the recorded request.

    Returns:
        The reply.

    Raises:
        ValueError: the request is not a chat request.
    """
    body = request.json if isinstance(request.json, dict) else {}
    fmt, model = _request_format(request, body)
    inner = body.get("input") if fmt == "universal" else body
    inner = inner if isinstance(inner, dict) else {}
    if body.get("stream") is True or inner.get("stream") is True:
        options = inner.get("stream_options")
        usage = isinstance(options, dict) and options.get("include_usage") is True
        return Reply.sse(turn_events(turn, fmt, model=model or None, include_usage=usage))
    metadata = not model.startswith("@")
    return Reply.json(turn_body(turn, fmt, model=model or None, gateway_metadata=metadata))


def error_reply(
    status: int | None = None,
    *,
    code: int | None = None,
    message: str | None = None,
    retry_after: int | None = None,
    model: str = "the model",
) -> Reply:
    """A Cloudflare v4 error reply, with the gateway's status and message for a known code.

    Args:
        status: the HTTP status (default: the code's, e.g. 2003 → 429).
        code: the Cloudflare error code.
        message: the message (default: the gateway's wording for the code).
        retry_after: a ``retry-after`` header, in seconds.
        model: the model a ``Model not found`` style message names.

    Returns:
        The reply.

    Raises:
        ValueError: neither ``status`` nor a known ``code`` is given.
    """
    if status is None:
        if code not in CODE_STATUS:
            raise ValueError(f"give status=, or code= with a known code ({sorted(CODE_STATUS)})")
        status = CODE_STATUS[code]
    text = message or CODE_MESSAGES.get(code or 0, "Error").format(model=model)
    headers = {} if retry_after is None else {"retry-after": str(retry_after)}
    return Reply.error(status, code=code, message=text, headers=headers)


def spend_cap_reply(*, spent: float = 10.5, limit: float = 10.0, bucket: str = "emulator") -> Reply:
    """The Policies spend cap's 429 reply (body: :func:`~.errors.spend_cap_body`).

    Args:
        spent: the amount spent in the bucket.
        limit: the bucket's limit.
        bucket: the bucket's name.

    Returns:
        The reply.
    """
    return Reply.json(spend_cap_body(spent=spent, limit=limit, bucket=bucket), status=429)


def byok_rejected_reply() -> Reply:
    """The 401 / 2009 reply of a provider rejecting the stored (BYOK) key."""
    status, code, message = BYOK_REJECTED
    return Reply.error(status, code=code, message=message)


def credentials_rejected_reply() -> Reply:
    """The 503 reply of a provider rejecting Cloudflare's Unified Billing credentials."""
    status, code, message = CREDENTIALS_REJECTED
    return Reply.error(status, code=code, message=message)
