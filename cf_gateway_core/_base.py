"""What the sync and async clients share: everything but the I/O itself.

That is configuration, routes, request preparation, reply parsing, error classification and
retry decisions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, cast

from cf_gateway_core._json import load_json
from cf_gateway_core._lazy import LazyModule
from cf_gateway_core._redact import Redactor
from cf_gateway_core._version import __version__
from cf_gateway_core.checks import RequestHeaders, check_chat_request, check_extra_headers
from cf_gateway_core.config import GatewayConfig
from cf_gateway_core.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    GatewayConfigError,
    GatewayError,
    NotFoundError,
    error_from_response,
)
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    GatewayMetadata,
    Usage,
)
from cf_gateway_core.options import (
    SESSION_AFFINITY_HEADER,
    GatewayOptions,
    OptionsInput,
    add_reject_if_busy,
)
from cf_gateway_core.retry import RetryPolicy
from cf_gateway_core.routing import Endpoint, Route, resolve_route
from cf_gateway_core.wire import get_format

if TYPE_CHECKING:
    import asyncio

    import httpx
    from typing_extensions import Self
else:
    asyncio = LazyModule("asyncio", globals())
    httpx = LazyModule("httpx", globals())

__all__ = [
    "AsyncReply",
    "BaseClient",
    "Prepared",
    "Reply",
    "gateway_metadata",
    "transport_error",
]

logger = logging.getLogger("cf_gateway")

# response header -> GatewayMetadata field — docs/wire-notes.md §3.2.
_METADATA_HEADERS: dict[str, str] = {
    "cf-aig-log-id": "log_id",
    "cf-aig-cache-status": "cache_status",
    "cf-aig-event-id": "event_id",
    "cf-aig-request-id": "request_id",
    "cf-aig-step": "step",
    "cf-aig-model": "model",
    "cf-aig-provider": "provider",
}
_METADATA_RAW: dict[bytes, str] = {
    name.encode(): field for name, field in _METADATA_HEADERS.items()
}

# Pool size: at most 100 connections. httpcore's pools (the sync client, and the async one when
# a proxy applies) keep httpx's default of 20 idle ones: they rescan every connection on every
# request start and end, and keeping all 100 alive made them 2x slower. The async default,
# aiohttp's pool, has no such cost and keeps all of them, each for KEEPALIVE_EXPIRY seconds
# (httpx's default).
MAX_CONNECTIONS = 100
MAX_KEEPALIVE = 20
KEEPALIVE_EXPIRY = 5.0


def default_limits() -> httpx.Limits:
    return httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE)


_URL_CACHE_SIZE = 64  # distinct URLs: one per endpoint (and /ai/run model) in use


def gateway_metadata(headers: Mapping[str, str], body: Any = None) -> GatewayMetadata:
    """Gateway metadata from response headers and a body's ``gatewayMetadata``."""
    values = _metadata_values(headers)
    key_source = _key_source(body)
    if key_source is not None:
        values["key_source"] = key_source
    return GatewayMetadata(**values)


