"""The HTTP client: :class:`GatewayClient` (sync) and :class:`AsyncGatewayClient` (async).

With ``retry.py`` this is the only code that does I/O besides the stream shells in
``_streams``. Everything else — routing, payloads, headers, error classification, stream
decoding, gateway metadata — happens in ``_base.BaseClient`` and ``_decoding``, shared by both
clients, so each I/O method is a short shell.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cf_gateway_core._base import (
    MAX_CONNECTIONS,
    Prepared,
    Shortcut,
    default_limits,
    transport_error,
)
from cf_gateway_core._beyond import AsyncBeyondChat, SyncBeyondChat
from cf_gateway_core._lazy import LazyModule
from cf_gateway_core._streams import AsyncEventStream, EventStream
from cf_gateway_core.config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, GatewayConfig
from cf_gateway_core.errors import (
    GatewayError,
)
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
)
from cf_gateway_core.options import OptionsInput
from cf_gateway_core.routing import Endpoint, embeddings_route

if TYPE_CHECKING:
    import asyncio

    import httpx
else:
    asyncio = LazyModule("asyncio", globals())
    httpx = LazyModule("httpx", globals())

__all__ = ["AsyncEventStream", "AsyncGatewayClient", "EventStream", "GatewayClient"]


class GatewayClient(SyncBeyondChat):
    """Synchronous client.

    Args:
        config: a resolved :class:`GatewayConfig`; when omitted it is resolved from the keyword
            arguments and the environment.
        http_client: a caller-owned ``httpx.Client`` (custom transport, proxies); not closed by
            :meth:`close`.
        options: default :class:`GatewayOptions` (or a dict) for every request.
        **config_kwargs: ``account_id``, ``api_token``, ``gateway_id``, ``base_url``,
            ``timeout``, ``max_retries``, ``allow_insecure_http`` (see ``GatewayConfig.resolve``).
    """

    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        http_client: httpx.Client | None = None,
        options: OptionsInput = None,
        **config_kwargs: Any,
    ) -> None:
        """Create the client (see the class docstring)."""
        config_kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        config_kwargs.setdefault("max_retries", DEFAULT_MAX_RETRIES)
        super().__init__(config, options=options, config_kwargs=config_kwargs)
        self._owns_http = http_client is None
        self._shortcut: Shortcut | None = None
        if http_client is not None:
            self._http = http_client
        elif Shortcut.env_proxies():  # an explicit transport would switch the env proxies off
            self._http = httpx.Client(timeout=self._timeout, limits=default_limits())
        else:
            transport = httpx.HTTPTransport(limits=default_limits())
            self._http = httpx.Client(timeout=self._timeout, transport=transport)
            self._shortcut = Shortcut.of(self._http, transport)

    def chat(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint = "auto",
        options: OptionsInput = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ChatResponse:
        """Send a chat request and return the complete reply.

        Raises:
            GatewayConfigError: bad model/endpoint or options (before any I/O).
            APIStatusError: the gateway answered with an error (after retries).
            APIConnectionError: no reply (after retries).
        """
        prepared = self._prepare_chat(
            request, stream=False, endpoint=endpoint, options=options, extra_headers=extra_headers
        )
        response = self._send(prepared)
        try:
            response.read()
        finally:
            response.close()
        return self._parse_chat(prepared, response)

    def stream(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint = "auto",
        options: OptionsInput = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> EventStream:
        """Send a streaming chat request; iterate the returned :class:`EventStream`."""
        prepared = self._prepare_chat(
            request, stream=True, endpoint=endpoint, options=options, extra_headers=extra_headers
        )
        return EventStream(self, prepared)

    def embed(
        self,
        request: EmbeddingRequest,
        *,
        endpoint: str = "auto",
        options: OptionsInput = None,
    ) -> EmbeddingResponse:
        """Embed texts, in batches of at most 100 per request; vectors keep input order."""
        route = embeddings_route(request.model, endpoint)
        parts = []
        for batch in self._embed_batches(request):
            response = self._send(self._prepare_embed(batch, route, options))
            try:
                response.read()
            finally:
                response.close()
            parts.append(self._parse_embeddings(response))
        return self._merge_embeddings(parts)

    def _send(self, prepared: Prepared) -> httpx.Response:
        """Send with retries; return a 2xx response whose body is not read yet."""
        request = self._build_request(prepared, self._http, self._shortcut)
        attempt = 0
        while True:
            cause: BaseException | None = None
            try:
                response = self._transmit(request)
            except httpx.TransportError as exc:
                error: GatewayError = transport_error(exc)
                cause = exc
            else:
                if response.status_code < 400:
                    return response
                try:
                    content = response.read()
                except httpx.TransportError as exc:
                    content = f"(error body unreadable: {type(exc).__name__})".encode()
                finally:
                    response.close()
                error = self._status_error(response, content)
            time.sleep(self._give_up_or_wait(attempt, error, cause))
            attempt += 1

    def _transmit(self, request: httpx.Request) -> httpx.Response:
        if self._shortcut is None:
            return self._http.send(request, stream=True)
        Shortcut.check_open(self._http)
        return Shortcut.received(request, self._shortcut.transport.handle_request(request))

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> GatewayClient:
        """Use as a context manager; closes on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        self.close()


