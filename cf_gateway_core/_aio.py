"""The async clients' I/O: aiohttp by default, httpx for a caller's client or a proxy.

:class:`AioIO` sends through one ``aiohttp.ClientSession`` (its connection pool, its C HTTP
parser) without an httpx layer in between: at 50–200 requests in flight httpx's client and
response objects cost as much CPU as the request itself (docs/io-stack.md has the measurements).
Its replies, :class:`AioReply`, offer the few ``httpx.Response`` members the clients use and raise
httpx's exceptions, so the rest of the package sees one contract for every I/O path.

:class:`HttpxIO` sends through an ``httpx.AsyncClient``: the caller's own (``http_client=``), or
one the client creates when an environment proxy applies to the gateway's URL (httpx's proxy
support: ``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, proxy authentication, SOCKS).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

import aiohttp
import httpx
import yarl

from cf_gateway_core._tls import shared_ssl_context

if TYPE_CHECKING:
    from cf_gateway_core._base import Prepared

__all__ = ["AioIO", "AioReply", "HttpxIO", "as_httpx_error"]

# aiohttp exception -> the httpx exception a caller of httpx gets for the same failure. The most
# specific entry wins: the exception's MRO is walked in order.
_ERRORS: dict[type[BaseException], type[httpx.TransportError]] = {
    aiohttp.ConnectionTimeoutError: httpx.ConnectTimeout,  # no connection within the timeout
    aiohttp.SocketTimeoutError: httpx.ReadTimeout,  # nothing read within the read timeout
    aiohttp.ServerTimeoutError: httpx.ReadTimeout,
    asyncio.TimeoutError: httpx.ReadTimeout,
    aiohttp.ClientConnectorError: httpx.ConnectError,  # refused, unreachable, DNS, TLS
    aiohttp.ServerDisconnectedError: httpx.RemoteProtocolError,  # hung up before/while replying
    aiohttp.ClientPayloadError: httpx.RemoteProtocolError,  # body cut short, bad chunk, bad gzip
    aiohttp.ClientResponseError: httpx.RemoteProtocolError,  # not a valid HTTP response
    aiohttp.InvalidURL: httpx.UnsupportedProtocol,
    aiohttp.ClientOSError: httpx.ReadError,  # reset by peer
    aiohttp.ClientConnectionError: httpx.NetworkError,
    aiohttp.ClientError: httpx.TransportError,
    OSError: httpx.NetworkError,
}
_CAUGHT = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


def as_httpx_error(exc: BaseException) -> httpx.TransportError:
    """The httpx exception for an aiohttp (or socket) failure, message kept."""
    for cls in type(exc).__mro__:
        target = _ERRORS.get(cls)
        if target is not None:
            return target(f"{type(exc).__name__}: {exc}")
    return httpx.TransportError(f"{type(exc).__name__}: {exc}")


class AioReply:
    """A reply read through aiohttp: status, headers, body.

    These are the members the clients use of an ``httpx.Response``; failures raise httpx's
    exceptions.
    """

    __slots__ = ("_response", "content", "headers", "status_code")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        """Wrap a response whose headers have arrived."""
        self._response = response
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = response.headers
        self.content = b""

    async def aread(self) -> bytes:
        """Read the whole body (it is also kept in ``content``)."""
        try:
            self.content = await self._response.read()
        except _CAUGHT as exc:
            raise as_httpx_error(exc) from exc
        return self.content

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body, piece by piece as it arrives (decompressed)."""
        content = self._response.content
        try:
            while True:
                chunk = await content.readany()
                if not chunk:
                    return
                yield chunk
        except _CAUGHT as exc:
            raise as_httpx_error(exc) from exc

    async def read_chunk(self) -> bytes:
        """The next piece of the body as it arrives (decompressed), ``b""`` at its end.

        What :meth:`aiter_bytes` yields, without an async generator around each read.
        """
        try:
            return await self._response.content.readany()
        except _CAUGHT as exc:
            raise as_httpx_error(exc) from exc

    async def aclose(self) -> None:
        """Hand the connection back (a body not read to its end closes it instead)."""
        self._response.release()


