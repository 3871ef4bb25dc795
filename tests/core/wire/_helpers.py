"""What the wire-format tests share: golden fixtures, bytes through the SSE and chunk decoders,
folding stream events into a response, and the body a request gets on its model's route.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cf_gateway_core.events import StreamAccumulator, StreamEvent
from cf_gateway_core.messages import ChatRequest, ChatResponse
from cf_gateway_core.routing import Route, resolve_route
from cf_gateway_core.sse import ServerSentEvent, SSEDecoder
from cf_gateway_core.wire import ChunkDecoder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load_fixture(api: str, name: str) -> Any:
    """The parsed JSON fixture ``tests/fixtures/<api>/<name>``."""
    return json.loads((FIXTURES / api / name).read_text(encoding="utf-8"))


def fixture_bytes(api: str, name: str) -> bytes:
    """The raw bytes of the fixture ``tests/fixtures/<api>/<name>`` (e.g. an ``.sse`` stream)."""
    return (FIXTURES / api / name).read_bytes()


def chunked(data: bytes, size: int | None = None) -> list[bytes]:
    """``data`` cut into pieces of ``size`` bytes (one piece when ``size`` is ``None``)."""
    step = size or max(len(data), 1)
    return [data[i : i + step] for i in range(0, len(data), step)]


def sse_events(chunks: Iterable[bytes]) -> list[ServerSentEvent]:
    """Feed ``chunks`` through one :class:`SSEDecoder`, then flush it."""
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.flush()


def decode_events(decoder: ChunkDecoder, events: Iterable[ServerSentEvent]) -> list[StreamEvent]:
    """Feed server-sent events through a wire format's chunk decoder, then close it."""
    out: list[StreamEvent] = []
    for event in events:
        out.extend(decoder.feed(event))
    return out + decoder.close()


def decode_bytes(decoder: ChunkDecoder, chunks: Iterable[bytes]) -> list[StreamEvent]:
    """Bytes -> :class:`SSEDecoder` -> ``decoder`` (fed, then closed), as the client does."""
    return decode_events(decoder, sse_events(chunks))


def fold(events: Iterable[StreamEvent]) -> ChatResponse:
    """The response a :class:`StreamAccumulator` builds from ``events``."""
    accumulator = StreamAccumulator()
    for event in events:
        accumulator.add(event)
    return accumulator.result()


def frame(data: Any, event: str = "message") -> ServerSentEvent:
    """One server-sent event carrying ``data`` (JSON-encoded unless already a string)."""
    return ServerSentEvent(data=data if isinstance(data, str) else json.dumps(data), event=event)


def feed(decoder: ChunkDecoder, data: Any, event: str = "message") -> list[StreamEvent]:
    """Feed ``data`` to ``decoder`` as one ``event`` frame (see :func:`frame`); what it yields."""
    return decoder.feed(frame(data, event))


def built_payload(
    build: Callable[[ChatRequest, Route], dict[str, Any]],
    request: ChatRequest,
    endpoint: str = "auto",
) -> dict[str, Any]:
    """The body ``build`` makes for ``request`` on the route its model resolves to."""
    return build(request, resolve_route(request.model, endpoint))