class AsyncGatewayClient(AsyncBeyondChat):
    """Asynchronous client; safe across event loops.

    Without ``http_client`` it keeps one ``httpx.AsyncClient`` per running event loop, so two
    consecutive ``asyncio.run()`` calls both work. A caller-owned ``http_client`` is used as is.
    The clients it creates send through :class:`~cf_gateway_core._pool.AsyncPoolTransport`,
    httpcore's connections in an O(1) pool (httpcore's own async pool slows down at high
    concurrency); ``fast_transport=True`` sends through
    :class:`~cf_gateway_core.transports.AiohttpTransport` instead (needs the ``fast`` extra),
    whose C parser is faster still. Other arguments as for :class:`GatewayClient`.
    """

    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        options: OptionsInput = None,
        fast_transport: bool = False,
        **config_kwargs: Any,
    ) -> None:
        """Create the client (see the class docstring and :class:`GatewayClient`).

        Raises:
            ImportError: ``fast_transport=True`` without aiohttp installed.
        """
        config_kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        config_kwargs.setdefault("max_retries", DEFAULT_MAX_RETRIES)
        super().__init__(config, options=options, config_kwargs=config_kwargs)
        self._user_http = http_client
        self._fast_transport = fast_transport and http_client is None
        if self._fast_transport:
            from cf_gateway_core.transports import require_aiohttp

            require_aiohttp()  # fail at construction, not at the first request
        # A plain dict, not a WeakKeyDictionary: each client's open connections reference their
        # loop, so a weak key would never die and every finished loop would leak its sockets.
        self._loop_clients: dict[
            asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, Shortcut | None]
        ] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` for the running event loop."""
        return self._loop_http()[0]

    def _loop_http(self) -> tuple[httpx.AsyncClient, Shortcut | None]:
        if self._user_http is not None:
            return self._user_http, None
        loop = asyncio.get_running_loop()
        pair = self._loop_clients.get(loop)
        if pair is None:
            self._forget_closed_loops()
            pair = self._loop_clients[loop] = self._new_http()
        return pair

    def _new_http(self) -> tuple[httpx.AsyncClient, Shortcut | None]:
        transport: httpx.AsyncBaseTransport
        if self._fast_transport:
            from cf_gateway_core.transports import AiohttpTransport

            transport = AiohttpTransport(limit=MAX_CONNECTIONS)
        elif Shortcut.env_proxies():  # an explicit transport would switch the env proxies off
            return httpx.AsyncClient(timeout=self._timeout, limits=default_limits()), None
        else:
            from cf_gateway_core._pool import AsyncPoolTransport

            transport = AsyncPoolTransport(
                max_connections=MAX_CONNECTIONS, max_keepalive=MAX_CONNECTIONS
            )
        http = httpx.AsyncClient(timeout=self._timeout, transport=transport)
        return http, Shortcut.of(http, transport)

    def _forget_closed_loops(self) -> None:
        # The client of a closed loop (a finished asyncio.run()) can no longer be closed; dropping
        # it lets garbage collection close its sockets.
        for loop in [loop for loop in self._loop_clients if loop.is_closed()]:
            del self._loop_clients[loop]

    async def chat(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint = "auto",
        options: OptionsInput = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ChatResponse:
        """Async twin of :meth:`GatewayClient.chat`."""
        prepared = self._prepare_chat(
            request, stream=False, endpoint=endpoint, options=options, extra_headers=extra_headers
        )
        response = await self._send(prepared)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return self._parse_chat(prepared, response)

    def stream(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint = "auto",
        options: OptionsInput = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncEventStream:
        """Async twin of :meth:`GatewayClient.stream` (iterate with ``async for``)."""
        prepared = self._prepare_chat(
            request, stream=True, endpoint=endpoint, options=options, extra_headers=extra_headers
        )
        return AsyncEventStream(self, prepared)

    async def embed(
        self,
        request: EmbeddingRequest,
        *,
        endpoint: str = "auto",
        options: OptionsInput = None,
    ) -> EmbeddingResponse:
        """Async twin of :meth:`GatewayClient.embed`."""
        route = embeddings_route(request.model, endpoint)
        parts = []
        for batch in self._embed_batches(request):
            response = await self._send(self._prepare_embed(batch, route, options))
            try:
                await response.aread()
            finally:
                await response.aclose()
            parts.append(self._parse_embeddings(response))
        return self._merge_embeddings(parts)

    async def _send(self, prepared: Prepared) -> httpx.Response:
        """Async twin of :meth:`GatewayClient._send`."""
        http, shortcut = self._loop_http()
        request = self._build_request(prepared, http, shortcut)
        attempt = 0
        while True:
            cause: BaseException | None = None
            try:
                response = await self._transmit(request, http, shortcut)
            except httpx.TransportError as exc:
                error: GatewayError = transport_error(exc)
                cause = exc
            else:
                if response.status_code < 400:
                    return response
                try:
                    content = await response.aread()
                except httpx.TransportError as exc:
                    content = f"(error body unreadable: {type(exc).__name__})".encode()
                finally:
                    await response.aclose()
                error = self._status_error(response, content)
            await asyncio.sleep(self._give_up_or_wait(attempt, error, cause))
            attempt += 1

    @staticmethod
    async def _transmit(
        request: httpx.Request, http: httpx.AsyncClient, shortcut: Shortcut | None
    ) -> httpx.Response:
        if shortcut is None:
            return await http.send(request, stream=True)
        Shortcut.check_open(http)
        return Shortcut.received(request, await shortcut.transport.handle_async_request(request))

    async def aclose(self) -> None:
        """Close the HTTP clients this object created (those of loops still running)."""
        clients = [http for http, _ in self._loop_clients.values()]
        self._loop_clients.clear()
        for client in clients:
            # A client whose event loop is closed cannot close; its connections died with it.
            with contextlib.suppress(RuntimeError):
                await client.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        """Use as an async context manager; closes on exit."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        await self.aclose()
