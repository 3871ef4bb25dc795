"""The HTTP client: :class:`GatewayClient` (sync) and :class:`AsyncGatewayClient` (async).

With ``retry.py`` this is the only module that does I/O. Everything else — routing, payloads,
headers, error classification, stream decoding, gateway metadata — happens in :class:`_BaseClient`
and :class:`_StreamDecoding`, shared by both clients, so each I/O method is a short shell.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

from cf_gateway_core._version import __version__
from cf_gateway_core.config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, GatewayConfig
from cf_gateway_core.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    GatewayConfigError,
    GatewayError,
    StreamError,
    error_from_response,
)
from cf_gateway_core.events import (
    ReasoningDelta,
    StreamAccumulator,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    events_from_response,
)
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


class _LazyModule(ModuleType):
    """A module imported on first use. ``httpx`` (~45 ms) and ``asyncio`` (~35 ms when nothing
    else loaded it) are needed only once a client exists, so ``import cf_gateway_core`` and an
    adapter's import do not pay for them. The first attribute access imports the module and puts
    it in this module's globals in place of the stand-in, so later accesses are plain lookups."""

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        globals()[self.__name__] = module
        return getattr(module, attribute)


if TYPE_CHECKING:
    import asyncio

    import httpx
else:
    asyncio = _LazyModule("asyncio")
    httpx = _LazyModule("httpx")

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

# Pool size: at most this many connections, all kept alive. (httpx's default keeps 20 of 100 alive
# and its async pool then closes and reopens connections under load.)
_MAX_CONNECTIONS = 100


def _default_limits() -> httpx.Limits:
    return httpx.Limits(
        max_connections=_MAX_CONNECTIONS, max_keepalive_connections=_MAX_CONNECTIONS
    )


_URL_CACHE_SIZE = 64  # distinct URLs: one per endpoint (and /ai/run model) in use
_MASK = "**********"
_MIN_MASKED_TOKEN = 8


def gateway_metadata(headers: Mapping[str, str], body: Any = None) -> GatewayMetadata:
    """Gateway metadata from response headers and a body's ``gatewayMetadata``."""
    # One pass over the headers: an httpx.Headers lookup scans every header, so seven lookups
    # cost more than reading them all once.
    multi_items = getattr(headers, "multi_items", None)
    items = multi_items() if multi_items is not None else headers.items()
    values: dict[str, str] = {}
    for name, value in items:
        field = _METADATA_HEADERS.get(name.lower())
        if field is not None and field not in values:
            values[field] = value
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


# A network read is decoded in slices of at most this many bytes, so the first events of a large
# read (a burst, or a fast local server) come out before the rest of it is parsed: the first slice
# is small for the time to first chunk, the next ones larger to keep per-slice costs low.
_FIRST_SLICE = 2048
_SLICE = 8192


def _text_run(event: StreamEvent, head: StreamEvent) -> bool:
    return True


def _reasoning_run(event: StreamEvent, head: StreamEvent) -> bool:
    # Only plain text pieces of one block merge; a signature or redacted data stays on its own.
    return (
        isinstance(event, ReasoningDelta)
        and isinstance(head, ReasoningDelta)
        and event.index == head.index
        and event.signature is None
        and event.redacted_data is None
        and head.signature is None
        and head.redacted_data is None
    )


def _tool_run(event: StreamEvent, head: StreamEvent) -> bool:
    # Argument fragments of the same call (no new id or name) merge into the call's first delta.
    return (
        isinstance(event, ToolCallDelta)
        and isinstance(head, ToolCallDelta)
        and event.index == head.index
        and event.id is None
        and event.name is None
    )


