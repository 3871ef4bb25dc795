"""The HTTP client: :class:`GatewayClient` (sync) and :class:`AsyncGatewayClient` (async).

With ``retry.py`` this is the only module that does I/O. Everything else — routing, payloads,
headers, error classification, stream decoding, gateway metadata — happens in :class:`_BaseClient`
and :class:`_StreamDecoding`, shared by both clients, so each I/O method is a short shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import httpx

from cf_gateway_core._version import __version__
from cf_gateway_core.config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, GatewayConfig
from cf_gateway_core.errors import (
    APIConnectionError,
    APITimeoutError,
    GatewayError,
    StreamError,
    error_from_response,
)
from cf_gateway_core.events import StreamAccumulator, StreamEvent, events_from_response
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    GatewayMetadata,
    Usage,
)
from cf_gateway_core.options import GatewayOptions, OptionsInput
from cf_gateway_core.retry import RetryPolicy
from cf_gateway_core.routing import Endpoint, Route, embeddings_route, resolve_route
from cf_gateway_core.sse import SSEDecoder
from cf_gateway_core.wire import ChunkDecoder, get_format

__all__ = ["AsyncEventStream", "AsyncGatewayClient", "EventStream", "GatewayClient"]

logger = logging.getLogger("cf_gateway")

# response header -> GatewayMetadata field — cloudflare-api.md §3.2.
_METADATA_HEADERS: dict[str, str] = {
    "cf-aig-log-id": "log_id",
    "cf-aig-cache-status": "cache_status",
    "cf-aig-event-id": "event_id",
    "cf-aig-request-id": "request_id",
    "cf-aig-step": "step",
    "cf-aig-model": "model",
    "cf-aig-provider": "provider",
}

_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


def gateway_metadata(headers: Mapping[str, str], body: Any = None) -> GatewayMetadata:
    """Gateway metadata from response headers and a body's ``gatewayMetadata``."""
    values = {field: headers[h] for h, field in _METADATA_HEADERS.items() if h in headers}
    meta = body.get("gatewayMetadata") if isinstance(body, Mapping) else None
    if isinstance(meta, Mapping) and isinstance(meta.get("keySource"), str):
        values["key_source"] = meta["keySource"]
    return GatewayMetadata(**values)


