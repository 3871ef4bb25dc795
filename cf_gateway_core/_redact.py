"""Keeping the API token out of everything a reply produces, and bounding decoded bodies.

A server (a proxy, a misbehaving upstream) may echo the request's ``Authorization`` header back:
in a response header, a reason phrase, an error body, a stream frame. :class:`Redactor` masks the
client's own token in those *before* any of it is parsed, so no error, result, stream event,
partial text, log record or traceback local built from the reply can hold it.

Bodies are masked as they are read, chunk by chunk, after content decoding: a token split across
two network reads is still found (the tail of a chunk that could start the token is held back
until the next chunk shows whether it does). The same pass counts decoded bytes and raises
:class:`~cf_gateway_core.errors.GatewayError` past a cap, so a compressed "bomb" is never expanded
without bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cf_gateway_core.errors import GatewayError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MASK",
    "MAX_BODY_BYTES",
    "MAX_STREAM_BYTES",
    "ChunkMasker",
    "Redactor",
    "keep_content",
]

MASK = "**********"
MIN_MASKED_TOKEN = 8
"""Shorter tokens are not masked: a toy test token such as ``"t"`` would mangle every reply
(real Cloudflare API tokens are 40 characters)."""

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The most bytes a whole (non-streamed) reply may decode to: 64 MiB. The largest legitimate
replies are far smaller (100 embeddings of 3,072 floats are ~7 MB of JSON; a long chat reply is
well under 2 MB)."""
MAX_STREAM_BYTES = 128 * 1024 * 1024
"""The most bytes a streamed reply may decode to: 128 MiB (a 128k-token answer streamed as one
frame per token is ~40 MB of SSE)."""


def keep_content(reply: _ReplyT, content: bytes) -> bytes:
    """Make ``content`` (the body as :class:`Redactor` read it) the reply's ``content``.

    ``AioReply.content`` is a plain attribute; an ``httpx.Response`` keeps a read body in
    ``_content``, which is exactly what ``Response.read()`` assigns after joining
    ``iter_bytes()`` (the same read, minus the cap and the masking).
    """
    import httpx

    if isinstance(reply, httpx.Response):
        reply._content = content
    else:
        reply.content = content
    return content


class _AsyncBody(Protocol):
    def aiter_bytes(self) -> AsyncIterator[bytes]: ...


_ReplyT = TypeVar("_ReplyT", bound=Any)


class ChunkMasker:
    """Masks one token across a sequence of chunks; counts the bytes against a cap."""

    __slots__ = ("_cap", "_held", "_mask", "_tail_bytes", "_token", "_total")

    def __init__(self, redactor: Redactor, cap: int) -> None:
        self._token = redactor.token_bytes
        self._mask = redactor.mask_bytes
        self._tail_bytes = redactor.token_byte_set
        self._cap = cap
        self._held = b""
        self._total = 0

    def feed(self, chunk: bytes) -> bytes:
        self._total += len(chunk)
        if self._total > self._cap:
            raise GatewayError(
                f"The reply decoded to more than {self._cap // (1024 * 1024)} MiB; it was "
                "abandoned (a compressed body that expands without bound is refused)."
            )
        token = self._token
        if token is None or not chunk:
            return chunk
        if not self._held and chunk.find(token) < 0 and chunk[-1] not in self._tail_bytes:
            # The usual chunk (an SSE event ends in a line break): nothing to mask, none held.
            # (bytes.find, not "in": the same answer in about half the time on CPython 3.11.)
            return chunk
        data = self._held + chunk if self._held else chunk
        if token in data:
            data = data.replace(token, self._mask)
        keep = _token_prefix_at_end(data, token)
        self._held = data[keep:]
        return data[:keep]

    def flush(self) -> bytes:
        held, self._held = self._held, b""
        return held


def _token_prefix_at_end(data: bytes, token: bytes) -> int:
    """Where the tail of ``data`` that could be the start of ``token`` begins.

    Returns:
        The tail's offset, or ``len(data)`` if there is none. The tail is held back until the
        next chunk shows whether it is the token.
    """
    first = token[:1]
    i = data.find(first, max(0, len(data) - len(token) + 1))
    while i != -1:
        if token.startswith(data[i:]):
            return i
        i = data.find(first, i + 1)
    return len(data)


