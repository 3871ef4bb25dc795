"""Requests beyond chat, prepared for the clients' retry shell (``_send``).

Two kinds: calls to the account's management API (the AI Gateway logs, the Workers AI model
catalogue: ``GET``/``PATCH`` with a query string, authorization and user agent only) and model
calls on ``/ai/run`` with a JSON or raw body (media models, rerankers). Building them and reading
their v4 envelopes is shared by the sync and async clients: a call's builder returns a
:class:`Plan` (the requests and how to read their replies), which :class:`SyncFetch` and
:class:`AsyncFetch` — the two I/O shells — run; :func:`sync_call` and :func:`async_call` make the
public sync and async methods from one builder, so both have its signature and docstring.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar

from cf_gateway_core._base import (
    AsyncReply,
    BaseClient,
    Prepared,
    Reply,
    _dump_payload,
    gateway_metadata,
)
from cf_gateway_core._json import load_json
from cf_gateway_core.checks import RequestHeaders
from cf_gateway_core.errors import (
    APIStatusError,
    AuthenticationError,
    GatewayConfigError,
    GatewayError,
    PermissionDeniedError,
)
from cf_gateway_core.messages import GatewayMetadata
from cf_gateway_core.options import OptionsInput
from cf_gateway_core.routing import Endpoint, ModelKind, ModelRef, Route

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AsyncFetch",
    "AsyncPart",
    "Fetched",
    "Plan",
    "SyncFetch",
    "SyncPart",
    "async_call",
    "management_request",
    "permission_hint",
    "run_request",
    "segment",
    "sync_call",
    "v4_result",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

# Management calls name no model; their Prepared carries this route, never read as chat.
_MANAGEMENT_ROUTE = Route(Endpoint.RUN, "", ModelRef("", ModelKind.THIRD_PARTY, "", ""))
# An id placed in a URL path: unreserved characters only (no '/', '?', '#', '%', dot segments).
_SEGMENT = r"[A-Za-z0-9_~.:-]+"
_MANAGEMENT_HEADERS = ("authorization", "user-agent")


def segment(value: object, keyword: str, example: str) -> str:
    """``value`` checked as one URL path segment (a log id, a gateway id).

    Raises:
        GatewayConfigError: not a non-empty string of unreserved URL characters.
    """
    if not isinstance(value, str) or not re.fullmatch(_SEGMENT, value) or not value.strip("."):
        raise GatewayConfigError(
            f"{keyword} must be a non-empty id of letters, digits, '-', '_', '.', ':' or '~' "
            f"(for example {example!r}), got {value!r}."
        )
    return value


def _query_string(query: Mapping[str, Any] | None) -> str:
    from urllib.parse import urlencode

    if not query:
        return ""
    pairs = {k: _query_value(v) for k, v in query.items() if v is not None}
    return "?" + urlencode(pairs) if pairs else ""


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def management_request(
    client: BaseClient,
    method: str,
    path: str,
    *,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> Prepared:
    """A request to ``{account_url}{path}`` with the token and user agent only.

    No gateway options: the management API does not read ``cf-aig-*`` headers.
    """
    headers = RequestHeaders({k: v for k, v in client._headers.items() if k in _MANAGEMENT_HEADERS})
    content = b""
    if body is not None:
        content = _dump_payload(body)
        headers["content-type"] = "application/json"
    url = client.config.account_url + path + _query_string(query)
    return Prepared(_MANAGEMENT_ROUTE, url, headers, content, False, method)


def run_request(
    client: BaseClient,
    model: str,
    *,
    payload: Mapping[str, Any] | None = None,
    raw: bytes | None = None,
    content_type: str | None = None,
    query: Mapping[str, Any] | None = None,
    options: OptionsInput = None,
) -> Prepared:
    """A model call on ``/ai/run``.

    ``/ai/run/{model}`` for ``@cf/`` models (the native body, JSON or raw bytes), the universal
    ``/ai/run`` with ``{"model", "input"}`` for the others.

    Raises:
        GatewayConfigError: a malformed model id, or raw bytes for a non-Workers-AI model.
    """
    route = client.route(model, "run")
    headers = client._request_headers(options, None)
    if content_type:
        # Set here, not as an extra header: extra_headers may not set Content-Type.
        headers = headers.copy()
        headers["content-type"] = content_type
    if raw is not None:
        if not route.native:
            raise GatewayConfigError(
                f"model {model!r} takes a JSON input on the universal /ai/run; raw bytes are "
                "only sent to Workers AI ('@cf/...') models."
            )
        content = raw
    elif route.native:
        content = _dump_payload(payload or {})
    else:
        content = _dump_payload({"model": route.model.id, "input": dict(payload or {})})
    url = client.config.account_url + route.path + _query_string(query)
    return Prepared(route, url, headers, content, False)


class Fetched:
    """A read reply: status, headers, body bytes and the gateway metadata of its headers."""

    __slots__ = ("content", "content_type", "gateway", "headers", "status_code")

    def __init__(self, response: Reply) -> None:
        """Keep what the parsers need from a read ``response``."""
        self.status_code = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.content: bytes = response.content
        self.content_type: str = (
            response.headers.get("content-type", "").split(";")[0].strip().lower()
        )
        self.gateway: GatewayMetadata = gateway_metadata(response.headers)

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON (by content type, or by its first byte when untyped)."""
        if self.content_type:
            return self.content_type == "application/json" or self.content_type.endswith("+json")
        return bool(self.content[:1] in (b"{", b"["))

    def json(self) -> Any:
        """The parsed body (``GatewayError`` when it is not JSON)."""
        return load_json(self.content)


