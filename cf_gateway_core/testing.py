"""``FakeGateway``: an offline stand-in for the gateway, for our tests, the notebooks and yours.

It is an ``httpx.MockTransport`` handler. Queue replies per endpoint (JSON, SSE, error envelopes,
transport exceptions); every request is recorded for assertions. When nothing is queued it answers
with the emulator's deterministic default reply (see ``cf_gateway_core.emulator``). The same
handler backs the local HTTP server started by ``cf-gateway emulator``::

    fake = FakeGateway()
    fake.queue_json({"choices": [...]}, endpoint="chat_completions")
    client = GatewayClient(account_id="acct", api_token="t", http_client=fake.client())
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["ENDPOINT_PATHS", "FakeGateway", "RecordedRequest", "Reply", "endpoint_of"]

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

SSEItem = str | Mapping[str, Any] | tuple[str, Mapping[str, Any]]
"""One SSE frame: a raw data string (``"[DONE]"``), a JSON object, or ``(event name, object)``."""


def endpoint_of(path: str) -> tuple[str | None, str | None]:
    """``(account_id, endpoint)`` for a request path such as
    ``/client/v4/accounts/abc/ai/v1/messages``; ``(None, None)`` when it is not an API path."""
    _, sep, tail = path.partition("/accounts/")
    if not sep:
        return None, None
    account, _, rest = tail.partition("/")
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
        """An SSE reply from frames, delivered one frame per network read (or a raw stream
        given as text/bytes, delivered in one read)."""
        chunks: tuple[bytes, ...] = ()
        if isinstance(events, bytes):
            body = events
        elif isinstance(events, str):
            body = events.encode()
        else:
            chunks = tuple(_frame(item).encode() for item in events)
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
        error: dict[str, Any] = {"message": message}
        if code is not None:
            error["code"] = code
        body = {"result": None, "success": False, "errors": [error], "messages": []}
        return cls.json(body, status=status, headers=headers)


def _frame(item: SSEItem) -> str:
    if isinstance(item, str):
        return f"data: {item}\n\n"
    if isinstance(item, tuple):
        name, data = item
        return f"event: {name}\ndata: {json.dumps(data)}\n\n"
    return f"data: {json.dumps(item)}\n\n"


class _ChunkedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that arrives in several reads, for sync and async clients."""

    def __init__(self, chunks: tuple[bytes, ...]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def _has_bearer(headers: Mapping[str, str]) -> bool:
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


class FakeGateway:
    """Scripted replies per endpoint, recorded requests; plug in as an ``httpx.MockTransport``.

    Args:
        auto_reply: answer with the emulator's deterministic reply when nothing is queued
            (otherwise answer 500 saying no reply was queued).
        require_auth: answer 401 / code 10000 when the bearer token is missing (before any
            queued reply is used).
    """

    def __init__(self, *, auto_reply: bool = True, require_auth: bool = True) -> None:
        """Create an empty fake."""
        self.auto_reply = auto_reply
        self.require_auth = require_auth
        self.requests: list[RecordedRequest] = []
        self._queues: dict[str | None, deque[Reply]] = {}
        self._lock = threading.Lock()
        self._prompt_cache: Any = None
        """The emulator's prompt-cache memory, created with the first emulated reply."""
        from cf_gateway_core.emulator._logs import LogStore

        self.logs = LogStore()
        """The gateway logs of the requests answered (served by the logs API paths)."""

    # -- scripting -----------------------------------------------------------------------------

    def queue(self, reply: Reply, *, endpoint: str | None = None) -> FakeGateway:
        """Queue a reply for ``endpoint`` (``chat_completions``, ``messages``, ``responses``,
        ``run``, ``embeddings``) or, with ``None``, for whichever endpoint asks next."""
        known = {*ENDPOINT_PATHS.values(), *ENDPOINT_PATTERNS.values()}
        if endpoint is not None and endpoint not in known:
            raise ValueError(f"unknown endpoint {endpoint!r}; use one of {sorted(known)}")
        with self._lock:
            self._queues.setdefault(endpoint, deque()).append(reply)
        return self

    def queue_json(
        self,
        body: Any,
        *,
        endpoint: str | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> FakeGateway:
        """Queue a JSON reply."""
        return self.queue(Reply.json(body, status=status, headers=headers), endpoint=endpoint)

    def queue_sse(
        self,
        events: Iterable[SSEItem] | str | bytes,
        *,
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FakeGateway:
        """Queue an SSE reply (frames, or a raw stream as text/bytes)."""
        return self.queue(Reply.sse(events, headers=headers), endpoint=endpoint)

    def queue_error(
        self,
        status: int,
        *,
        code: int | None = None,
        message: str = "Error",
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FakeGateway:
        """Queue a Cloudflare v4 error envelope (e.g. ``429`` with ``code=2003``)."""
        reply = Reply.error(status, code=code, message=message, headers=headers)
        return self.queue(reply, endpoint=endpoint)

    def queue_exception(
        self, exception: BaseException, *, endpoint: str | None = None
    ) -> FakeGateway:
        """Queue a transport failure, e.g. ``httpx.ConnectError("refused")``."""
        return self.queue(Reply(exception=exception), endpoint=endpoint)

    def reset(self) -> None:
        """Forget queued replies and recorded requests."""
        with self._lock:
            self._queues.clear()
            self.requests.clear()
            self._prompt_cache = None
        self.logs.clear()

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (``AssertionError`` if none)."""
        assert self.requests, "FakeGateway has received no request"
        return self.requests[-1]

    # -- serving -------------------------------------------------------------------------------

    def reply_for(self, method: str, url: str, headers: Mapping[str, str], content: bytes) -> Reply:
        """Record a request and decide its reply (the HTTP server calls this too)."""
        path = httpx.URL(url).path
        _, endpoint = endpoint_of(path)
        lowered = {k.lower(): v for k, v in headers.items()}
        recorded = RecordedRequest(
            method=method, url=url, path=path, endpoint=endpoint, headers=lowered, content=content
        )
        with self._lock:
            self.requests.append(recorded)
            if self.require_auth and not _has_bearer(lowered):
                return Reply.error(401, code=10000, message="Authentication error")
            reply = self._pop(endpoint)
            if reply is None and self._prompt_cache is None:
                from cf_gateway_core.emulator._caching import PromptCache

                self._prompt_cache = PromptCache()
            cache = self._prompt_cache
        if reply is None:
            reply = self._default(recorded, cache)
        self.logs.record(recorded, reply)
        return reply

    def _default(self, recorded: RecordedRequest, cache: Any) -> Reply:
        from cf_gateway_core.emulator import replies

        if self.auto_reply and recorded.endpoint == "logs":
            return self.logs.answer(recorded)
        if self.auto_reply and recorded.endpoint == "models":
            from cf_gateway_core.emulator._catalog import answer

            return answer(recorded)
        return replies.default_reply(recorded, auto_reply=self.auto_reply, prompt_cache=cache)

    def _pop(self, endpoint: str | None) -> Reply | None:
        for key in (endpoint, None):
            queue = self._queues.get(key)
            if queue:
                return queue.popleft()
        return None

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The ``httpx.MockTransport`` handler."""
        reply = self.reply_for(request.method, str(request.url), request.headers, request.read())
        if reply.exception is not None:
            raise reply.exception
        if len(reply.chunks) > 1:
            return httpx.Response(
                reply.status, headers=dict(reply.headers), stream=_ChunkedBody(reply.chunks)
            )
        return httpx.Response(reply.status, headers=dict(reply.headers), content=reply.body)

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` serving this fake (sync and async)."""
        return httpx.MockTransport(self.handler)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` whose requests this fake answers."""
        return httpx.Client(transport=self.transport(), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` whose requests this fake answers."""
        return httpx.AsyncClient(transport=self.transport(), **kwargs)
