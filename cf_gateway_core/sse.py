r"""A sans-I/O server-sent-events decoder.

:class:`SSEDecoder` takes bytes in any chunking and yields the same :class:`ServerSentEvent`
values (WHATWG event-stream parsing: ``data:`` lines joined with ``\n``, ``event:``, ``id:``,
``retry:``, comments ignored; lines end in ``\r\n``, ``\n`` or ``\r``). The client feeds it
from ``iter_bytes`` / ``aiter_bytes``; nothing here does I/O.
"""

from __future__ import annotations

import codecs
from dataclasses import FrozenInstanceError

__all__ = ["SSEDecoder", "ServerSentEvent"]


class ServerSentEvent:
    """One dispatched event (immutable; equal to another event with the same four fields).

    A slotted class rather than a frozen dataclass: a frozen dataclass sets each field through
    ``object.__setattr__`` and costs ~0.5 µs to build, this ~0.3 µs, once per streamed frame.
    """

    __slots__ = ("data", "event", "id", "retry")
    __match_args__ = ("data", "event", "id", "retry")

    data: str
    event: str
    id: str | None
    retry: int | None

    def __init__(
        self, data: str, event: str = "message", id: str | None = None, retry: int | None = None
    ) -> None:
        """An event: ``data`` (its ``data:`` lines joined), type, last event id, retry ms."""
        _set_data(self, data)
        _set_event(self, event)
        _set_id(self, id)
        _set_retry(self, retry)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, ServerSentEvent)
        return (self.data, self.event, self.id, self.retry) == (
            other.data,
            other.event,
            other.id,
            other.retry,
        )

    def __hash__(self) -> int:
        return hash((self.data, self.event, self.id, self.retry))

    def __reduce__(self) -> tuple[type[ServerSentEvent], tuple[str, str, str | None, int | None]]:
        return (ServerSentEvent, (self.data, self.event, self.id, self.retry))  # copy, pickle

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(data={self.data!r}, event={self.event!r}, id={self.id!r}, "
            f"retry={self.retry!r})"
        )


_SLOTS = ServerSentEvent.__dict__
# The slots' own setters: they store a field without going through the blocked __setattr__.
_set_data = _SLOTS["data"].__set__
_set_event = _SLOTS["event"].__set__
_set_id = _SLOTS["id"].__set__
_set_retry = _SLOTS["retry"].__set__