def _embedding_model_name(body: Any) -> str | None:
    return body.get("model") if isinstance(body, Mapping) else None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A request ready to send: built once, re-sent unchanged on retries."""

    route: Route
    url: str
    headers: dict[str, str]
    content: bytes
    stream: bool


def _add_optional(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def _sum_usage(a: Usage | None, b: Usage | None) -> Usage | None:
    if a is None or b is None:
        return a or b
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        total_tokens=a.total_tokens + b.total_tokens,
        cache_read_tokens=_add_optional(a.cache_read_tokens, b.cache_read_tokens),
        cache_creation_tokens=_add_optional(a.cache_creation_tokens, b.cache_creation_tokens),
        reasoning_tokens=_add_optional(a.reasoning_tokens, b.reasoning_tokens),
    )


class _StreamDecoding:
    """Pure stream state: bytes or a JSON body in, neutral events out (sync and async share it)."""

    __slots__ = ("accumulator", "decoder", "route", "sse")

    def __init__(self, route: Route, gateway: GatewayMetadata) -> None:
        self.route = route
        self.sse = SSEDecoder()
        self.decoder: ChunkDecoder = get_format(route.endpoint).new_decoder()
        self.accumulator = StreamAccumulator(gateway=gateway)

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        try:
            for sse_event in self.sse.feed(chunk):
                out.extend(self.decoder.feed(sse_event))
        except StreamError as exc:
            raise self._with_partial_text(exc, out) from exc
        return self._fold(out)

    def finish(self) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        try:
            for sse_event in self.sse.flush():
                out.extend(self.decoder.feed(sse_event))
            out.extend(self.decoder.close())
        except StreamError as exc:
            raise self._with_partial_text(exc, out) from exc
        return self._fold(out)

    def _with_partial_text(self, exc: StreamError, pending: list[StreamEvent]) -> StreamError:
        """The decoder's error, carrying all text received before it (events not yet yielded
        from the same network chunk included)."""
        self._fold(pending)
        return StreamError(exc.message, partial_text=self.accumulator.text, body=exc.body)

    def from_json(self, content: bytes) -> list[StreamEvent]:
        # Cloudflare may answer stream=true with one JSON body — cloudflare-api.md §0.7 [C].
        body = _load_json(content)
        return self._fold(
            events_from_response(get_format(self.route.endpoint).parse_response(body))
        )

    def _fold(self, events: list[StreamEvent]) -> list[StreamEvent]:
        add = self.accumulator.add
        for event in events:
            add(event)
        return events

    def broken(self, exc: BaseException) -> StreamError:
        return StreamError(
            f"The stream broke after it started: {exc}", partial_text=self.accumulator.text
        )


def _load_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError as exc:
        raise GatewayError(
            f"The gateway returned a body that is not JSON: {content[:200]!r}"
        ) from exc


def _is_sse(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("text/event-stream")


def _transport_error(exc: httpx.TransportError) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(exc).__name__}).")
    return APIConnectionError(f"Connection error ({type(exc).__name__}: {exc}).")


class _BaseClient:
    """Everything but I/O: routes, payloads, headers, parsing."""

    def __init__(
        self,
        config: GatewayConfig | None,
        *,
        options: OptionsInput,
        config_kwargs: dict[str, Any],
    ) -> None:
        self.config = config or GatewayConfig.resolve(**config_kwargs)
        self.options = GatewayOptions.coerce(options)
        self.retry_policy = RetryPolicy(max_retries=self.config.max_retries)
        token = self.config.api_token.get_secret_value()
        headers = {
            "authorization": f"Bearer {token}",
            "content-type": "application/json",
            "user-agent": f"cf-gateway/{__version__}",
        }
        if self.config.gateway_id:
            headers["cf-aig-gateway-id"] = self.config.gateway_id
        if self.options is not None:
            headers.update(self.options.headers())
        self._headers = headers
        self._timeout = httpx.Timeout(self.config.timeout)
        self._routes: dict[tuple[str, str], Route] = {}

    def __repr__(self) -> str:
        """Account and base URL; never the token."""
        return (
            f"{type(self).__name__}(account_id={self.config.account_id!r}, "
            f"base_url={self.config.base_url!r}, gateway_id={self.config.gateway_id!r})"
        )

    def route(self, model: str, endpoint: str | Endpoint = "auto") -> Route:
        """Resolve (and cache) the route for a model and endpoint."""
        key = (model, endpoint.value if isinstance(endpoint, Endpoint) else endpoint)
        route = self._routes.get(key)
        if route is None:
            route = self._routes[key] = resolve_route(model, endpoint)
        return route

    def _request_headers(
        self, options: OptionsInput, extra_headers: Mapping[str, str] | None
    ) -> dict[str, str]:
        if options is None and not extra_headers:
            return self._headers
        headers = dict(self._headers)
        per_call = GatewayOptions.coerce(options)
        if per_call is not None:
            merged = self.options.merged(per_call) if self.options else per_call
            headers.update(merged.headers())
        if extra_headers:
            headers.update({k.lower(): v for k, v in extra_headers.items()})
        return headers

    def _prepare_chat(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint,
        options: OptionsInput,
        extra_headers: Mapping[str, str] | None,
    ) -> _Prepared:
        route = self.route(request.model, endpoint)
        payload = get_format(route.endpoint).build_payload(request, route)
        return self._prepared(route, payload, options, extra_headers, request.stream)

    def _prepare_embed(
        self, request: EmbeddingRequest, route: Route, options: OptionsInput
    ) -> _Prepared:
        from cf_gateway_core.wire import embeddings

        payload = embeddings.build_payload(request, route)
        return self._prepared(route, payload, options, None, False)

    def _prepared(
        self,
        route: Route,
        payload: Mapping[str, Any],
        options: OptionsInput,
        extra_headers: Mapping[str, str] | None,
        stream: bool,
    ) -> _Prepared:
        content = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        url = self.config.account_url + route.path
        headers = self._request_headers(options, extra_headers)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("POST %s (%d bytes, stream=%s)", url, len(content), stream)
        return _Prepared(route, url, headers, content, stream)

    def _parse_chat(self, prepared: _Prepared, response: httpx.Response) -> ChatResponse:
        body = _load_json(response.content)
        parsed = get_format(prepared.route.endpoint).parse_response(body)
        gateway = gateway_metadata(response.headers, body)
        if gateway.key_source is None:
            # /ai/run nests gatewayMetadata under "result"; the wire module found it there.
            nested = gateway_metadata({}, parsed.provider_details)
            key_source = nested.key_source or (parsed.gateway and parsed.gateway.key_source)
            if key_source:
                gateway = replace(gateway, key_source=key_source)
        return replace(parsed, gateway=gateway)

    def _parse_embeddings(self, response: httpx.Response) -> EmbeddingResponse:
        from cf_gateway_core.wire import embeddings

        body = _load_json(response.content)
        parsed: EmbeddingResponse = embeddings.parse_response(body)
        return replace(parsed, gateway=gateway_metadata(response.headers, body))

    def _embed_batches(self, request: EmbeddingRequest) -> list[EmbeddingRequest]:
        from cf_gateway_core.wire.embeddings import MAX_BATCH

        texts = list(request.texts)
        if not texts:
            return []
        return [
            replace(request, texts=texts[i : i + MAX_BATCH])
            for i in range(0, len(texts), MAX_BATCH)
        ]

    @staticmethod
    def _merge_embeddings(parts: list[EmbeddingResponse]) -> EmbeddingResponse:
        vectors: list[list[float]] = []
        usage: Usage | None = None
        for part in parts:
            vectors.extend(part.vectors)
            usage = _sum_usage(usage, part.usage)
        last = parts[-1] if parts else None
        return EmbeddingResponse(
            vectors=vectors,
            model=last.model if last else None,
            usage=usage,
            gateway=last.gateway if last else None,
        )

    def _give_up_or_wait(
        self, attempt: int, error: GatewayError, cause: BaseException | None
    ) -> float:
        delay = self.retry_policy.next_delay(attempt, error)
        if delay is None:
            raise error from cause
        logger.debug("retrying in %.2fs after %s", delay, type(error).__name__)
        return delay


class EventStream:
    """A streamed reply: iterate for events; ``gateway`` and ``accumulator`` fill in as it goes.

    Closing it (or leaving its ``with`` block, or breaking out of the loop and dropping it)
    closes the HTTP response.
    """

    def __init__(self, client: GatewayClient, prepared: _Prepared) -> None:
        """Prepare; the request is sent when iteration starts."""
        self.gateway: GatewayMetadata | None = None
        self.accumulator: StreamAccumulator | None = None
        self._client = client
        self._prepared = prepared
        self._events = self._run()

    def __iter__(self) -> Iterator[StreamEvent]:
        """The events, in order."""
        return self._events

    def __next__(self) -> StreamEvent:
        """The next event."""
        return next(self._events)

    def close(self) -> None:
        """Stop reading and close the HTTP response."""
        self._events.close()

    def __enter__(self) -> EventStream:
        """Use in a ``with`` block to guarantee the response is closed."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the response."""
        self.close()

    def result(self) -> ChatResponse:
        """The reply folded so far (complete once the stream is exhausted)."""
        if self.accumulator is None:
            return ChatResponse()
        return self.accumulator.result()

    def _run(self) -> Generator[StreamEvent, None, None]:
        response = self._client._send(self._prepared)
        try:
            self.gateway = gateway_metadata(response.headers)
            state = _StreamDecoding(self._prepared.route, self.gateway)
            self.accumulator = state.accumulator
            if not _is_sse(response):
                yield from state.from_json(response.read())
                return
            try:
                for chunk in response.iter_bytes():
                    yield from state.feed(chunk)
            except httpx.TransportError as exc:
                raise state.broken(exc) from exc
            yield from state.finish()
        finally:
            response.close()


