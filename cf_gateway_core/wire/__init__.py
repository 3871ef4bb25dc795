"""Wire formats: one module per REST API, each exposing ``FORMAT`` (a :class:`WireFormat`).

A wire module owns its JSON in both directions and its stream decoding; nothing outside
``wire/`` knows a JSON field name. Modules are imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cf_gateway_core.events import StreamEvent
from cf_gateway_core.messages import ChatRequest, ChatResponse
from cf_gateway_core.routing import Endpoint, Route
from cf_gateway_core.sse import ServerSentEvent

__all__ = ["ChunkDecoder", "WireFormat", "get_format"]


class ChunkDecoder(Protocol):
    """Stateful, sans-I/O: server-sent events in, neutral stream events out (one per stream)."""

    def feed(self, event: ServerSentEvent) -> list[StreamEvent]:
        """Decode one server-sent event.

        Raises:
            StreamError: the event is an error frame (``event: error``, ``response.failed``…).
        """
        ...

    def close(self) -> list[StreamEvent]:
        """End of stream: flush what is pending and emit ``Finish`` if not yet emitted."""
        ...


@dataclass(frozen=True, slots=True)
class WireFormat:
    """The three entry points of a wire module."""

    build_payload: Callable[[ChatRequest, Route], dict[str, Any]]
    """Neutral request -> JSON body (``stream`` included when the request streams)."""
    parse_response: Callable[[Any], ChatResponse]
    """Parsed JSON body -> neutral reply. Raises ``StreamError``/``GatewayError`` never for
    unknown keys; raises ``APIStatusError``-free ``GatewayError`` only for bodies it cannot read."""
    new_decoder: Callable[[], ChunkDecoder]
    """A fresh stream decoder."""


_MODULES: dict[Endpoint, str] = {
    Endpoint.CHAT_COMPLETIONS: "cf_gateway_core.wire.openai_chat",
    Endpoint.MESSAGES: "cf_gateway_core.wire.anthropic_messages",
    Endpoint.RESPONSES: "cf_gateway_core.wire.openai_responses",
    Endpoint.RUN: "cf_gateway_core.wire.workers_ai",
}

_LOADED: dict[Endpoint, WireFormat] = {}


def get_format(endpoint: Endpoint) -> WireFormat:
    """The wire format for a chat endpoint (imported on first use)."""
    fmt = _LOADED.get(endpoint)
    if fmt is None:
        module = importlib.import_module(_MODULES[endpoint])
        fmt = _LOADED[endpoint] = module.FORMAT
    return fmt
