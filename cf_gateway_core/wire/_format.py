"""What a wire module provides: :class:`WireFormat` (its ``FORMAT``) and :class:`ChunkDecoder`.

Both are re-exported by :mod:`cf_gateway_core.wire`. They live here so that the dataclass and the
protocol are created with the first wire module (on a client's first request), not by
``import cf_gateway_core``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cf_gateway_core.events import StreamEvent
    from cf_gateway_core.messages import ChatRequest, ChatResponse
    from cf_gateway_core.routing import Route
    from cf_gateway_core.sse import ServerSentEvent

__all__ = ["ChunkDecoder", "DecoderOnFirstStream", "WireFormat"]


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

    def text_frame(self, frame: dict[str, Any], event: str) -> str | None:
        """The text of a plain text frame, decoded without a :class:`ServerSentEvent`.

        ``frame`` is an event's data parsed as JSON, ``event`` its type. For the usual frame that
        carries only a piece of answer text, the decoder does what :meth:`feed` of that event
        does and returns the text (``""``: :meth:`feed` gives no event); a reader then makes the
        one ``TextDelta`` itself. For any other frame it changes nothing and returns ``None``:
        the caller feeds the event instead.
        """
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


class DecoderOnFirstStream:
    """A wire module's stream decoder class, imported from its own module by the first stream.

    A plain call never needs the decoder, so its module is not imported with the wire module.
    :meth:`new` is the format's ``new_decoder``; :meth:`module_getattr` is the wire module's
    ``__getattr__`` (PEP 562), so ``from <wire module> import ChunkDecoder`` keeps working.
    """

    __slots__ = ("_class", "_module", "_owner")

    def __init__(self, owner: str, module: str) -> None:
        """The decoder of wire module ``owner``, class ``ChunkDecoder`` of module ``module``."""
        self._owner = owner
        self._module = module
        self._class: Callable[[], ChunkDecoder] | None = None

    def decoder_class(self) -> Callable[[], ChunkDecoder]:
        """The ``ChunkDecoder`` class (its module is imported on the first call)."""
        if self._class is None:
            self._class = importlib.import_module(self._module).ChunkDecoder
        return self._class

    def new(self) -> ChunkDecoder:
        """A fresh stream decoder."""
        return self.decoder_class()()

    def module_getattr(self, name: str) -> Any:
        """The wire module's ``__getattr__``: ``ChunkDecoder`` only."""
        if name != "ChunkDecoder":
            raise AttributeError(f"module {self._owner!r} has no attribute {name!r}")
        return self.decoder_class()
