"""Server-sent events as a test double sends them: event lists, one-chunk-per-event bytes.

An event is a raw data string (``"[DONE]"``), a JSON object (``data: {…}``), or ``(event name,
object)`` (``event: name`` then ``data: {…}``). The framing follows the SSE specification
(https://html.spec.whatwg.org/multipage/server-sent-events.html): each event ends with a blank line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["SSEItem", "encode_event", "sse_bytes", "sse_chunks"]

SSEItem = str | Mapping[str, Any] | tuple[str, Mapping[str, Any]]
"""One SSE frame: a raw data string (``"[DONE]"``), a JSON object, or ``(event name, object)``."""


def encode_event(item: SSEItem, *, compact: bool = False) -> bytes:
    """Encode one event as SSE bytes.

    Args:
        item: the event.
        compact: JSON without spaces (as most providers send it).

    Returns:
        ``event: …`` (when named) and ``data: …`` lines, ending with a blank line.
    """
    separators = (",", ":") if compact else None
    if isinstance(item, str):
        return f"data: {item}\n\n".encode()
    if isinstance(item, tuple):
        name, data = item
        return f"event: {name}\ndata: {json.dumps(data, separators=separators)}\n\n".encode()
    return f"data: {json.dumps(item, separators=separators)}\n\n".encode()


def sse_chunks(events: Iterable[SSEItem], *, compact: bool = False) -> list[bytes]:
    """Encode events one chunk per event (a server flushing each event sends them so).

    Args:
        events: the events.
        compact: JSON without spaces.

    Returns:
        One bytes chunk per event.
    """
    return [encode_event(item, compact=compact) for item in events]


def sse_bytes(events: Iterable[SSEItem], *, compact: bool = False) -> bytes:
    """Encode events as one SSE body.

    Args:
        events: the events.
        compact: JSON without spaces.

    Returns:
        The whole stream body.
    """
    return b"".join(sse_chunks(events, compact=compact))
