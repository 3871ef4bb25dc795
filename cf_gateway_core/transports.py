"""An optional faster async transport: httpx's API on top of aiohttp's connection pool.

``httpx.AsyncClient`` stays the API surface (requests, responses, timeouts, errors are httpx's);
only the bytes move through aiohttp, whose pool hands out connections in O(1) and whose HTTP parser
is written in C. httpcore 1.0's async pool rescans every connection for every queued request, so at
concurrency 50–200 it spends most of its time in bookkeeping (perf.md, "Where the peers lose
time"). The clients of this package avoid that pool by default (``cf_gateway_core._pool`` hands
out httpcore's connections in O(1)); this transport goes further, past httpcore's pure-Python
HTTP parsing (benchmarks/README.md has both side by side).

Install the extra (``pip install "cf-gateway[fast]"``), then::

    from cf_gateway_core.transports import fast_async_client

    llm = ChatCloudflareAIGateway(model=..., http_async_client=fast_async_client())

The transport keeps one ``aiohttp.ClientSession`` per running event loop, so one client works
across consecutive ``asyncio.run()`` calls. Proxies, client certificates and HTTP/2 are not
supported through it; use the default transport for those.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AiohttpTransport", "fast_async_client", "require_aiohttp"]

# Request headers aiohttp computes itself from the body it is given.
_SKIP_HEADERS = frozenset({"transfer-encoding"})

_INSTALL_HINT = (
    'the aiohttp transport needs aiohttp: pip install "cf-gateway[fast]" (or pip install aiohttp)'
)


def require_aiohttp() -> Any:
    """The ``aiohttp`` module.

    Raises:
        ImportError: aiohttp is not installed (the message says how to install it).
    """
    try:
        import aiohttp
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return aiohttp


def _map_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception a caller of httpx expects for an aiohttp failure."""
    import aiohttp

    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, asyncio.TimeoutError):  # SocketTimeoutError, ServerTimeoutError
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, OSError):
        return httpx.ReadError(message, request=request)
    return httpx.TransportError(message, request=request)


_ERRORS: tuple[type[BaseException], ...] = (asyncio.TimeoutError, OSError)


def _client_errors() -> tuple[type[BaseException], ...]:
    import aiohttp

    return (aiohttp.ClientError, *_ERRORS)


class _ResponseStream(httpx.AsyncByteStream):
    """The response body, yielded as it arrives; closing releases the connection."""

    __slots__ = ("_errors", "_request", "_response")

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        request: httpx.Request,
        errors: tuple[type[BaseException], ...],
    ) -> None:
        self._response = response
        self._request = request
        self._errors = errors

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while True:
                chunk = await content.readany()
                if not chunk:
                    return
                yield chunk
        except self._errors as exc:
            raise _map_error(exc, self._request) from exc

    async def aclose(self) -> None:
        # A fully read body has already gone back to the pool; a partly read one is closed.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` that sends requests through aiohttp.

    Args:
        limit: the most connections open at once (aiohttp's ``TCPConnector(limit=...)``).
        keepalive_expiry: seconds an idle connection is kept.
        verify: ``True`` (httpx's default certificate store), ``False`` (no verification, for
            tests only) or an ``ssl.SSLContext``.

    Timeouts come from httpx (``AsyncClient(timeout=...)`` or per request): ``connect`` bounds
    connecting, ``pool`` the wait for a free connection plus connecting, ``read`` each read.
    """

    def __init__(
        self,
        *,
        limit: int = 100,
        keepalive_expiry: float = 15.0,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        """Configure; sessions are created lazily, one per running event loop."""
        self._aiohttp = require_aiohttp()
        self._errors = _client_errors()
        self._limit = limit
        self._keepalive_expiry = keepalive_expiry
        self._verify = verify
        self._ssl: ssl.SSLContext | bool | None = None
        # A plain dict, not a WeakKeyDictionary: each session's connector references its loop, so
        # a weak key would never die and every finished loop would keep its session and sockets.
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _ssl_context(self) -> ssl.SSLContext | bool:
        if self._ssl is None:
            if isinstance(self._verify, ssl.SSLContext):
                self._ssl = self._verify
            elif self._verify:
                self._ssl = httpx.create_ssl_context()  # certifi, as httpx's own transport
            else:
                self._ssl = False
        return self._ssl

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            self._forget_closed_loops()
            aiohttp = self._aiohttp
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                keepalive_timeout=self._keepalive_expiry,
                ssl=self._ssl_context(),
            )
            session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # httpx decodes Content-Encoding itself
                cookie_jar=aiohttp.DummyCookieJar(),  # cookies are httpx's business
                trust_env=False,
                skip_auto_headers=("User-Agent",),
            )
            self._sessions[loop] = session
        return session

    def _forget_closed_loops(self) -> None:
        # The session of a closed loop (a finished asyncio.run()) can no longer be closed;
        # dropping it lets garbage collection close its sockets (as AsyncGatewayClient does).
        for loop in [loop for loop in self._sessions if loop.is_closed()]:
            del self._sessions[loop]

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        raw: dict[str, float | None] = request.extensions.get("timeout", {})
        key = (raw.get("connect"), raw.get("read"), raw.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read, pool = key
            acquire = None if pool is None or connect is None else pool + connect
            timeout = self._timeouts[key] = self._aiohttp.ClientTimeout(
                total=None, connect=acquire, sock_connect=connect, sock_read=read
            )
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request; the response body streams from the connection."""
        body = await request.aread()
        headers = [(k, v) for k, v in request.headers.multi_items() if k not in _SKIP_HEADERS]
        try:
            response = await self._session().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,  # httpx follows redirects itself when asked
                timeout=self._timeout(request),
            )
        except self._errors as exc:
            raise _map_error(exc, request) from exc
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request, self._errors),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("ascii", "replace"),
            },
        )

    async def aclose(self) -> None:
        """Close the session of the running event loop (others closed with their loops)."""
        loop = asyncio.get_running_loop()
        session = self._sessions.pop(loop, None)
        if session is not None:
            await session.close()


def fast_async_client(*, timeout: float | None = 60.0, limit: int = 100) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on :class:`AiohttpTransport`, for ``http_async_client=``.

    Args:
        timeout: seconds per request (the gateway clients pass their own per request anyway).
        limit: the most connections open at once.
    """
    return httpx.AsyncClient(transport=AiohttpTransport(limit=limit), timeout=timeout)
