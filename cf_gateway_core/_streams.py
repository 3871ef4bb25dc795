"""The streamed replies: :class:`EventStream` (sync) and :class:`AsyncEventStream` (async).

Both are thin I/O shells over the pure decoding in ``_decoding``. A stream is handed a reply whose
headers have arrived (the client sent the request and retried it); it never calls back into the
client, so this module imports no client. The generator that reads the body is a module-level
function holding only the reply and the decoding state, never the stream object: dropping a stream
therefore frees it by reference counting, and its ``weakref.finalize`` closes the reply at once,
without waiting for the cyclic garbage collector.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from cf_gateway_core._base import gateway_metadata
from cf_gateway_core._decoding import StreamDecoding, coalesce
from cf_gateway_core._lazy import LazyModule
from cf_gateway_core._redact import MAX_STREAM_BYTES
from cf_gateway_core._replies import is_sse, read_errors
from cf_gateway_core.events import StreamAccumulator, StreamEvent
from cf_gateway_core.messages import ChatResponse, GatewayMetadata
from cf_gateway_core.routing import Route

if TYPE_CHECKING:
    import asyncio

    import httpx

    from cf_gateway_core._base import AsyncReply
    from cf_gateway_core._redact import Redactor
else:
    asyncio = LazyModule("asyncio", globals())

__all__ = ["AsyncEventStream", "EventStream"]


def _body_reads(response: httpx.Response) -> Iterator[bytes]:
    """The body's network reads, decoded: ``iter_raw`` when the reply has no content encoding.

    Without ``Content-Encoding`` (or with ``identity``) httpx's ``iter_bytes`` passes each read
    of ``iter_raw`` through an identity decoder and a re-chunker that change nothing (see
    ``Response.iter_bytes`` in httpx), two generator steps per read. A compressed reply keeps
    ``iter_bytes``, which decodes it, and so does a body already read (a caller's transport may
    hand one over whole), which ``iter_bytes`` replays.
    """
    encoding = response.headers.get("content-encoding")
    if (encoding is None or encoding.strip().lower() == "identity") and not (
        response.is_stream_consumed
    ):
        return response.iter_raw()
    return response.iter_bytes()


def _read_batches(
    response: httpx.Response, state: StreamDecoding
) -> Generator[list[StreamEvent], None, None]:
    try:
        if not is_sse(response):
            # A stream=true request answered with JSON: the body was read (and retried) by
            # _send; it is replayed as a one-shot stream (docs/wire-notes.md §0.7).
            yield state.from_json(response.content)
            return
        try:
            # feed_read masks an echoed token and caps the size before anything parses a read.
            for batch_list in map(state.feed_read, _body_reads(response)):
                if len(batch_list) == 1:  # the usual read: one batch
                    yield batch_list[0]
                else:
                    yield from batch_list
        except read_errors() as exc:
            last = state.finish_broken(exc)  # raises unless the end signal had arrived
        else:
            last = state.finish()
        yield last
    finally:
        response.close()


def _next_read(response: AsyncReply) -> Callable[[], Awaitable[bytes]]:
    """The next piece of the body as it arrives, ``b""`` at its end.

    aiohttp's reply reads with ``read_chunk`` (no async generator step per read, as
    ``Redactor.aread`` does); a caller's ``httpx.AsyncClient`` reply through ``aiter_bytes``,
    which never yields an empty piece.
    """
    read_chunk: Callable[[], Awaitable[bytes]] | None = getattr(response, "read_chunk", None)
    if read_chunk is not None:
        return read_chunk
    pieces = response.aiter_bytes()

    async def next_piece() -> bytes:
        return await anext(pieces, b"")

    return next_piece


async def _aread_batches(
    response: AsyncReply, state: StreamDecoding
) -> AsyncGenerator[list[StreamEvent], None]:
    try:
        if not is_sse(response):
            yield state.from_json(response.content)
            return
        try:
            feed_read = state.feed_read  # masks and caps each read first
            read = _next_read(response)
            while data := await read():
                try:
                    batches = feed_read(data)
                finally:
                    del data  # the unmasked read is no local of a traceback through here
                for batch in batches:
                    yield batch
        except read_errors() as exc:
            last = state.finish_broken(exc)  # raises unless the end signal had arrived
        else:
            last = state.finish()
        yield last
    finally:
        await response.aclose()


async def _close_source(source: AsyncGenerator[list[StreamEvent], None]) -> None:
    """Close the body reader, unless another task is closing it right now.

    A stream abandoned mid-way (``break`` out of ``astream``) leaves its generators to asyncio,
    which closes each unreachable one in a task of its own: the reader's close may be suspended
    in ``response.aclose()`` (an httpx reply awaits its connection) when ours comes.
    ``aclose()`` then raises "already running"; that other close finishes the job.
    """
    try:
        await source.aclose()
    except RuntimeError:
        if getattr(source, "ag_await", None) is None:  # not inside another close: a real error
            raise


def _close_later(response: AsyncReply, loop: asyncio.AbstractEventLoop) -> None:
    """Finalizer of a dropped async stream: close its reply on its loop's next turn."""
    if not loop.is_closed():
        loop.call_soon_threadsafe(lambda: loop.create_task(response.aclose()))


