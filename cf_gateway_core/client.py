"""The HTTP client: :class:`GatewayClient` (sync) and :class:`AsyncGatewayClient` (async).

With ``retry.py`` this is the only code that does I/O besides the stream shells in
``_streams``. Everything else — routing, payloads, headers, error classification, stream
decoding, gateway metadata — happens in ``_base.BaseClient`` and ``_decoding``, shared by both
clients, so each I/O method is a short shell.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cf_gateway_core._base import (
    KEEPALIVE_EXPIRY,
    MAX_CONNECTIONS,
    AsyncReply,
    BaseClient,
    Prepared,
    default_limits,
    transport_error,
)
from cf_gateway_core._lazy import LazyModule, lazy_members
from cf_gateway_core._quirks import empty_native_result, without_stream
from cf_gateway_core._redact import keep_content
from cf_gateway_core._replies import (
    is_sse,
    read_error,
    read_errors,
    streams_body,
    unexpected_status,
)
from cf_gateway_core._tls import shared_ssl_context
from cf_gateway_core.checks import check_flag
from cf_gateway_core.config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, GatewayConfig
from cf_gateway_core.errors import (
    GatewayConfigError,
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

    from cf_gateway_core._aio import AioIO, HttpxIO

    # Type checkers and IDEs read the services beyond chat as the mixins' members; at run time
    # each is a stand-in imported by its first use (``SERVICES`` below, ``_lazy.lazy_members``).
    from cf_gateway_core._beyond import AsyncBeyondChat as _AsyncBase, SyncBeyondChat as _SyncBase
    from cf_gateway_core._loops import PerLoop
    from cf_gateway_core._streams import AsyncEventStream, EventStream
else:
    asyncio = LazyModule("asyncio", globals())
    httpx = LazyModule("httpx", globals())
    _SyncBase = _AsyncBase = BaseClient

    def __getattr__(name: str) -> Any:
        """The stream classes, imported with the first stream (a plain call never loads them)."""
        if name in ("EventStream", "AsyncEventStream"):
            from cf_gateway_core import _streams

            return getattr(_streams, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AsyncEventStream", "AsyncGatewayClient", "EventStream", "GatewayClient"]

FAST_TRANSPORT_DEPRECATED = (
    "fast_transport is deprecated and has no effect: async requests go through aiohttp by "
    "default. Remove fast_transport=True."
)
"""The warning for ``fast_transport=True`` (the client's and the adapters' sessions')."""

SERVICES = (
    "generate_image",
    "speak",
    "transcribe",
    "rerank",
    "logs",
    "logs_for",
    "models",
    "_run",
    "_fetch",
)
"""The members of ``_beyond.SyncBeyondChat`` / ``AsyncBeyondChat`` (and of their ``_rest`` shells)
the clients hold: loaded by their first use, so a chat call never imports ``_beyond``/``_rest``."""


def _check_http_client(http_client: object, kind: str) -> None:
    """``None`` or an ``httpx.<kind>`` (checked at construction, not at the first request)."""
    if http_client is not None and not isinstance(http_client, getattr(httpx, kind)):
        raise GatewayConfigError(
            f"http_client must be an httpx.{kind} (or None for a client of our own), got "
            f"{type(http_client).__name__}."
        )


class GatewayClient(_SyncBase):
    """Synchronous client.

    Args:
        config: a resolved :class:`GatewayConfig`; when omitted it is resolved from the keyword
            arguments and the environment.
        http_client: a caller-owned ``httpx.Client`` (custom transport, proxies); not closed by
            :meth:`close`. A client given one cannot be pickled (``TypeError``); copies share
            it. Without it the client pickles and copies as its settings, and the copy builds
            its own HTTP client on first use.
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
        _check_http_client(http_client, "Client")
        super().__init__(config, options=options, config_kwargs=config_kwargs)
        self._owns_http = http_client is None
        if http_client is None:
            # httpx's own client: it honours HTTP(S)_PROXY / ALL_PROXY / NO_PROXY as httpx does,
            # with the process's one TLS context; _own_http says what it skips per request.
            from cf_gateway_core._own_http import own_client

            http_client = own_client(self._timeout)
        self._http = http_client
        # What build_request would convert on every call, converted once: the default headers as
        # an httpx.Headers (its update() then copies the list instead of normalising each pair;
        # its repr masks Authorization) and the timeout as the extension httpx derives from it.
        # Our own client's requests are built as build_request builds them (see _request), so
        # its default headers (Accept, Accept-Encoding, Connection) come first, ours over them.
        self._wire_headers = self._with_client_headers(self._headers)
        self._extensions = {"timeout": self._timeout.as_dict()}

    def _with_client_headers(self, headers: Mapping[str, str]) -> httpx.Headers:
        """``headers`` as sent: over our own client's default headers.

        A caller's client merges its own in ``build_request``.
        """
        if not self._owns_http:
            return httpx.Headers(headers)
        merged = httpx.Headers(self._http.headers)
        merged.update(headers)
        return merged

    def _request(self, prepared: Prepared) -> httpx.Request:
        """The ``httpx.Request`` of ``prepared``.

        For our own client with no cookie stored, what ``build_request`` returns for a client
        without ``base_url``, ``params``, ``cookies`` or ``auth``: the parsed URL, the merged
        headers and the timeout extension, built without merging them again on every call. A
        caller's client (its base URL, headers, params and cookies) goes through
        ``build_request``, as does ours once a reply has set a cookie.
        """
        headers = prepared.headers
        http = self._http
        if self._owns_http and not http.cookies:
            return httpx.Request(
                prepared.method,
                self._url(prepared.url),
                content=prepared.content,
                headers=(
                    self._wire_headers
                    if headers is self._headers
                    else self._with_client_headers(headers)
                ),
                extensions=self._extensions,
            )
        return http.build_request(
            prepared.method,
            self._url(prepared.url),
            content=prepared.content,
            headers=self._wire_headers if headers is self._headers else headers,
            extensions=self._extensions,
        )

    def _caller_http(self) -> httpx.Client | None:
        return None if self._owns_http else self._http

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
        return self._parse_chat(prepared, self._send(prepared))

    def stream(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint = "auto",
        options: OptionsInput = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> EventStream:
        """Send a streaming chat request (with retries) and return the open stream.

        Iterate the :class:`EventStream` for events; use it in a ``with`` block (like
        ``httpx.Client.stream``) or close it, so the response is closed.
        """
        from cf_gateway_core._streams import EventStream

        prepared = self._prepare_chat(
            request, stream=True, endpoint=endpoint, options=options, extra_headers=extra_headers
        )
        return EventStream(self._open_stream(prepared), prepared.route, self._redactor)

    def _open_stream(self, prepared: Prepared) -> httpx.Response:
        response = self._send(prepared)
        if not is_sse(response) and empty_native_result(prepared, response.content):
            # GPT-OSS answers a native stream with an empty JSON result (_quirks).
            response = self._send(without_stream(prepared))
        return response

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
            parts.append(self._parse_embeddings(response, len(batch.texts)))
        return self._merge_embeddings(parts)

    def _send(self, prepared: Prepared) -> httpx.Response:
        """Send with retries; return a 2xx response whose body is not read yet."""
        request = self._request(prepared)
        attempt = 0
        error: GatewayError | None
        cause: Exception | None
        while True:
            try:
                # Screened first: a token echoed in a header is masked before anything reads it.
                response = self._redactor.response(self._http.send(request, stream=True))
            except httpx.TransportError as exc:
                error, cause = transport_error(exc), exc
            else:
                if streams_body(prepared, response):
                    return response
                error, cause = self._receive(response, prepared.route.model.id)
                if error is None:
                    return response
            assert error is not None
            time.sleep(self._give_up_or_wait(attempt, error, cause))
            attempt += 1

    def _receive(
        self, response: httpx.Response, model: str | None = None
    ) -> tuple[GatewayError | None, Exception | None]:
        """Read the body; the error it makes (``None`` for a usable 2xx) and its cause.

        ``model`` (the request's) lets a 404 name the nearest id the model table knows.
        """
        try:
            # Decoded, capped and masked; kept as the response's content for the parsers.
            content = keep_content(response, self._redactor.read(response))
        except read_errors() as exc:
            if response.status_code < 400:
                return read_error(exc), exc
            content = f"(error body unreadable: {type(exc).__name__})".encode()
        finally:
            response.close()
        if response.status_code >= 400:
            return self._status_error(response, content, model), None
        return unexpected_status(response), None

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


class AsyncGatewayClient(_AsyncBase):
    """Asynchronous client; safe across event loops and threads.

    Without ``http_client`` it sends through aiohttp: one ``aiohttp.ClientSession`` per running
    event loop (so consecutive ``asyncio.run()`` calls, and threads each running a loop, all
    work), closed when that loop shuts down. When an environment proxy (``HTTPS_PROXY``,
    ``ALL_PROXY``, ... minus ``NO_PROXY``, by httpx's rules) applies to the gateway's URL it
    sends through an ``httpx.AsyncClient`` instead, which routes through the proxy. A
    caller-owned ``http_client`` (an ``httpx.AsyncClient``) is used as is and never closed here.
    Other arguments as for :class:`GatewayClient`; ``fast_transport`` is deprecated (aiohttp is
    the default) and has no effect.
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
        """Create the client (see the class docstring and :class:`GatewayClient`)."""
        config_kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        config_kwargs.setdefault("max_retries", DEFAULT_MAX_RETRIES)
        _check_http_client(http_client, "AsyncClient")
        check_flag(fast_transport, "fast_transport")
        super().__init__(config, options=options, config_kwargs=config_kwargs)
        if fast_transport:
            warnings.warn(FAST_TRANSPORT_DEPRECATED, DeprecationWarning, stacklevel=2)
        self._user_io: HttpxIO | None = None
        if http_client is not None:
            from cf_gateway_core._aio import HttpxIO

            self._user_io = HttpxIO(http_client, owned=False, timeout=self._timeout)
        from cf_gateway_core._loops import PerLoop  # async only: a sync call never loads it

        self._loop_io: PerLoop[AioIO | HttpxIO] = PerLoop(self._new_io)

    def _caller_http(self) -> httpx.AsyncClient | None:
        return None if self._user_io is None else self._user_io.http

    def _new_io(self) -> AioIO | HttpxIO:
        """The I/O of a new event loop: aiohttp, or httpx when a proxy applies to the gateway."""
        from cf_gateway_core._aio import AioIO, HttpxIO
        from cf_gateway_core._proxies import proxy_applies

        if proxy_applies(self.config.account_url):
            http = httpx.AsyncClient(
                timeout=self._timeout, limits=default_limits(), verify=shared_ssl_context()
            )
            return HttpxIO(http, owned=True, timeout=self._timeout)
        return AioIO(timeout=self.config.timeout, limit=MAX_CONNECTIONS, keepalive=KEEPALIVE_EXPIRY)

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
        return self._parse_chat(prepared, await self._send(prepared))

    def stream(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint = "auto",
        options: OptionsInput = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncEventStream:
        """Async twin of :meth:`GatewayClient.stream`.

        ``await`` it, or use it in an ``async with`` block, to send the request and get the open
        :class:`AsyncEventStream` (``async for`` on it also sends first).
        """
        from cf_gateway_core._streams import AsyncEventStream

        prepared = self._prepare_chat(
            request, stream=True, endpoint=endpoint, options=options, extra_headers=extra_headers
        )
        return AsyncEventStream(
            functools.partial(self._open_stream, prepared), prepared.route, self._redactor
        )

    async def _open_stream(self, prepared: Prepared) -> AsyncReply:
        response = await self._send(prepared)
        if not is_sse(response) and empty_native_result(prepared, response.content):
            response = await self._send(without_stream(prepared))
        return response

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
            parts.append(self._parse_embeddings(response, len(batch.texts)))
        return self._merge_embeddings(parts)

    async def _send(self, prepared: Prepared) -> AsyncReply:
        """Async twin of :meth:`GatewayClient._send`."""
        io = self._user_io or await self._loop_io.get()
        attempt = 0
        error: GatewayError | None
        cause: Exception | None
        while True:
            try:
                response = self._redactor.response(await io.send(prepared))
            except httpx.TransportError as exc:
                error, cause = transport_error(exc), exc
            else:
                if streams_body(prepared, response):
                    return response
                error, cause = await self._receive(response, prepared.route.model.id)
                if error is None:
                    return response
            assert error is not None
            await asyncio.sleep(self._give_up_or_wait(attempt, error, cause))
            attempt += 1

    async def _receive(
        self, response: AsyncReply, model: str | None = None
    ) -> tuple[GatewayError | None, Exception | None]:
        """Async twin of :meth:`GatewayClient._receive`."""
        try:
            content = keep_content(response, await self._redactor.aread(response))
        except read_errors() as exc:
            if response.status_code < 400:
                return read_error(exc), exc
            content = f"(error body unreadable: {type(exc).__name__})".encode()
        finally:
            await response.aclose()
        if response.status_code >= 400:
            return self._status_error(response, content, model), None
        return unexpected_status(response), None

    async def aclose(self) -> None:
        """Close the connections of the running event loop.

        Those of other loops close when their loops shut down; a caller-owned ``http_client``
        stays open.
        """
        await self._loop_io.aclose()

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


lazy_members(GatewayClient, "cf_gateway_core._beyond.SyncBeyondChat", SERVICES)
lazy_members(AsyncGatewayClient, "cf_gateway_core._beyond.AsyncBeyondChat", SERVICES)
