"""What a wire module provides: :class:`WireFormat` (its ``FORMAT``) and :class:`ChunkDecoder`.

Both are re-exported by :mod:`cf_gateway_core.wire`. They live here so that the dataclass and the
protocol are created with the first wire module (on a client's first request), not by
``import cf_gateway_core``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cf_gateway_core.events import StreamEvent
    from cf_gateway_core.messages import ChatRequest, ChatResponse
    from cf_gateway_core.routing import Route
    from cf_gateway_core.sse import ServerSentEvent

__all__ = ["ChunkDecoder", "WireFormat"]


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