def v4_result(body: Any) -> Any:
    """The ``result`` of a v4 envelope.

    The inner ``result`` of the universal ``/ai/run`` envelope (``{"result": {"result": …,
    "gatewayMetadata": …}}``); other bodies as they are.
    """
    if isinstance(body, Mapping) and "result" in body and ("success" in body or "errors" in body):
        body = body["result"]
    if isinstance(body, Mapping) and "result" in body and _is_run_envelope(body):
        body = body["result"]
    return body


def _is_run_envelope(body: Mapping[str, Any]) -> bool:
    return "gatewayMetadata" in body or body.get("state") == "Completed"


def key_source(body: Any) -> str | None:
    """``gatewayMetadata.keySource`` of an ``/ai/run`` reply, wherever it sits."""
    for layer in (body, body.get("result") if isinstance(body, Mapping) else None):
        meta = layer.get("gatewayMetadata") if isinstance(layer, Mapping) else None
        if isinstance(meta, Mapping) and isinstance(meta.get("keySource"), str):
            return str(meta["keySource"])
    return None


@contextlib.contextmanager
def permission_hint(needs: str | None) -> Iterator[None]:
    """Re-raise a 401/403 with the permission the call needs appended to its message.

    With ``None`` for the permission, the error is re-raised as it is.
    """
    try:
        yield
    except (AuthenticationError, PermissionDeniedError) as exc:
        if needs is None:
            raise
        raise _with_hint(exc, needs) from exc


def _with_hint(exc: APIStatusError, needs: str) -> GatewayError:
    message = (
        f"{exc.message} — this call needs an API token with the {needs} permission "
        "(Cloudflare dashboard > My Profile > API Tokens); the token in use lacks it or is invalid."
    )
    return type(exc)(
        message, status_code=exc.status_code, code=exc.code, body=exc.body, headers=exc.headers
    )