class Redactor:
    """Masks one client's API token in replies (headers, reason phrase, bodies)."""

    __slots__ = ("mask_bytes", "token", "token_byte_set", "token_bytes")

    def __init__(self, token: str) -> None:
        """Mask ``token`` (if it is long enough to be a real token)."""
        masked = len(token) >= MIN_MASKED_TOKEN
        self.token: str | None = token if masked else None
        self.token_bytes: bytes | None = token.encode() if masked else None
        self.mask_bytes = MASK.encode()
        # A chunk whose last byte occurs nowhere in the token cannot end with the start of it.
        self.token_byte_set = frozenset(self.token_bytes or b"")

    def text(self, value: str) -> str:
        """``value`` with the token masked."""
        token = self.token
        return value.replace(token, MASK) if token is not None and token in value else value

    def data(self, value: bytes) -> bytes:
        """``value`` with the token masked."""
        token = self.token_bytes
        if token is None or token not in value:
            return value
        return value.replace(token, self.mask_bytes)

    def response(self, reply: _ReplyT) -> _ReplyT:
        """Mask the token in a reply's headers (and an ``httpx.Response``'s reason phrase).

        Returns:
            The same reply, changed in place (an ``httpx.Response`` or the aiohttp-backed
            ``AioReply``).
        """
        token = self.token
        if token is None:
            return reply
        headers = reply.headers
        if self._token_in_headers(headers, token):
            import httpx

            multi_items = getattr(headers, "multi_items", None)
            items = multi_items() if multi_items is not None else headers.items()
            # httpx.Headers: case-insensitive like the original, and what httpx decodes from.
            reply.headers = httpx.Headers([(name, self.text(value)) for name, value in items])
        extensions: Any = getattr(reply, "extensions", None)
        reason = extensions.get("reason_phrase") if isinstance(extensions, dict) else None
        token_bytes = self.token_bytes
        if isinstance(reason, bytes) and token_bytes is not None and token_bytes in reason:
            reply.extensions = {**extensions, "reason_phrase": self.data(reason)}
        return reply

    def _token_in_headers(self, headers: Any, token: str) -> bool:
        """Whether a header value holds ``token`` (names are never masked)."""
        token_bytes = self.token_bytes
        raw = getattr(headers, "raw", None)
        if raw is not None and token_bytes is not None and token_bytes.isascii():
            # httpx.Headers: the raw bytes, without decoding every value. An ASCII token is the
            # same bytes in every encoding httpx decodes headers with (ASCII, UTF-8, Latin-1).
            return any(token_bytes in value for _, value in raw)
        return any(token in value for _, value in headers.items())

    def masker(self, cap: int = MAX_BODY_BYTES) -> ChunkMasker:
        """A masker for one body read chunk by chunk, at most ``cap`` bytes in all.

        ``feed`` each chunk, then ``flush``.
        """
        return ChunkMasker(self, cap)

    def chunks(self, chunks: Iterable[bytes], cap: int = MAX_BODY_BYTES) -> Iterator[bytes]:
        """Masked chunks of a decoded body, at most ``cap`` bytes in all.

        Raises:
            GatewayError: the body decoded to more than ``cap`` bytes.
        """
        masker = ChunkMasker(self, cap)
        for chunk in chunks:
            out = masker.feed(chunk)
            if out:
                yield out
        tail = masker.flush()
        if tail:
            yield tail

    async def achunks(
        self, chunks: AsyncIterable[bytes], cap: int = MAX_BODY_BYTES
    ) -> AsyncIterator[bytes]:
        """Async twin of :meth:`chunks`."""
        masker = ChunkMasker(self, cap)
        async for chunk in chunks:
            out = masker.feed(chunk)
            if out:
                yield out
        tail = masker.flush()
        if tail:
            yield tail

    def read(self, response: httpx.Response, cap: int = MAX_BODY_BYTES) -> bytes:
        """The whole decoded body, masked and capped (the response is left open)."""
        masker = ChunkMasker(self, cap)
        parts = [masker.feed(chunk) for chunk in response.iter_bytes()]
        parts.append(masker.flush())
        return b"".join(parts)

    async def aread(self, response: _AsyncBody, cap: int = MAX_BODY_BYTES) -> bytes:
        """Async twin of :meth:`read`.

        A loop here rather than through :meth:`achunks`: one async generator less per reply.
        """
        masker = ChunkMasker(self, cap)
        feed = masker.feed
        parts = []
        read_chunk = getattr(response, "read_chunk", None)  # AioReply: a read per await
        if read_chunk is not None:
            while chunk := await read_chunk():
                chunk = feed(chunk)  # rebound: the local holds the masked bytes only
                parts.append(chunk)
        else:
            async for chunk in response.aiter_bytes():
                chunk = feed(chunk)
                parts.append(chunk)
        parts.append(masker.flush())
        return b"".join(parts)