class EventStream:
    """A streamed reply, its request already sent: iterate it for events.

    ``gateway`` (the response headers' metadata) is set from the start; ``accumulator`` and
    :meth:`result` fill in as events are read. Leaving its ``with`` block, :meth:`close`,
    breaking out of a loop over it or dropping it closes the HTTP response at once.
    """

    def __init__(self, response: httpx.Response, route: Route, redactor: Redactor) -> None:
        """Wrap ``response`` (headers received, body unread) of a request for ``route``.

        Its body is read through ``redactor`` (the client's token masking and size cap).
        """
        self.gateway: GatewayMetadata = gateway_metadata(response.headers)
        state = StreamDecoding(route, self.gateway, redactor.masker(MAX_STREAM_BYTES))
        self.accumulator: StreamAccumulator = state.accumulator
        self._pending: deque[StreamEvent] = deque()
        self._source = _read_batches(response, state)
        self._closer = weakref.finalize(self, response.close)
        self._closer.atexit = False

    def __iter__(self) -> Iterator[StreamEvent]:
        """The events, in order (the stream is its own iterator)."""
        return self

    def __next__(self) -> StreamEvent:
        """The next event."""
        pending = self._pending
        while not pending:
            pending.extend(next(self._source))
        return pending.popleft()

    def batches(self) -> Iterator[list[StreamEvent]]:
        """The same events grouped as they arrived, adjacent deltas merged.

        One reading of one stream: events already taken one by one are not repeated. Each list
        holds the events decoded from one piece of a network read (never empty); adjacent text
        deltas, text pieces of one reasoning block and argument fragments of one tool call are
        merged, so a framework adapter makes one chunk per group instead of one per server-sent
        event. ``accumulator`` and :meth:`result` are unaffected.
        """
        try:
            if self._pending:
                first = list(self._pending)
                self._pending.clear()
                yield coalesce(first)
            for batch in self._source:
                if len(batch) == 1:  # the usual batch: one event, nothing to merge
                    yield batch
                elif batch:
                    yield coalesce(batch)
        finally:
            self._source.close()  # breaking out of the batches closes the stream too

    def close(self) -> None:
        """Stop reading and close the HTTP response."""
        self._pending.clear()
        self._source.close()
        self._closer()

    def __enter__(self) -> EventStream:
        """Use in a ``with`` block to guarantee the response is closed."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the response."""
        self.close()

    def result(self) -> ChatResponse:
        """The reply folded so far (complete once the stream is exhausted)."""
        return self.accumulator.result()


class AsyncEventStream:
    """The async twin of :class:`EventStream`.

    ``await client.stream(...)`` and ``async with client.stream(...) as events`` send the
    request (with retries) and give the open stream; ``async for`` on a stream not yet opened
    sends it first. :meth:`aclose`, leaving the block, breaking out and dropping the stream
    close the response (a dropped stream's on its event loop's next turn).
    """

    def __init__(
        self, send: Callable[[], Awaitable[AsyncReply]], route: Route, redactor: Redactor
    ) -> None:
        """A stream that opens by awaiting ``send()`` (the client's send with retries)."""
        self.gateway: GatewayMetadata | None = None
        self.accumulator: StreamAccumulator | None = None
        self._send: Callable[[], Awaitable[AsyncReply]] | None = send
        self._route = route
        self._redactor = redactor
        self._pending: deque[StreamEvent] = deque()
        self._source: AsyncGenerator[list[StreamEvent], None] | None = None
        self._response: AsyncReply | None = None
        self._closer: Any = None

    async def _open(self) -> AsyncGenerator[list[StreamEvent], None] | None:
        """Send the request once; the body's batch reader (``None`` once closed)."""
        if self._source is None and self._send is not None:
            send, self._send = self._send, None  # the client is not kept past the send
            response = await send()
            self.gateway = gateway_metadata(response.headers)
            state = StreamDecoding(
                self._route, self.gateway, self._redactor.masker(MAX_STREAM_BYTES)
            )
            self.accumulator = state.accumulator
            self._response = response
            self._source = _aread_batches(response, state)
            self._closer = weakref.finalize(
                self, _close_later, response, asyncio.get_running_loop()
            )
            self._closer.atexit = False
        return self._source

    async def _opened(self) -> AsyncEventStream:
        await self._open()
        return self

    def __await__(self) -> Any:
        """``await client.stream(...)``: send the request, return the open stream."""
        return self._opened().__await__()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        """The events, in order (the stream is its own iterator)."""
        return self

    async def __anext__(self) -> StreamEvent:
        """The next event."""
        source = await self._open()
        pending = self._pending
        while not pending:
            if source is None:
                raise StopAsyncIteration
            pending.extend(await source.__anext__())
        return pending.popleft()

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """Async twin of :meth:`EventStream.batches`."""
        source = await self._open()
        try:
            if self._pending:
                first = list(self._pending)
                self._pending.clear()
                yield coalesce(first)
            if source is None:
                return
            async for batch in source:
                if len(batch) == 1:
                    yield batch
                elif batch:
                    yield coalesce(batch)
        finally:
            if source is not None:
                await _close_source(source)  # breaking out of the batches closes the stream too

    async def aclose(self) -> None:
        """Stop reading and close the HTTP response."""
        self._send = None
        self._pending.clear()
        if self._source is not None:
            await _close_source(self._source)
        if self._closer is not None:
            self._closer.detach()
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        """``async with client.stream(...) as events``: send, then guarantee the close."""
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the response."""
        await self.aclose()

    def result(self) -> ChatResponse:
        """The reply folded so far (complete once the stream is exhausted)."""
        if self.accumulator is None:
            return ChatResponse()
        return self.accumulator.result()
