"""The request and reply values of the offline gateway: what a test double receives and answers.

:class:`Reply` (a scripted status, headers and body, or an exception), :class:`RecordedRequest`
(what was received), and :func:`endpoint_of` (which REST API a path names). The emulator's reply
builders and :class:`cf_gateway_core.testing.FakeGateway` share them; ``cf_gateway_core.testing``
re-exports them.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cf_gateway_core.testing.errors import error_envelope
from cf_gateway_core.testing.sse import SSEItem, encode_event

__all__ = [
    "ENDPOINT_PATHS",
    "ENDPOINT_PATTERNS",
    "RecordedRequest",
    "Reply",
    "SSEItem",
    "ChunkedBody",
    "endpoint_of",
    "has_bearer",
]

# path under /accounts/{id}/ -> endpoint name (prefix match for ai/run/…).
ENDPOINT_PATHS: dict[str, str] = {
    "ai/v1/chat/completions": "chat_completions",
    "ai/v1/messages": "messages",
    "ai/v1/responses": "responses",
    "ai/v1/embeddings": "embeddings",
    "ai/run": "run",
    "ai/models/search": "models",
    "ai/models/schema": "models",
}
# Paths with ids inside them (full match on the path under /accounts/{id}/).
ENDPOINT_PATTERNS: dict[str, str] = {
    r"ai-gateway/gateways/[^/]+/logs(?:/[^/]+(?:/request|/response)?)?": "logs",
}

API_ACCOUNTS = "/client/v4/accounts/"
"""Every API path starts so; the gateway answers any other path with its not-found reply."""


def endpoint_of(path: str) -> tuple[str | None, str | None]:
    """``(account_id, endpoint)`` of a request path, or ``(None, None)`` for another path.

    An API path looks like ``/client/v4/accounts/abc/ai/v1/messages``; anything outside
    ``/client/v4/accounts/{id}/`` is not one, as on ``api.cloudflare.com``.
    """
    if not path.startswith(API_ACCOUNTS):
        return None, None
    tail = path[len(API_ACCOUNTS) :]
    account, _, rest = tail.partition("/")
    if not account:  # /client/v4/accounts//ai/...: no account id, no route
        return None, None
    rest = rest.rstrip("/")
    for prefix, name in ENDPOINT_PATHS.items():
        if rest == prefix or rest.startswith(prefix + "/"):
            if name != "run" and rest != prefix:
                continue
            return account, name
    for pattern, name in ENDPOINT_PATTERNS.items():
        if re.fullmatch(pattern, rest):
            return account, name
    return account, None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """A scripted reply: status, headers and body bytes, or an exception to raise instead."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    exception: BaseException | None = None
    chunks: tuple[bytes, ...] = ()
    """The body split into network reads (SSE replies built from frames: one read per frame,
    as a server flushing each event delivers them); empty means one read."""

    @classmethod
    def json(
        cls, body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """A JSON reply."""
        return cls(
            status=status,
            headers={"content-type": "application/json", **(headers or {})},
            body=json.dumps(body).encode(),
        )

    @classmethod
    def sse(
        cls, events: Iterable[SSEItem] | str | bytes, *, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """An SSE reply from frames, delivered one frame per network read.

        A raw stream given as text/bytes is delivered in one read.
        """
        chunks: tuple[bytes, ...] = ()
        if isinstance(events, bytes):
            body = events
        elif isinstance(events, str):
            body = events.encode()
        else:
            chunks = tuple(encode_event(item) for item in events)
            body = b"".join(chunks)
        return cls(
            status=200,
            headers={"content-type": "text/event-stream", **(headers or {})},
            body=body,
            chunks=chunks,
        )

    @classmethod
    def error(
        cls,
        status: int,
        *,
        code: int | None = None,
        message: str = "Error",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """A Cloudflare v4 error envelope."""
        body = error_envelope(code, message)
        return cls.json(body, status=status, headers=headers)


class ChunkedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that arrives in several reads, for sync and async clients."""

    def __init__(self, chunks: tuple[bytes, ...]) -> None:
        """Hold the reads, in order."""
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def has_bearer(headers: Mapping[str, str]) -> bool:
    """Whether ``headers`` carry an ``Authorization: Bearer`` with a non-empty token."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """A request the fake received."""

    method: str
    url: str
    path: str
    endpoint: str | None
    headers: dict[str, str]
    content: bytes

    @property
    def json(self) -> Any:
        """The parsed JSON body (``None`` when empty or not JSON)."""
        try:
            return json.loads(self.content) if self.content else None
        except ValueError:
            return None
