"""``FakeGateway``: an offline stand-in for the gateway, for our tests, the notebooks and yours.

It is an ``httpx.MockTransport`` handler. Queue replies per endpoint (JSON, SSE, error envelopes,
transport exceptions); every request is recorded for assertions. When nothing is queued it answers
with the emulator's deterministic default reply (see ``cf_gateway_core.emulator``). The same
handler backs the local HTTP server started by ``cf-gateway emulator``::

    fake = FakeGateway()
    fake.queue_json({"choices": [...]}, endpoint="chat_completions")
    fake.queue_turns(Turn(tool_calls=[ToolCall("add", {"a": 1})]), Turn(text="2"))
    client = GatewayClient(account_id="acct", api_token="t", http_client=fake.client())
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from cf_gateway_core.emulator._batch import BatchQueue, is_queue_request
from cf_gateway_core.emulator.exchange import (
    ENDPOINT_PATHS,
    ENDPOINT_PATTERNS,
    ChunkedBody,
    RecordedRequest,
    Reply,
    SSEItem,
    endpoint_of,
    has_bearer,
)
from cf_gateway_core.testing.turns import Turn

__all__ = ["FakeGateway"]


class FakeGateway:
    """Scripted replies per endpoint, recorded requests; plug in as an ``httpx.MockTransport``.

    Args:
        auto_reply: answer with the emulator's deterministic reply when nothing is queued
            (otherwise answer 500 saying no reply was queued).
        require_auth: answer 401 / code 10000 when the bearer token is missing (before any
            queued reply is used).
        accept_any_model: answer any ``author/model`` id; by default a model the catalogue (the
            model table's :func:`~cf_gateway_core.profiles.known_models`, plus what
            :func:`~cf_gateway_core.profiles.register_profile` adds) does not list gets the
            gateway's ``404`` / code 7003, as on the real gateway.
    """

    def __init__(
        self, *, auto_reply: bool = True, require_auth: bool = True, accept_any_model: bool = False
    ) -> None:
        """Create an empty fake."""
        self.auto_reply = auto_reply
        self.require_auth = require_auth
        self.accept_any_model = accept_any_model
        self.requests: list[RecordedRequest] = []
        self._queues: dict[str | None, deque[Reply | Turn]] = {}
        self._lock = threading.Lock()
        self._batch_queue: BatchQueue | None = None
        self._prompt_cache: Any = None
        """The emulator's prompt-cache memory, created with the first emulated reply."""
        from cf_gateway_core.emulator._logs import LogStore

        self.logs = LogStore()
        """The gateway logs of the requests answered (served by the logs API paths)."""

    # -- scripting -----------------------------------------------------------------------------

    def queue(self, reply: Reply | Turn, *, endpoint: str | None = None) -> FakeGateway:
        """Queue a reply for an endpoint, or for whichever endpoint asks next.

        Args:
            reply: the reply; a :class:`~cf_gateway_core.testing.Turn` is rendered when the
                request arrives, in the format its endpoint speaks, as JSON or SSE as it asks.
            endpoint: ``chat_completions``, ``messages``, ``responses``, ``run``, ``embeddings``
                (``None``: any).

        Returns:
            This fake, to chain calls.
        """
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

    def queue_turns(self, *turns: Turn | Reply, endpoint: str | None = None) -> FakeGateway:
        """Queue the replies of an agent loop, one per request, in order.

        Each :class:`~cf_gateway_core.testing.Turn` answers in the wire format of the request
        it meets (Chat Completions, Messages, Responses, native or universal ``/ai/run``), as
        JSON or as a stream as the request asks, so one script serves every endpoint; a
        :class:`Reply` (e.g. :func:`~cf_gateway_core.testing.error_reply`) is sent as is.

        Args:
            *turns: the replies, first to last.
            endpoint: the endpoint they answer (``None``: any).

        Returns:
            This fake, to chain calls.
        """
        for turn in turns:
            self.queue(turn, endpoint=endpoint)
        return self

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
            if self.require_auth and not has_bearer(lowered):
                return Reply.error(401, code=10000, message="Authentication error")
            reply = self._pop(endpoint)
            if reply is None and self._prompt_cache is None:
                from cf_gateway_core.emulator._caching import PromptCache

                self._prompt_cache = PromptCache()
            cache = self._prompt_cache
        scripted = reply is not None
        if isinstance(reply, Turn):
            reply = self._render(reply, recorded)
        if reply is None:
            reply = self._default(recorded, cache)
        return self.logs.record(recorded, reply, scripted=scripted)

    @staticmethod
    def _render(turn: Turn, recorded: RecordedRequest) -> Reply:
        from cf_gateway_core.testing.replies import reply_to

        try:
            return reply_to(turn, recorded)
        except ValueError as exc:
            return Reply.error(400, message=f"FakeGateway: {exc}")

    def _default(self, recorded: RecordedRequest, cache: Any) -> Reply:
        from cf_gateway_core.emulator import replies

        if self.auto_reply and recorded.endpoint == "logs":
            return self.logs.answer(recorded)
        if self.auto_reply and recorded.endpoint == "models":
            from cf_gateway_core.emulator._catalog import answer

            return answer(recorded)
        if self.auto_reply and recorded.endpoint == "run" and is_queue_request(recorded.url):
            return self.batch_queue.reply(recorded, accept_any_model=self.accept_any_model)
        return replies.default_reply(
            recorded,
            auto_reply=self.auto_reply,
            prompt_cache=cache,
            accept_any_model=self.accept_any_model,
        )

    @property
    def batch_queue(self) -> BatchQueue:
        """The Workers AI async batch jobs (``?queueRequest=true``) this fake holds."""
        with self._lock:
            if self._batch_queue is None:
                self._batch_queue = BatchQueue()
            return self._batch_queue

    def _pop(self, endpoint: str | None) -> Reply | Turn | None:
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
                reply.status, headers=dict(reply.headers), stream=ChunkedBody(reply.chunks)
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