class AsyncEventStream:
    """The async twin of :class:`EventStream` (``async for``, ``aclose``, ``async with``)."""

    def __init__(self, client: AsyncGatewayClient, prepared: _Prepared) -> None:
        """Prepare; the request is sent when iteration starts."""
        self.gateway: GatewayMetadata | None = None
        self.accumulator: StreamAccumulator | None = None
        self._client = client
        self._prepared = prepared
        self._events = self._run()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        """The events, in order."""
        return self._events

    async def __anext__(self) -> StreamEvent:
        """The next event."""
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop reading and close the HTTP response."""
        await self._events.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        """Use in an ``async with`` block to guarantee the response is closed."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the response."""
        await self.aclose()

    def result(self) -> ChatResponse:
        """The reply folded so far (complete once the stream is exhausted)."""
        if self.accumulator is None:
            return ChatResponse()
        return self.accumulator.result()

    async def _run(self) -> AsyncGenerator[StreamEvent, None]:
        response = await self._client._send(self._prepared)
        try:
            self.gateway = gateway_metadata(response.headers)
            state = _StreamDecoding(self._prepared.route, self.gateway)
            self.accumulator = state.accumulator
            if not _is_sse(response):
                for event in state.from_json(await response.aread()):
                    yield event
                return
            try:
                async for chunk in response.aiter_bytes():
                    for event in state.feed(chunk):
                        yield event
            except httpx.TransportError as exc:
                raise state.broken(exc) from exc
            for event in state.finish():
                yield event
        finally:
            await response.aclose()


