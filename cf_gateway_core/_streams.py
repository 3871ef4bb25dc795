"""The streamed replies: :class:`EventStream` (sync) and :class:`AsyncEventStream` (async),
thin I/O shells over the pure decoding in ``_decoding``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING

from cf_gateway_core._base import Prepared, gateway_metadata
from cf_gateway_core._decoding import StreamDecoding, coalesce
from cf_gateway_core._lazy import LazyModule
from cf_gateway_core._quirks import empty_native_result, without_stream
from cf_gateway_core._redact import MAX_STREAM_BYTES
from cf_gateway_core._replies import is_sse, read_errors
from cf_gateway_core.events import (
    StreamAccumulator,
    StreamEvent,
)
from cf_gateway_core.messages import (
    ChatResponse,
    GatewayMetadata,
)

if TYPE_CHECKING:
    import httpx

    from cf_gateway_core.client import AsyncGatewayClient, GatewayClient
else:
    httpx = LazyModule("httpx", globals())

__all__ = ["AsyncEventStream", "EventStream"]


class EventStream:
    """A streamed reply: iterate for events; ``gateway`` and ``accumulator`` fill in as it goes.

    Closing it (or leaving its ``with`` block, or breaking out of the loop and dropping it)
    closes the HTTP response.
    """

    def __init__(self, client: GatewayClient, prepared: Prepared) -> None:
        """Prepare; the request is sent when iteration starts."""
        self.gateway: GatewayMetadata | None = None
        self.accumulator: StreamAccumulator | None = None
        self._client = client
        self._prepared = prepared
        self._batches = self._run()
        self._events = self._flat()

    def __iter__(self) -> Iterator[StreamEvent]:
        """The events, in order."""
        return self._events

    def __next__(self) -> StreamEvent:
        """The next event."""
        return next(self._events)

    def batches(self) -> Iterator[list[StreamEvent]]:
        """The events grouped as they arrived, adjacent deltas merged (iterate this *or* the
        stream itself, not both).

        Each list holds the events decoded from one piece of a network read (never empty).
        Adjacent text deltas, text pieces of one reasoning block and argument fragments of one
        tool call are merged, so a framework adapter makes one chunk per group instead of one
        per server-sent event: the same text and the same final reply, sooner and with far less
        per-chunk overhead when many events arrive at once. ``accumulator`` and ``result()``
        are unaffected.
        """
        for batch in self._batches:
            if batch:
                yield coalesce(batch)

    def close(self) -> None:
        """Stop reading and close the HTTP response."""
        self._events.close()
        self._batches.close()

    def __enter__(self) -> EventStream:
        """Use in a ``with`` block to guarantee the response is closed."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the response."""
        self.close()

    def result(self) -> ChatResponse:
        """The reply folded so far (complete once the stream is exhausted)."""
        if self.accumulator is None:
            return ChatResponse()
        return self.accumulator.result()

    def _flat(self) -> Generator[StreamEvent, None, None]:
        for batch in self._batches:
            yield from batch

    def _run(self) -> Generator[list[StreamEvent], None, None]:
        response = self._client._send(self._prepared)
        try:
            self.gateway = gateway_metadata(response.headers)
            state = StreamDecoding(self._prepared.route, self.gateway)
            self.accumulator = state.accumulator
            if not is_sse(response):
                content = response.content  # read (and retried) by _send
                if empty_native_result(self._prepared, content):
                    # GPT-OSS answers a native stream with an empty JSON result (_quirks).
                    content = self._client._send(without_stream(self._prepared)).content
                yield state.from_json(content)
                return
            try:
                # Through the client's redactor: an echoed token masked, the size capped, and no
                # frame local here holds an unmasked chunk.
                chunks = self._client._redactor.chunks(response.iter_bytes(), MAX_STREAM_BYTES)
                for chunk in chunks:
                    yield from state.feed_read(chunk)
            except read_errors() as exc:
                raise state.broken(exc) from exc
            yield state.finish()
        finally:
            response.close()


class AsyncEventStream:
    """The async twin of :class:`EventStream` (``async for``, ``aclose``, ``async with``)."""

    def __init__(self, client: AsyncGatewayClient, prepared: Prepared) -> None:
        """Prepare; the request is sent when iteration starts."""
        self.gateway: GatewayMetadata | None = None
        self.accumulator: StreamAccumulator | None = None
        self._client = client
        self._prepared = prepared
        self._batches = self._run()
        self._events = self._flat()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        """The events, in order."""
        return self._events

    async def __anext__(self) -> StreamEvent:
        """The next event."""
        return await self._events.__anext__()

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """Async twin of :meth:`EventStream.batches`."""
        async for batch in self._batches:
            if batch:
                yield coalesce(batch)

    async def aclose(self) -> None:
        """Stop reading and close the HTTP response."""
        await self._events.aclose()
        await self._batches.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        """Use in an ``async with`` block to guarantee the response is closed."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the response."""
        await self.aclose()

    def result(self) -> ChatResponse:
        """The reply folded so far (complete once the stream is exhausted)."""
        if self.accumulator is None:
            return ChatResponse()
        return self.accumulator.result()

    async def _flat(self) -> AsyncGenerator[StreamEvent, None]:
        async for batch in self._batches:
            for event in batch:
                yield event

    async def _run(self) -> AsyncGenerator[list[StreamEvent], None]:
        response = await self._client._send(self._prepared)
        try:
            self.gateway = gateway_metadata(response.headers)
            state = StreamDecoding(self._prepared.route, self.gateway)
            self.accumulator = state.accumulator
            if not is_sse(response):
                content = response.content  # read (and retried) by _send
                if empty_native_result(self._prepared, content):
                    again = await self._client._send(without_stream(self._prepared))
                    content = again.content
                yield state.from_json(content)
                return
            try:
                chunks = self._client._redactor.achunks(response.aiter_bytes(), MAX_STREAM_BYTES)
                async for chunk in chunks:
                    for batch in state.feed_read(chunk):
                        yield batch
            except read_errors() as exc:
                raise state.broken(exc) from exc
            yield state.finish()
        finally:
            await response.aclose()