def _merge(head: StreamEvent, run: list[StreamEvent]) -> StreamEvent:
    if isinstance(head, TextDelta):
        return TextDelta("".join(e.text for e in run if isinstance(e, TextDelta)))
    if isinstance(head, ReasoningDelta):
        text = "".join(e.text for e in run if isinstance(e, ReasoningDelta))
        return ReasoningDelta(text, index=head.index)
    assert isinstance(head, ToolCallDelta)
    arguments = "".join(e.arguments for e in run if isinstance(e, ToolCallDelta))
    return ToolCallDelta(head.index, head.id, head.name, arguments)


# event type -> "does this event continue a run started by that head event?"
_RUNS = {TextDelta: _text_run, ReasoningDelta: _reasoning_run, ToolCallDelta: _tool_run}


def _coalesce(events: list[StreamEvent]) -> list[StreamEvent]:
    """Merge adjacent deltas of the same kind (text, one reasoning block, one tool call's
    arguments); every other event, and the order, stay as they are."""
    if len(events) < 2:
        return events
    out: list[StreamEvent] = []
    i, n = 0, len(events)
    while i < n:
        head = events[i]
        continues = _RUNS.get(type(head))
        j = i + 1
        if continues is not None:
            while j < n and type(events[j]) is type(head) and continues(events[j], head):
                j += 1
        out.append(head if j - i == 1 else _merge(head, events[i:j]))
        i = j
    return out


class _StreamDecoding:
    """Pure stream state: bytes or a JSON body in, neutral events out (sync and async share it)."""

    __slots__ = ("accumulator", "decoder", "route", "slice", "sse")

    def __init__(self, route: Route, gateway: GatewayMetadata) -> None:
        self.route = route
        self.sse = SSEDecoder()
        self.decoder: ChunkDecoder = get_format(route.endpoint).new_decoder()
        self.accumulator = StreamAccumulator(gateway=gateway)
        self.slice = _FIRST_SLICE

    def feed_read(self, chunk: bytes) -> Iterator[list[StreamEvent]]:
        """One network read, as batches of events (one per slice; some may be empty)."""
        size = len(chunk)
        if size <= self.slice:
            self.slice = _SLICE
            yield self.feed(chunk)
            return
        view = memoryview(chunk)
        start = 0
        while start < size:
            stop = start + self.slice
            self.slice = _SLICE
            yield self.feed(bytes(view[start:stop]))
            start = stop

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