def _metadata_values(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``cf-aig-*`` header values by :class:`GatewayMetadata` field (first one wins)."""
    values: dict[str, str] = {}
    raw = getattr(headers, "raw", None)
    if raw is not None:
        # httpx.Headers: one pass over the raw byte pairs, decoding only the matches (a lookup
        # scans every header, and multi_items() decodes every name and value) — the values are
        # decoded as httpx decodes them (Headers.encoding).
        encoding: str | None = None
        for name, value in raw:
            field = _METADATA_RAW.get(name.lower())
            if field is not None and field not in values:
                encoding = encoding or headers.encoding  # type: ignore[attr-defined]
                values[field] = value.decode(encoding)
        return values
    for name, text in headers.items():  # aiohttp's CIMultiDictProxy: every value, in order
        field = _METADATA_HEADERS.get(name.lower())
        if field is not None and field not in values:
            values[field] = text
    return values


def _key_source(body: Any) -> str | None:
    """A body's ``gatewayMetadata.keySource`` when it is a string."""
    meta = body.get("gatewayMetadata") if isinstance(body, Mapping) else None
    if isinstance(meta, Mapping):
        key_source = meta.get("keySource")
        if isinstance(key_source, str):
            return key_source
    return None


def _embedding_model_name(body: Any) -> str | None:
    return body.get("model") if isinstance(body, Mapping) else None


def _with_suggestion(error: NotFoundError, model: str) -> NotFoundError:
    """``error`` whose text adds "did you mean ..." when the model table knows a near id.

    ``message`` stays the server's own words; only ``str(error)`` carries the hint.
    """
    from cf_gateway_core.profiles import suggest_model  # only on a 404

    suggestion = suggest_model(model)
    if suggestion is not None:
        error.args = (f"{error} (did you mean {suggestion!r}?)",)
    return error


@dataclass(slots=True)
class Prepared:
    """A request ready to send: built once, re-sent unchanged on retries.

    Internal and never changed after it is built (``dataclasses.replace`` makes a changed copy);
    not frozen, so building one per request sets its fields directly.
    """

    route: Route
    url: str
    headers: RequestHeaders
    """The request headers; their ``repr`` masks ``Authorization``."""
    content: bytes
    stream: bool
    method: str = "POST"
    """``GET``/``PATCH`` for the logs and model-catalogue calls (``cf_gateway_core._rest``)."""


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


# json.dumps with these options builds a JSONEncoder per call; this one is built once (stateless).
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _dump_payload(payload: Mapping[str, Any]) -> bytes:
    """The request body; NaN, infinities and non-JSON values fail here, not at the server."""
    try:
        text = _ENCODER.encode(payload)
    except (TypeError, ValueError) as exc:
        raise GatewayConfigError(
            f"The request cannot be sent as JSON ({exc}); pass finite numbers and JSON values "
            "(str, int, float, bool, None, list, dict) in parameters, extra_body and tool "
            "arguments."
        ) from exc
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        # A lone surrogate ("\ud800", e.g. half of an emoji cut by slicing) is not UTF-8.
        snippet = text[max(0, exc.start - 20) : exc.start].encode("utf-8", "replace").decode()
        raise GatewayConfigError(
            f"The request contains a lone surrogate ({text[exc.start]!r} after {snippet!r}), "
            "which is not valid Unicode text and cannot be sent; check the messages, tool "
            "arguments and extra_body for a string cut in the middle of a character."
        ) from None


class Reply(Protocol):
    """What the clients read of a reply.

    An ``httpx.Response``, or the aiohttp-backed ``_aio.AioReply`` of the default async path.
    """

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


class AsyncReply(Reply, Protocol):
    """A reply of the async clients, its body read or streamed (httpx's exceptions on failure)."""

    async def aread(self) -> bytes: ...

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


def transport_error(exc: httpx.TransportError) -> APIConnectionError:
    """The package's error for a transport failure (raised ``from exc``).

    The chain below ``exc`` (the exception of aiohttp or httpcore that it was mapped from) is cut:
    its frames hold the library's request objects, and aiohttp's print the ``Authorization``
    header. ``exc``'s message keeps that exception's type and text.
    """
    exc.__cause__ = None
    exc.__suppress_context__ = True
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(exc).__name__}).")
    return APIConnectionError(f"Connection error ({type(exc).__name__}: {exc}).")