def _is_retry(value: str) -> bool:
    # ASCII digits only (str.isdigit() accepts "²"); bounded so int() can never overflow.
    return 0 < len(value) <= 15 and value.isascii() and value.isdigit()


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> events``; ``flush()`` at end of stream."""

    __slots__ = (
        "_data",
        "_event",
        "_id",
        "_last_id",
        "_partial",
        "_pending_cr",
        "_retry",
        "_started",
        "_utf8",
        "_utf8_held",
    )

    def __init__(self) -> None:
        """Start with empty state."""
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._utf8_held = False  # whether _utf8 holds the start of a character split by a read
        # Pieces of the current unterminated line, joined only once a line break arrives, so a
        # long line fed in small chunks costs linear, not quadratic, time.
        self._partial: list[str] = []
        self._pending_cr = False
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode a chunk of bytes; return the events it completes."""
        if self._utf8_held:
            text = self._decode_rest(chunk)
        else:
            try:
                text = chunk.decode()  # the usual chunk: whole, valid UTF-8
            except UnicodeDecodeError:  # a character split across reads, or invalid bytes
                text = self._decode_rest(chunk)
        if self._pending_cr or not self._started:
            text = self._strip_start(text)
        if text[-2:] == "\n\n" and not self._partial and "\r" not in text:
            event = self._whole_event(text)
            if event is not None:
                return [event]
        return self._lines(text)

    def peek_whole(self, chunk: bytes) -> tuple[bytes, str] | None:
        """``(data, event type)`` when ``chunk`` is exactly one event of the usual shape.

        For a reader that skips the event object: the usual shape is ``data: …`` alone or after
        ``event: …``, closed by its blank line, lines ended by line feeds, nothing pending from
        earlier chunks. Feeding such a chunk dispatches exactly that event (its ``id`` the last
        event id, no ``retry``) and leaves the decoder as it was, so the caller may take the data
        instead of calling :meth:`feed`; the data stays bytes (not yet checked as UTF-8). Any
        other chunk gives ``None``; nothing changes either way.
        """
        if (
            chunk[-2:] != b"\n\n"
            or 13 in chunk  # a carriage return (an int finds it with memchr, many times faster)
            or self._partial
            or self._utf8_held
            or self._pending_cr
            or not self._started
            or self._data
            or self._event
            or self._id is not None
            or self._retry is not None
        ):
            return None
        first = chunk.find(b"\n")
        end = len(chunk) - 2
        if first == end:
            return (chunk[6:end], "message") if chunk[:6] == b"data: " else None
        if chunk[:7] != b"event: " or chunk.find(b"\n", first + 1) != end:
            return None
        if chunk[first + 1 : first + 7] != b"data: " or first == 7:
            return None
        try:
            name = chunk[7:first].decode()
        except UnicodeDecodeError:
            return None
        return chunk[first + 7 : end], name

    def _decode_rest(self, chunk: bytes) -> str:
        text = self._utf8.decode(chunk)
        self._utf8_held = bool(self._utf8.getstate()[0])
        return text

    def _strip_start(self, text: str) -> str:
        if text and not self._started:
            # WHATWG: one leading U+FEFF (byte order mark) is ignored.
            self._started = True
            text = text.removeprefix("\ufeff")
        if text and self._pending_cr:
            # A "\r\n" split across chunks: the "\r" already ended the line.
            self._pending_cr = False
            text = text.removeprefix("\n")
        return text

    def _lines(self, text: str) -> list[ServerSentEvent]:
        """The general parsing: any line endings, partial lines, any fields."""
        if "\n" not in text and "\r" not in text:
            if text:
                self._partial.append(text)
            return []
        if self._partial:
            self._partial.append(text)
            text = "".join(self._partial)
        if "\r" in text:
            self._pending_cr = text.endswith("\r")
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        tail = lines.pop()
        self._partial = [tail] if tail else []
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if line[:6] == "data: ":  # the usual line, without the general parsing below
                data.append(line[6:])
            elif line:
                self._line(line)
            else:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: an event that lacked its closing blank line is discarded.

        WHATWG: "If the file ends in the middle of an event, before the final empty line, the
        incomplete event is not dispatched" (https://html.spec.whatwg.org/multipage/
        server-sent-events.html#event-stream-interpretation) — the body was cut short, so the
        stream decoders then see no end signal and raise. Always returns ``[]``.
        """
        self._partial = []
        self._pending_cr = False
        self._utf8.reset()
        self._utf8_held = False
        self._data.clear()
        self._event = ""
        self._id = None
        self._retry = None
        return []

    def _whole_event(self, text: str) -> ServerSentEvent | None:
        """The event when ``text`` is exactly one event of the usual shape, else ``None``.

        The usual shape is ``data: …`` or ``event: …`` then ``data: …``, closed by its blank line
        (a gateway sends one event per network chunk); anything else goes to the general parsing.
        """
        end = len(text) - 2
        first = text.find("\n")
        if first == end:  # one line
            if text[:6] != "data: ":
                return None
            if not self._data and self._id is None and not self._event and self._retry is None:
                # Nothing pending from earlier lines: the event is this line's data alone.
                return ServerSentEvent(text[6:end], "message", self._last_id, None)
            self._data.append(text[6:end])
        elif text[:7] == "event: " and text.find("\n", first + 1) == end:
            if text[first + 1 : first + 7] != "data: ":
                return None
            name = text[7:first]
            if (
                name
                and not (self._data or self._event)
                and self._id is None
                and self._retry is None
            ):
                return ServerSentEvent(text[first + 7 : end], name, self._last_id, None)
            self._event = name
            self._data.append(text[first + 7 : end])
        else:
            return None
        return self._dispatch()

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and _is_retry(value):
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if self._id is not None:
            self._last_id = self._id
            self._id = None
        if not self._data:
            self._event = ""
            self._retry = None
            return None
        data = self._data
        event = ServerSentEvent(
            data[0] if len(data) == 1 else "\n".join(data),
            self._event or "message",
            self._last_id,
            self._retry,
        )
        data.clear()  # the same list: feed() holds it across a chunk's lines
        self._event = ""
        self._retry = None
        return event