def _dump_payload(payload: Mapping[str, Any]) -> bytes:
    """The request body; NaN, infinities and non-JSON values fail here, not at the server."""
    try:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise GatewayConfigError(
            f"The request cannot be sent as JSON ({exc}); pass finite numbers and JSON values "
            "(str, int, float, bool, None, list, dict) in parameters, extra_body and tool "
            "arguments."
        ) from exc
    return text.encode()


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
        self._urls: dict[str, httpx.URL] = {}

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

    def _url(self, url: str) -> httpx.URL:
        """The parsed URL, cached: parsing costs more than the rest of building the request."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return parsed

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
        content = _dump_payload(payload)
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

    def _status_error(self, response: httpx.Response, content: bytes) -> APIStatusError:
        """Classify an error reply; a token the server echoed back is masked first (§6 #33)."""
        token = self.config.api_token.get_secret_value()
        headers: Mapping[str, str] = response.headers
        # Real tokens are 40 characters; masking a toy test token like "t" would mangle messages.
        if len(token) < _MIN_MASKED_TOKEN:
            return error_from_response(response.status_code, headers, content)
        if token.encode() in content or any(token in v for v in headers.values()):
            content = content.replace(token.encode(), _MASK.encode())
            headers = {k: v.replace(token, _MASK) for k, v in headers.items()}
        return error_from_response(response.status_code, headers, content)

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
        self._batches = self._run()
        self._events = self._flat()

    def __iter__(self) -> Iterator[StreamEvent]:
        """The events, in order."""
        return self._events

    def __next__(self) -> StreamEvent:
        """The next event."""
        return next(self._events)

    def batches(self) -> Iterator[list[StreamEvent]]:
        """The events grouped as they arrived, adjacent deltas merged (iterate this *or* the
        stream itself, not both).

        Each list holds the events decoded from one piece of a network read (never empty).
        Adjacent text deltas, text pieces of one reasoning block and argument fragments of one
        tool call are merged, so a framework adapter makes one chunk per group instead of one
        per server-sent event: the same text and the same final reply, sooner and with far less
        per-chunk overhead when many events arrive at once. ``accumulator`` and ``result()``
        are unaffected.
        """
        for batch in self._batches:
            if batch:
                yield _coalesce(batch)

    def close(self) -> None:
        """Stop reading and close the HTTP response."""
        self._events.close()
        self._batches.close()

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

    def _flat(self) -> Generator[StreamEvent, None, None]:
        for batch in self._batches:
            yield from batch

    def _run(self) -> Generator[list[StreamEvent], None, None]:
        response = self._client._send(self._prepared)
        try:
            self.gateway = gateway_metadata(response.headers)
            state = _StreamDecoding(self._prepared.route, self.gateway)
            self.accumulator = state.accumulator
            if not _is_sse(response):
                yield state.from_json(response.read())
                return
            try:
                for chunk in response.iter_bytes():
                    yield from state.feed_read(chunk)
            except httpx.TransportError as exc:
                raise state.broken(exc) from exc
            yield state.finish()
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
        self._batches = self._run()
        self._events = self._flat()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        """The events, in order."""
        return self._events

    async def __anext__(self) -> StreamEvent:
        """The next event."""
        return await self._events.__anext__()

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """Async twin of :meth:`EventStream.batches`."""
        async for batch in self._batches:
            if batch:
                yield _coalesce(batch)

    async def aclose(self) -> None:
        """Stop reading and close the HTTP response."""
        await self._events.aclose()
        await self._batches.aclose()

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

    async def _flat(self) -> AsyncGenerator[StreamEvent, None]:
        async for batch in self._batches:
            for event in batch:
                yield event

    async def _run(self) -> AsyncGenerator[list[StreamEvent], None]:
        response = await self._client._send(self._prepared)
        try:
            self.gateway = gateway_metadata(response.headers)
            state = _StreamDecoding(self._prepared.route, self.gateway)
            self.accumulator = state.accumulator
            if not _is_sse(response):
                yield state.from_json(await response.aread())
                return
            try:
                async for chunk in response.aiter_bytes():
                    for batch in state.feed_read(chunk):
                        yield batch
            except httpx.TransportError as exc:
                raise state.broken(exc) from exc
            yield state.finish()
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
        self._http = http_client or httpx.Client(timeout=self._timeout, limits=_default_limits())

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
            self._url(prepared.url),
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
                error = self._status_error(response, content)
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
    ``fast_transport=True`` builds those clients on
    :class:`~cf_gateway_core.transports.AiohttpTransport` (needs the ``fast`` extra): several
    times the throughput of httpx's own async pool at high concurrency. Other arguments as for
    :class:`GatewayClient`.
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
        self._loop_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` for the running event loop."""
        if self._user_http is not None:
            return self._user_http
        loop = asyncio.get_running_loop()
        client = self._loop_clients.get(loop)
        if client is None:
            self._forget_closed_loops()
            client = self._new_http()
            self._loop_clients[loop] = client
        return client

    def _new_http(self) -> httpx.AsyncClient:
        if self._fast_transport:
            from cf_gateway_core.transports import AiohttpTransport

            transport = AiohttpTransport(limit=_MAX_CONNECTIONS)
            return httpx.AsyncClient(timeout=self._timeout, transport=transport)
        return httpx.AsyncClient(timeout=self._timeout, limits=_default_limits())

    def _forget_closed_loops(self) -> None:
        # The client of a closed loop (a finished asyncio.run()) can no longer be closed; dropping
        # it lets garbage collection close its sockets (reliability.md §6 #29).
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
            self._url(prepared.url),
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
                error = self._status_error(response, content)
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
