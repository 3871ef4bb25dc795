"""The default async transport: httpx requests over httpcore connections, pooled in O(1).

httpcore 1.0's ``AsyncConnectionPool`` re-examines every connection against every queued request
whenever a request starts or ends. At 50–200 requests in flight that bookkeeping costs more than
the requests themselves (perf.md: raw httpx reaches ~190 req/s at concurrency 50 against a local
server, and ~900 req/s when each request takes a connection from a free list instead).

:class:`AsyncPoolTransport` keeps httpx as the API surface and httpcore's own connections (its
HTTP/1.1 state machine, TLS, timeouts, keep-alive expiry) and replaces only the pool: a semaphore
for the connection limit, a last-in-first-out list of idle connections per origin, and a permit
handed back when the response is closed. Errors are httpx's, mapped from httpcore's exactly as
``httpx.AsyncHTTPTransport`` maps them; waiting for a free connection is bounded by the pool
timeout (``httpx.PoolTimeout``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn

import httpcore
import httpx

__all__ = ["AsyncPoolTransport"]

# httpcore exception -> the httpx exception httpx.AsyncHTTPTransport raises for it. The most
# specific entry wins: the exception's MRO is walked in order.
_ERRORS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
}


def _raise_as_httpx(exc: Exception) -> NoReturn:
    """Raise the httpx exception for an httpcore one (chained); re-raise any other."""
    for cls in type(exc).__mro__:
        target = _ERRORS.get(cls)
        if target is not None:
            raise target(str(exc)) from exc
    raise exc


def _key(origin: httpcore.Origin) -> tuple[bytes, bytes, int]:
    return origin.scheme, origin.host, origin.port  # httpcore.Origin is not hashable


class _Body(httpx.AsyncByteStream):
    """A response body: httpx errors while reading; closing it returns the connection once."""

    __slots__ = ("_release", "_stream")

    def __init__(self, stream: Any, release: Callable[[], Awaitable[None]]) -> None:
        self._stream = stream
        self._release: Callable[[], Awaitable[None]] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except Exception as exc:
            _raise_as_httpx(exc)

    async def aclose(self) -> None:
        release, self._release = self._release, None
        try:
            await self._stream.aclose()
        except Exception as exc:
            _raise_as_httpx(exc)
        finally:
            if release is not None:
                await release()


class AsyncPoolTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` over httpcore connections with an O(1) pool.

    Args:
        max_connections: the most connections open (and requests in flight) at once.
        max_keepalive: the most idle connections kept for reuse.
        keepalive_expiry: seconds an idle connection is kept.
        verify, trust_env: as for ``httpx.AsyncHTTPTransport`` (TLS verification, and whether
            ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are read).

    One instance serves one event loop (the client keeps one per loop).
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        max_keepalive: int = 100,
        keepalive_expiry: float | None = 5.0,
        verify: Any = True,
        trust_env: bool = True,
    ) -> None:
        self._ssl_context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        self._max_connections = max_connections
        self._max_keepalive = max_keepalive
        self._keepalive_expiry = keepalive_expiry
        self._permits = asyncio.Semaphore(max_connections)
        # (scheme, host, port) -> idle connections, the most recently used last
        self._idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTPConnection]] = {}
        self._idle_count = 0
        self._connections: set[httpcore.AsyncHTTPConnection] = set()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on an idle or new connection (httpx's transport contract)."""
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        timeout = request.extensions.get("timeout", {}).get("pool")
        await self._acquire_permit(timeout, request)
        try:
            connection, response = await self._send(core_request)
        except BaseException as exc:
            self._permits.release()
            if isinstance(exc, Exception):
                _raise_as_httpx(exc)
            raise
        origin = core_request.url.origin
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream, lambda: self._release(origin, connection)),
            extensions=response.extensions,
        )

    async def _acquire_permit(self, timeout: float | None, request: httpx.Request) -> None:
        if self._closed:
            raise RuntimeError("Cannot send a request, as the transport has been closed.")
        if not self._permits.locked():
            await self._permits.acquire()  # a permit is free: returns at once
            return
        try:
            await asyncio.wait_for(self._permits.acquire(), timeout)
        except asyncio.TimeoutError:
            raise httpx.PoolTimeout(
                "Timed out waiting for a free connection", request=request
            ) from None

    async def _send(
        self, request: httpcore.Request
    ) -> tuple[httpcore.AsyncHTTPConnection, httpcore.Response]:
        """The response, and the connection it holds (until its body is closed)."""
        while True:
            connection = await self._connection_for(request.url.origin)
            try:
                return connection, await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                await self._discard(connection)  # went stale between the check and the send
            except BaseException:
                await self._discard(connection)
                raise

    async def _connection_for(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        idle = self._idle.get(_key(origin))
        while idle:
            connection = idle.pop()
            self._idle_count -= 1
            if connection.is_idle() and not connection.has_expired():
                return connection
            await self._discard(connection)
        if len(self._connections) >= self._max_connections:
            await self._evict_one()  # idle connections to other origins hold the slots
        connection = httpcore.AsyncHTTPConnection(
            origin, ssl_context=self._ssl_context, keepalive_expiry=self._keepalive_expiry
        )
        self._connections.add(connection)
        return connection

    async def _evict_one(self) -> None:
        for connections in self._idle.values():
            if connections:
                self._idle_count -= 1
                await self._discard(connections.pop(0))
                return

    async def _release(
        self, origin: httpcore.Origin, connection: httpcore.AsyncHTTPConnection
    ) -> None:
        """The response was closed: keep its connection for reuse, or let it go."""
        self._permits.release()
        # Not idle: httpcore closed it after an unread or failed body.
        if self._closed or not connection.is_idle() or self._idle_count >= self._max_keepalive:
            await self._discard(connection)
        else:
            self._idle.setdefault(_key(origin), []).append(connection)
            self._idle_count += 1

    async def _discard(self, connection: httpcore.AsyncHTTPConnection) -> None:
        """Forget a connection, closing it unless httpcore already has."""
        self._connections.discard(connection)
        if not connection.is_closed():
            await connection.aclose()

    async def aclose(self) -> None:
        """Close every connection; requests after this raise."""
        self._closed = True
        connections, self._connections = self._connections, set()
        self._idle.clear()
        self._idle_count = 0
        for connection in connections:
            await connection.aclose()