class GatewayClient(_BaseClient):
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
        self._http = http_client or httpx.Client(timeout=self._timeout, limits=_DEFAULT_LIMITS)

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
        if request.stream:
            request = replace(request, stream=False)
        prepared = self._prepare_chat(
            request, endpoint=endpoint, options=options, extra_headers=extra_headers
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
        if not request.stream:
            request = replace(request, stream=True)
        prepared = self._prepare_chat(
            request, endpoint=endpoint, options=options, extra_headers=extra_headers
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

    def _send(self, prepared: _Prepared) -> httpx.Response:
        """Send with retries; return a 2xx response whose body is not read yet."""
        request = self._http.build_request(
            "POST",
            prepared.url,
            content=prepared.content,
            headers=prepared.headers,
            timeout=self._timeout,
        )
        attempt = 0
        while True:
            cause: BaseException | None = None
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                error: GatewayError = _transport_error(exc)
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
                error = error_from_response(response.status_code, response.headers, content)
            time.sleep(self._give_up_or_wait(attempt, error, cause))
            attempt += 1

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


class AsyncGatewayClient(_BaseClient):
    """Asynchronous client; safe across event loops.

    Without ``http_client`` it keeps one ``httpx.AsyncClient`` per running event loop, so two
    consecutive ``asyncio.run()`` calls both work. A caller-owned ``http_client`` is used as is.
    Arguments as for :class:`GatewayClient`.
    """

    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        options: OptionsInput = None,
        **config_kwargs: Any,
    ) -> None:
        """Create the client (see :class:`GatewayClient`)."""
        config_kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        config_kwargs.setdefault("max_retries", DEFAULT_MAX_RETRIES)
        super().__init__(config, options=options, config_kwargs=config_kwargs)
        self._user_http = http_client
        self._loop_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, httpx.AsyncClient
        ] = weakref.WeakKeyDictionary()

    @property
    def http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` for the running event loop."""
        if self._user_http is not None:
            return self._user_http
        loop = asyncio.get_running_loop()
        client = self._loop_clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(timeout=self._timeout, limits=_DEFAULT_LIMITS)
            self._loop_clients[loop] = client
        return client

    async def chat(
        self,
        request: ChatRequest,
        *,
        endpoint: str | Endpoint = "auto",
        options: OptionsInput = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ChatResponse:
        """Async twin of :meth:`GatewayClient.chat`."""
        if request.stream:
            request = replace(request, stream=False)
        prepared = self._prepare_chat(
            request, endpoint=endpoint, options=options, extra_headers=extra_headers
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
        if not request.stream:
            request = replace(request, stream=True)
        prepared = self._prepare_chat(
            request, endpoint=endpoint, options=options, extra_headers=extra_headers
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

    async def _send(self, prepared: _Prepared) -> httpx.Response:
        """Async twin of :meth:`GatewayClient._send`."""
        http = self.http
        request = http.build_request(
            "POST",
            prepared.url,
            content=prepared.content,
            headers=prepared.headers,
            timeout=self._timeout,
        )
        attempt = 0
        while True:
            cause: BaseException | None = None
            try:
                response = await http.send(request, stream=True)
            except httpx.TransportError as exc:
                error: GatewayError = _transport_error(exc)
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
                error = error_from_response(response.status_code, response.headers, content)
            await asyncio.sleep(self._give_up_or_wait(attempt, error, cause))
            attempt += 1

    async def aclose(self) -> None:
        """Close the HTTP clients this object created (those of loops still running)."""
        clients = list(self._loop_clients.values())
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