@dataclass(frozen=True, slots=True)
class Plan(Generic[R]):
    """One call, built and not yet sent.

    ``requests`` go out in order, ``read(i, reply)`` reads each reply as it comes (so a bad one
    stops the call before the next request), ``finish`` turns what was read into the call's
    result; ``needs`` names the token permission a 401/403 lacks.
    """

    requests: Sequence[Prepared]
    read: Callable[[int, Fetched], Any]
    finish: Callable[[list[Any]], R]
    needs: str | None = None

    @classmethod
    def single(
        cls, prepared: Prepared, read: Callable[[Fetched], R], needs: str | None = None
    ) -> Plan[R]:
        """A call of one request whose reply ``read`` turns into the result."""
        return cls((prepared,), lambda _, reply: read(reply), lambda parts: parts[0], needs)


class SyncRunner(Protocol):
    """What runs a :class:`Plan` synchronously (the sync client, its logs and catalogue)."""

    def _run(self, plan: Plan[T]) -> T: ...


class AsyncRunner(Protocol):
    """What runs a :class:`Plan` in a coroutine (the async client, its logs and catalogue)."""

    async def _run(self, plan: Plan[T]) -> T: ...


def _public(call: Callable[..., Any], build: Callable[..., Any]) -> None:
    """Give the shell ``call`` the name, docstring and signature of the builder ``build``.

    The ``_plan_`` prefix of the name is dropped, and the return annotation becomes the call's
    result, not the :class:`Plan`.
    """
    functools.update_wrapper(call, build)
    call.__name__ = call.__qualname__ = build.__name__.removeprefix("_plan_")
    returns = inspect.signature(build).return_annotation  # a string: annotations are postponed
    returns = str(returns).removeprefix("Plan[").removesuffix("]")
    call.__signature__ = inspect.signature(build).replace(  # type: ignore[attr-defined]
        return_annotation=returns
    )


def sync_call(
    build: Callable[Concatenate[Any, P], Plan[R]],
) -> Callable[Concatenate[SyncRunner, P], R]:
    """The sync method of the call ``build`` describes (build the plan, run it, return)."""

    def call(self: SyncRunner, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._run(build(self, *args, **kwargs))

    _public(call, build)
    return call


def async_call(
    build: Callable[Concatenate[Any, P], Plan[R]],
) -> Callable[Concatenate[AsyncRunner, P], Coroutine[Any, Any, R]]:
    """The async twin of :func:`sync_call` (the same builder, awaited sends)."""

    async def call(self: AsyncRunner, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self._run(build(self, *args, **kwargs))

    _public(call, build)
    return call


class SyncFetch(BaseClient):
    """The sync I/O shell: send a prepared request with retries, read it whole."""

    if TYPE_CHECKING:

        def _send(self, prepared: Prepared) -> httpx.Response: ...

    def _fetch(self, prepared: Prepared) -> Fetched:
        return Fetched(self._send(prepared))  # _send reads a non-stream body (and retries it)

    def _run(self, plan: Plan[T]) -> T:
        with permission_hint(plan.needs):
            parts = [plan.read(i, self._fetch(each)) for i, each in enumerate(plan.requests)]
            return plan.finish(parts)


class AsyncFetch(BaseClient):
    """The async I/O shell (twin of :class:`SyncFetch`)."""

    if TYPE_CHECKING:

        async def _send(self, prepared: Prepared) -> AsyncReply: ...

    async def _fetch(self, prepared: Prepared) -> Fetched:
        return Fetched(await self._send(prepared))  # _send reads the body (and retries it)

    async def _run(self, plan: Plan[T]) -> T:
        with permission_hint(plan.needs):
            parts = [plan.read(i, await self._fetch(each)) for i, each in enumerate(plan.requests)]
            return plan.finish(parts)


class SyncPart:
    """A part of a sync client (its logs, its catalogue) whose calls the client runs."""

    _client: SyncFetch

    def _run(self, plan: Plan[T]) -> T:
        return self._client._run(plan)


class AsyncPart:
    """A part of an async client (twin of :class:`SyncPart`)."""

    _client: AsyncFetch

    async def _run(self, plan: Plan[T]) -> T:
        return await self._client._run(plan)