class AioIO:
    """Requests of one event loop through one ``aiohttp.ClientSession``.

    Args:
        timeout: seconds for connecting (waiting for a free connection included) and for each
            read, as ``httpx.Timeout(timeout)`` bounds them.
        limit: the most connections open (and requests in flight) at once; more wait.
        keepalive: seconds an idle connection is kept.
    """

    __slots__ = ("__weakref__", "_session", "_timeout", "_urls")

    def __init__(self, *, timeout: float | None, limit: int, keepalive: float) -> None:
        """Create the session; must run inside the event loop it serves."""
        connector = aiohttp.TCPConnector(
            limit=limit, keepalive_timeout=keepalive, ssl=shared_ssl_context()
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # the gateway sets no cookies worth keeping
            trust_env=False,  # proxies: decided by _proxies.proxy_applies() before this is chosen
        )
        # A client dropped while its loop runs (a model built per request) is closed when it is
        # collected, before aiohttp's own finalizers would report its session as unclosed.
        loop = asyncio.get_running_loop()
        weakref.finalize(self, _release, loop, self._session).atexit = False
        connect = None if timeout is None else 2 * timeout  # the pool wait, then the connect
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect, sock_connect=timeout, sock_read=timeout
        )
        self._urls: dict[str, yarl.URL] = {}  # parsed once: parsing costs more than the rest

    async def send(self, prepared: Prepared) -> AioReply:
        """Send ``prepared``; return once the status and headers have arrived."""
        url = self._urls.get(prepared.url)
        if url is None:
            if len(self._urls) >= 64:
                self._urls.clear()
            url = self._urls[prepared.url] = yarl.URL(prepared.url)
        try:
            response = await self._session.request(
                prepared.method,
                url,
                data=prepared.content or None,
                headers=prepared.headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except _CAUGHT as exc:
            raise as_httpx_error(exc) from exc
        return AioReply(response)

    async def aclose(self) -> None:
        """Close every connection."""
        await self._session.close()

    def abandon(self) -> None:
        """Forget the session of a loop that closed without shutting down its async generators.

        Such a session can no longer be closed: it is marked closed so that it is not reported
        as leaked.
        """
        connector = self._session.connector
        self._session.detach()
        if connector is not None:
            connector._close()  # on a closed loop: only marks it closed; the sockets die with it


def _release(loop: asyncio.AbstractEventLoop, session: aiohttp.ClientSession) -> None:
    """Close the connections of a collected :class:`AioIO` (in its loop's thread).

    The session is detached first: aiohttp then counts it as closed, and does not report it as
    unclosed when it is collected before its connector is closed in the loop's thread.
    """
    connector = session.connector
    session.detach()
    if connector is None or connector.closed:
        return
    try:
        in_loop = asyncio.get_running_loop() is loop
    except RuntimeError:  # no loop runs in this thread
        in_loop = False
    # On a closed loop this only marks it closed: the sockets died with the loop.
    if in_loop or loop.is_closed():
        connector._close()
    else:
        loop.call_soon_threadsafe(connector._close)


class HttpxIO:
    """Requests through an ``httpx.AsyncClient`` (closed by :meth:`aclose` only if ``owned``)."""

    __slots__ = ("_owned", "_timeout", "http")

    def __init__(self, http: httpx.AsyncClient, *, owned: bool, timeout: httpx.Timeout) -> None:
        """Send through ``http``."""
        self.http = http
        self._owned = owned
        self._timeout = timeout

    async def send(self, prepared: Prepared) -> httpx.Response:
        """Send ``prepared`` with ``httpx.AsyncClient.send`` (hooks, auth, mounts all run)."""
        request = self.http.build_request(
            prepared.method,
            prepared.url,
            content=prepared.content,
            headers=prepared.headers,
            timeout=self._timeout,
        )
        return await self.http.send(request, stream=True)

    async def aclose(self) -> None:
        """Close the client if this package created it."""
        if self._owned:
            await self.http.aclose()

    def abandon(self) -> None:
        """Nothing to do: httpx logs nothing for a client dropped with its loop."""
