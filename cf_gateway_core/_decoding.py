"""Pure stream decoding shared by the sync and async streams; no I/O here.

Network reads go in, neutral events come out, in slices; adjacent deltas are coalesced into
batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cf_gateway_core import _json
from cf_gateway_core._json import load_json
from cf_gateway_core.errors import (
    StreamError,
)
from cf_gateway_core.events import (
    ReasoningDelta,
    StreamAccumulator,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    events_from_response,
)
from cf_gateway_core.messages import (
    GatewayMetadata,
)
from cf_gateway_core.routing import Route
from cf_gateway_core.sse import SSEDecoder
from cf_gateway_core.wire import get_format

if TYPE_CHECKING:
    from cf_gateway_core._redact import ChunkMasker
    from cf_gateway_core.wire import ChunkDecoder

__all__ = ["StreamDecoding", "coalesce"]

# A network read is decoded in slices of at most this many bytes, so the first events of a large
# read (a burst, or a fast local server) come out before the rest of it is parsed: the first slice
# is small for the time to first chunk, the next ones larger to keep per-slice costs low.
_FIRST_SLICE = 2048
_SLICE = 8192

# After this many reads the text path parsed and declined (the frames that end a stream, or
# the switches between text and tool calls), it is not tried again in the stream: a server whose
# text frames it never takes costs a few extra parses, not one per frame.
_MAX_DECLINED = 8


def _text_run(event: StreamEvent, head: StreamEvent) -> bool:
    return True


def _reasoning_run(event: StreamEvent, head: StreamEvent) -> bool:
    # Only plain text pieces of one block merge; a signature or redacted data stays on its own.
    return (
        isinstance(event, ReasoningDelta)
        and isinstance(head, ReasoningDelta)
        and event.index == head.index
        and event.signature is None
        and event.redacted_data is None
        and head.signature is None
        and head.redacted_data is None
    )


def _tool_run(event: StreamEvent, head: StreamEvent) -> bool:
    # Argument fragments of the same call (no new id or name) merge into the call's first delta.
    return (
        isinstance(event, ToolCallDelta)
        and isinstance(head, ToolCallDelta)
        and event.index == head.index
        and event.id is None
        and event.name is None
    )


def _merge(head: StreamEvent, run: list[StreamEvent]) -> StreamEvent:
    if isinstance(head, TextDelta):
        return TextDelta("".join(e.text for e in run if isinstance(e, TextDelta)))
    if isinstance(head, ReasoningDelta):
        text = "".join(e.text for e in run if isinstance(e, ReasoningDelta))
        return ReasoningDelta(text, index=head.index)
    assert isinstance(head, ToolCallDelta)
    arguments = "".join(e.arguments for e in run if isinstance(e, ToolCallDelta))
    return ToolCallDelta(head.index, head.id, head.name, arguments)


# event type -> "does this event continue a run started by that head event?"
_RUNS = {TextDelta: _text_run, ReasoningDelta: _reasoning_run, ToolCallDelta: _tool_run}


def coalesce(events: list[StreamEvent]) -> list[StreamEvent]:
    """Merge adjacent deltas of the same kind.

    The kinds are text, one reasoning block and one tool call's arguments; every other event,
    and the order, stay as they are.
    """
    if len(events) < 2:
        return events
    out: list[StreamEvent] = []
    i, n = 0, len(events)
    while i < n:
        head = events[i]
        continues = _RUNS.get(type(head))
        j = i + 1
        if continues is not None:
            while j < n and type(events[j]) is type(head) and continues(events[j], head):
                j += 1
        out.append(head if j - i == 1 else _merge(head, events[i:j]))
        i = j
    return out


class StreamDecoding:
    """Pure stream state: bytes or a JSON body in, neutral events out (sync and async share it).

    Network reads go through the client's token masking and size cap (``masker``) before
    anything parses them, here rather than in a generator of their own: one layer less per read.
    """

    __slots__ = (
        "accumulator",
        "add_text",
        "declined",
        "decoder",
        "mask",
        "masker",
        "quick",
        "route",
        "slice",
        "sse",
    )

    def __init__(self, route: Route, gateway: GatewayMetadata, masker: ChunkMasker) -> None:
        self.route = route
        self.sse = SSEDecoder()
        self.decoder: ChunkDecoder = get_format(route.endpoint).new_decoder()
        self.accumulator = StreamAccumulator(gateway=gateway)
        self.add_text = self.accumulator.text_sink()
        self.quick = False  # whether a read is tried as one plain text frame first
        self.declined = 0  # reads the text path parsed and gave back to the general path
        self.masker = masker
        self.mask = masker.feed
        self.slice = _FIRST_SLICE

    def feed_read(self, chunk: bytes) -> list[list[StreamEvent]]:
        """One network read, as batches of events (one per slice; some may be empty)."""
        chunk = self.mask(chunk)  # rebound: no local keeps the unmasked bytes
        size = len(chunk)
        if size <= self.slice:  # the usual read: one batch (a list, not a generator, per read)
            self.slice = _SLICE
            if not size:
                return []
            if self.quick:  # what feed() does, one call less per read
                events = self._text_events(chunk)
                if events is not None:
                    return [events]
            return [self._general(chunk)]
        view = memoryview(chunk)
        batches = []
        start = 0
        while start < size:
            stop = start + self.slice
            self.slice = _SLICE
            batches.append(self.feed(bytes(view[start:stop])))
            start = stop
        return batches

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        if self.quick:
            events = self._text_events(chunk)
            if events is not None:
                return events
        return self._general(chunk)

    def _general(self, chunk: bytes) -> list[StreamEvent]:
        """Any bytes: server-sent events, then the decoder's events, folded."""
        out: list[StreamEvent] = []
        decode = self.decoder.feed
        try:
            for sse_event in self.sse.feed(chunk):
                out += decode(sse_event)
        except StreamError as exc:
            raise self._with_partial_text(exc, out) from exc
        self.accumulator.add_all(out)
        # The next read tries the text path again when this one ended on text, and the text
        # path has not declined a frame too often: a stream of tool arguments or other frames
        # it does not take is not parsed twice per read.
        self.quick = bool(out) and type(out[-1]) is TextDelta and self.declined < _MAX_DECLINED
        return out

    def _text_events(self, chunk: bytes) -> list[StreamEvent] | None:
        """The events of a read that is one plain text frame, else ``None`` (nothing changed).

        The usual read of a gateway stream: one ``data:`` event holding one piece of answer
        text. Its data is parsed as bytes and handed to the decoder's ``text_frame``, without
        the event object, the UTF-8 text and the event lists of the general path; what the
        general path would do with the same read is proven equal in
        ``tests/core/test_stream_text_path.py``.
        """
        whole = self.sse.peek_whole(chunk)
        if whole is None:
            return None
        try:
            frame = _json.loads_utf8(whole[0])
        except (ValueError, RecursionError):
            return None  # not JSON, or not UTF-8: the general path decodes and reports it
        text = self.decoder.text_frame(frame, whole[1]) if type(frame) is dict else None
        if text is None:
            self.declined += 1  # parsed for nothing: the general path parses it again
            return None
        if not text:
            return []
        self.add_text(text)
        return [TextDelta(text)]

    def finish(self) -> list[StreamEvent]:
        tail = self.masker.flush()  # bytes held back in case they started the token
        out: list[StreamEvent] = self.feed(tail) if tail else []
        try:
            for sse_event in self.sse.flush():
                out.extend(self.decoder.feed(sse_event))
            out.extend(self.decoder.close())
        except StreamError as exc:
            raise self._with_partial_text(exc, out) from exc
        return self._fold(out)

    def _with_partial_text(self, exc: StreamError, pending: list[StreamEvent]) -> StreamError:
        """The decoder's error, carrying all text received before it.

        Events not yet yielded from the same network chunk are included.
        """
        self._fold(pending)
        return StreamError(
            exc.message, partial_text=self.accumulator.text, body=exc.body, code=exc.code
        )

    def from_json(self, content: bytes) -> list[StreamEvent]:
        # Cloudflare may answer stream=true with one JSON body — docs/wire-notes.md §0.7 [C].
        body = load_json(content)
        return self._fold(
            events_from_response(get_format(self.route.endpoint).parse_response(body))
        )

    def _fold(self, events: list[StreamEvent]) -> list[StreamEvent]:
        self.accumulator.add_all(events)
        return events

    def broken(self, exc: BaseException) -> StreamError:
        # httpx's async ReadTimeout has no text: then its name says what happened.
        reason = str(exc) or type(exc).__name__
        return StreamError(
            f"The stream broke after it started: {reason}", partial_text=self.accumulator.text
        )

    def finish_broken(self, exc: BaseException) -> list[StreamEvent]:
        """The last events of a stream whose body broke (cut, reset, stalled) at ``exc``.

        The reply is complete once its end signal arrived (``[DONE]``, a finish reason,
        ``message_stop``…): a break after it loses nothing, so the stream finishes as if the
        body had ended there. Before it, the break raises :meth:`broken`'s ``StreamError``.
        """
        try:
            return self.finish()
        except StreamError:
            raise self.broken(exc) from exc