class BaseClient:
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
        # No frame local holds the token in printable form: RequestHeaders' repr masks it.
        headers = RequestHeaders(
            {
                "authorization": "Bearer " + self.config.api_token.get_secret_value(),
                "content-type": "application/json",
                "user-agent": f"cf-gateway/{__version__}",
            }
        )
        if self.config.gateway_id:
            headers["cf-aig-gateway-id"] = self.config.gateway_id
        if self.options is not None:
            headers.update(self.options.headers())
        self._headers = headers
        self._redactor = Redactor(self.config.api_token.get_secret_value())
        self._timeout = httpx.Timeout(self.config.timeout)
        self._routes: dict[tuple[str, str], Route] = {}
        self._urls: dict[str, httpx.URL] = {}

    # -- travelling: pickle, cloudpickle, copy.copy, copy.deepcopy --------------------------------
    # Only the settings travel (the config, whose token is a masked Secret, the options, the retry
    # policy and the subclass's keywords); the HTTP clients, their pools and locks, the per-loop
    # table and the prepared headers (which hold the token in clear) are rebuilt on arrival.

    def _travel_kwargs(self) -> dict[str, Any]:
        """Constructor keywords besides ``config`` and ``http_client`` that rebuild this client."""
        return {"options": self.options}

    def _caller_http(self) -> Any:
        """The caller-owned ``http_client``, or ``None`` when this client builds its own."""
        return None

    def __getstate__(self) -> dict[str, Any]:
        """The settings only (see above).

        Raises:
            TypeError: the client was given a caller-owned ``http_client`` (sockets, locks and
                an SSL context cannot travel to another process).
        """
        if self._caller_http() is not None:
            from cf_gateway_core.checks import cannot_travel_message

            raise TypeError(cannot_travel_message(type(self).__name__, "http_client"))
        return {"config": self.config, "retry_policy": self.retry_policy, **self._travel_kwargs()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`'s settings (fresh HTTP clients, built lazily)."""
        kwargs = dict(state)
        config, retry_policy = kwargs.pop("config"), kwargs.pop("retry_policy")
        cast(Any, type(self)).__init__(self, config, **kwargs)
        self.retry_policy = retry_policy

    def __copy__(self) -> Self:
        """A new client with the same settings; a caller-owned ``http_client`` is shared."""
        clone = cast(Any, type(self))(
            self.config, http_client=self._caller_http(), **self._travel_kwargs()
        )
        clone.retry_policy = self.retry_policy
        return cast("Self", clone)

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """As :meth:`__copy__`: the settings are immutable, the HTTP clients are never copied."""
        return self.__copy__()

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
    ) -> RequestHeaders:
        if options is None and extra_headers is None:
            return self._headers
        headers = self._headers.copy()
        per_call = GatewayOptions.coerce(options)
        if per_call is not None:
            merged = self.options.merged(per_call) if self.options else per_call
            headers.update(merged.headers())
        if extra_headers is not None:
            headers.update(check_extra_headers(extra_headers))
        return headers

    def _prepare_chat(
        self,
        request: ChatRequest,
        *,
        stream: bool,
        endpoint: str | Endpoint,
        options: OptionsInput,
        extra_headers: Mapping[str, str] | None,
    ) -> Prepared:
        """The request as the calling method sends it: ``stream`` wins over ``request.stream``."""
        if request.stream is not stream:
            request = replace(request, stream=stream)
        route = self.route(request.model, endpoint)
        check_chat_request(request, route)
        payload = get_format(route.endpoint).build_payload(request, route)
        # The Workers AI opt-ins: a header and a top-level body field — docs/wire-notes.md §1.2.
        if request.reject_if_busy:
            add_reject_if_busy(payload)
        if request.session_affinity is not None:
            checked = check_extra_headers(extra_headers) if extra_headers is not None else {}
            extra_headers = {**checked, SESSION_AFFINITY_HEADER: request.session_affinity}
        return self._prepared(route, payload, options, extra_headers, request.stream)

    def _prepare_embed(
        self, request: EmbeddingRequest, route: Route, options: OptionsInput
    ) -> Prepared:
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
    ) -> Prepared:
        content = _dump_payload(payload)
        url = self.config.account_url + route.path
        headers = self._request_headers(options, extra_headers)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("POST %s (%d bytes, stream=%s)", url, len(content), stream)
        return Prepared(route, url, headers, content, stream)

    def _parse_chat(self, prepared: Prepared, response: Reply) -> ChatResponse:
        body = load_json(response.content)
        parsed = get_format(prepared.route.endpoint).parse_response(body)
        values = _metadata_values(response.headers)
        # The body's gatewayMetadata, else the one /ai/run nests under "result" (the wire module
        # found it there).
        key_source = (
            _key_source(body)
            or _key_source(parsed.provider_details)
            or (parsed.gateway and parsed.gateway.key_source)
        )
        if key_source:
            values["key_source"] = key_source
        # The reply was built just above and no one else holds it: set its gateway in place, as
        # its own __post_init__ does, instead of dataclasses.replace() building it a second time.
        object.__setattr__(parsed, "gateway", GatewayMetadata(**values))
        return parsed

    def _parse_embeddings(self, response: Reply, texts: int) -> EmbeddingResponse:
        """One batch's reply; exactly one vector per text, or a :class:`GatewayError`."""
        from cf_gateway_core.wire import embeddings

        body = load_json(response.content)
        parsed: EmbeddingResponse = embeddings.parse_response(body)
        if len(parsed.vectors) != texts:
            raise GatewayError(
                f"the gateway returned {len(parsed.vectors)} embedding vectors for {texts} "
                "texts; the vectors cannot be matched to the texts."
            )
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

    @staticmethod
    def _status_error(response: Reply, content: bytes, model: str | None = None) -> APIStatusError:
        """Classify an error reply (headers and body already masked by ``_redactor``).

        A 404 names the nearest id the model table knows for ``model``, if any.
        """
        error = error_from_response(response.status_code, response.headers, content)
        if isinstance(error, NotFoundError) and model is not None:
            return _with_suggestion(error, model)
        return error

    def _give_up_or_wait(
        self, attempt: int, error: GatewayError, cause: BaseException | None
    ) -> float:
        delay = self.retry_policy.next_delay(attempt, error)
        if delay is None:
            raise error from cause
        logger.debug("retrying in %.2fs after %s", delay, type(error).__name__)
        return delay
