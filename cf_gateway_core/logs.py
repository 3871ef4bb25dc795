"""AI Gateway logs and feedback.

Read a request's log (model, provider, tokens, cost, cache, duration, status), its stored
request and response bodies, and attach human or evaluator feedback to it.

Every request through the gateway leaves a log whose id comes back in the ``cf-aig-log-id``
header (``ChatResponse.gateway.log_id``; LangChain ``response_metadata["gateway"]["log_id"]``,
LlamaIndex ``additional_kwargs["gateway"]["log_id"]``). The logs API lives at
``/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/logs`` — see
https://developers.cloudflare.com/api/resources/ai_gateway/subresources/logs/ — and is reached
with the same API token, which then needs the **AI Gateway Read** permission to read logs and
**AI Gateway Edit** (listed as "AI Gateway Write" in the API reference) to send feedback; a token
without it gets ``AuthenticationError`` (401) or ``PermissionDeniedError`` (403) whose message
names the missing permission. ::

    client = GatewayClient()
    reply = client.chat(request)
    client.logs.feedback(reply.gateway.log_id, feedback=1, score=90, metadata={"user": "u-1"})
    log = client.logs.get(reply.gateway.log_id)   # GatewayLog(model=..., cost=..., ...)

The gateway id is the client's ``gateway_id`` (the REST API's ``default`` gateway when none is
set), or ``client.logs_for("my-gateway")``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cf_gateway_core._rest import (
    AsyncPart,
    Fetched,
    Plan,
    SyncPart,
    async_call,
    management_request,
    segment,
    sync_call,
    v4_result,
)
from cf_gateway_core.errors import GatewayConfigError, GatewayError

if TYPE_CHECKING:
    from cf_gateway_core._base import Prepared

__all__ = [
    "DEFAULT_GATEWAY",
    "READ_PERMISSION",
    "WRITE_PERMISSION",
    "AsyncGatewayLogs",
    "GatewayLog",
    "GatewayLogs",
    "LogPage",
]

DEFAULT_GATEWAY = "default"
"""The gateway the REST API uses when a request names none."""
READ_PERMISSION = "Account > AI Gateway > Read"
WRITE_PERMISSION = "Account > AI Gateway > Edit"
_MAX_PER_PAGE = 50
_FEEDBACK_VALUES = (-1, 0, 1)
_ORDER_BY = ("created_at", "provider", "model", "model_type", "success", "cached")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _metadata(value: Any) -> dict[str, Any]:
    # The API reference types it as a string (JSON text); Workers' types as an object.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"value": value}
    return dict(value) if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayLog:
    """One gateway log entry (fields of "Get Gateway Log Detail"; ``raw`` has all of them)."""

    id: str
    model: str | None = None
    provider: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: float | None = None
    """Cost in USD as the gateway computed it (or the ``custom_cost`` you sent)."""
    cached: bool | None = None
    duration_ms: int | None = None
    """The ``duration`` field: milliseconds from request to complete response."""
    status_code: int | None = None
    success: bool | None = None
    created_at: str | None = None
    path: str | None = None
    step: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    """``cf-aig-metadata`` of the request and the feedback ``metadata`` (parsed from JSON)."""
    feedback: int | None = None
    score: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> GatewayLog:
        """Build from one log object of the API."""
        return cls(
            id=str(body.get("id", "")),
            model=_str(body.get("model")),
            provider=_str(body.get("provider")),
            tokens_in=_int(body.get("tokens_in")),
            tokens_out=_int(body.get("tokens_out")),
            cost=_float(body.get("cost")),
            cached=_bool(body.get("cached")),
            duration_ms=_int(body.get("duration")),
            status_code=_int(body.get("status_code")),
            success=_bool(body.get("success")),
            created_at=_str(body.get("created_at")),
            path=_str(body.get("path")),
            step=_int(body.get("step")),
            metadata=_metadata(body.get("metadata")),
            feedback=_int(body.get("feedback")),
            score=_float(body.get("score")),
            raw=dict(body),
        )


@dataclass(frozen=True, slots=True)
class LogPage:
    """One page of :meth:`GatewayLogs.list` (newest first by default)."""

    logs: tuple[GatewayLog, ...]
    page: int
    per_page: int
    total_count: int | None


# ----------------------------------------------------------------- requests (shared)


def _path(gateway_id: str, log_id: str | None = None, part: str | None = None) -> str:
    path = f"ai-gateway/gateways/{gateway_id}/logs"
    if log_id is not None:
        path += "/" + segment(log_id, "log_id", "0197c7d0-1b2c-7d3e-8f40-a1b2c3d4e5f6")
    return path + (f"/{part}" if part else "")


def _check_number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GatewayConfigError(
            f"{name} must be a number from {low:g} to {high:g}, got {value!r}."
        )
    if not low <= value <= high:
        raise GatewayConfigError(f"{name} must be from {low:g} to {high:g}, got {value!r}.")
    return value


def feedback_payload(
    feedback: int | None, score: float | None, metadata: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The ``PATCH`` body: ``feedback`` -1/0/1, ``score`` 0–100, ``metadata`` of str/number/bool.

    Raises:
        GatewayConfigError: nothing to send, or a value outside those ranges.
    """
    payload: dict[str, Any] = {}
    if feedback is not None:
        if isinstance(feedback, bool) or feedback not in _FEEDBACK_VALUES:
            raise GatewayConfigError(
                f"feedback must be 1 (positive), -1 (negative) or 0 (not evaluated), got "
                f"{feedback!r}."
            )
        payload["feedback"] = feedback
    if score is not None:
        payload["score"] = _check_number("score", score, 0, 100)
    if metadata is not None:
        payload["metadata"] = _check_metadata(metadata)
    if not payload:
        raise GatewayConfigError("Pass at least one of feedback=, score= or metadata=.")
    return payload


def _check_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(metadata, Mapping):
        raise GatewayConfigError(f"metadata must be a dict, got {type(metadata).__name__}.")
    for key, value in metadata.items():
        ok_value = isinstance(value, (str, bool, int)) or (
            isinstance(value, float) and math.isfinite(value)
        )
        if not isinstance(key, str) or not ok_value:
            raise GatewayConfigError(
                "metadata maps string keys to strings, numbers or booleans (the logs API "
                f"accepts nothing else); {key!r}: {value!r} is not one."
            )
    return dict(metadata)


def _list_query(
    page: int, per_page: int, order_by: str, direction: str, where: Mapping[str, Any] | None
) -> dict[str, Any]:
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise GatewayConfigError(f"page must be an integer >= 1, got {page!r}.")
    if isinstance(per_page, bool) or not isinstance(per_page, int):
        raise GatewayConfigError(f"per_page must be an integer, got {per_page!r}.")
    if not 1 <= per_page <= _MAX_PER_PAGE:
        raise GatewayConfigError(f"per_page must be from 1 to {_MAX_PER_PAGE}, got {per_page}.")
    if order_by not in _ORDER_BY:
        raise GatewayConfigError(f"order_by must be one of {', '.join(_ORDER_BY)}.")
    if direction not in ("asc", "desc"):
        raise GatewayConfigError("direction must be 'asc' or 'desc'.")
    query: dict[str, Any] = {
        "page": page,
        "per_page": per_page,
        "order_by": order_by,
        "order_by_direction": direction,
    }
    if where:
        # Equality filters, JSON-encoded as the API's ``filters`` query parameter.
        filters = [{"key": key, "operator": "eq", "value": [value]} for key, value in where.items()]
        query["filters"] = json.dumps(filters, separators=(",", ":"))
    return query


# ----------------------------------------------------------------- replies (shared)


def _parse_log(reply: Fetched) -> GatewayLog:
    result = v4_result(reply.json())
    if not isinstance(result, Mapping):
        raise GatewayError(f"The logs API answered without a log object: {str(result)[:200]}")
    return GatewayLog.from_api(result)


def _parse_page(reply: Fetched, page: int, per_page: int) -> LogPage:
    body = reply.json()
    result = v4_result(body)
    rows: Sequence[Any] = result if isinstance(result, list) else []
    info = body.get("result_info") if isinstance(body, Mapping) else None
    info = info if isinstance(info, Mapping) else {}
    return LogPage(
        logs=tuple(GatewayLog.from_api(row) for row in rows if isinstance(row, Mapping)),
        page=_int(info.get("page")) or page,
        per_page=_int(info.get("per_page")) or per_page,
        total_count=_int(info.get("total_count")),
    )


def _parse_body(reply: Fetched) -> Any:
    """A stored request or response body: JSON when it is JSON, else text (or bytes)."""
    if reply.is_json:
        return v4_result(reply.json())
    try:
        return reply.content.decode()
    except UnicodeDecodeError:
        return reply.content


class _LogsBase:
    """The logs calls, written once.

    Each builder returns the plan the sync or async client runs (``GatewayLogs`` /
    ``AsyncGatewayLogs`` only hand it over).
    """

    def __init__(self, client: Any, gateway_id: str | None) -> None:
        self._client = client
        chosen = gateway_id if gateway_id is not None else client.config.gateway_id
        self.gateway_id = segment(
            chosen or DEFAULT_GATEWAY, "gateway_id", "my-gateway (or CLOUDFLARE_GATEWAY_ID)"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(gateway_id={self.gateway_id!r})"

    def _read(self, log_id: str, part: str | None = None) -> Prepared:
        return management_request(self._client, "GET", _path(self.gateway_id, log_id, part))

    def _plan_get(self, log_id: str) -> Plan[GatewayLog]:
        """The log entry ``log_id`` (a ``cf-aig-log-id``).

        Raises:
            NotFoundError: no such log (yet: logs appear a moment after the request).
            AuthenticationError / PermissionDeniedError: the token lacks AI Gateway Read.
        """
        return Plan.single(self._read(log_id), _parse_log, READ_PERMISSION)

    def _plan_request_body(self, log_id: str) -> Plan[Any]:
        """The request body the gateway stored for ``log_id`` (parsed JSON, else text)."""
        return Plan.single(self._read(log_id, "request"), _parse_body, READ_PERMISSION)

    def _plan_response_body(self, log_id: str) -> Plan[Any]:
        """The response body the gateway stored for ``log_id`` (parsed JSON, else text)."""
        return Plan.single(self._read(log_id, "response"), _parse_body, READ_PERMISSION)

    def _plan_feedback(
        self,
        log_id: str,
        *,
        feedback: int | None = None,
        score: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Plan[None]:
        """Attach feedback to a log.

        ``feedback`` is 1 / -1 (0 = not evaluated), ``score`` 0–100, ``metadata`` string keys
        with string, number or boolean values.

        Raises:
            GatewayConfigError: nothing to send or a value out of range (before any request).
            AuthenticationError / PermissionDeniedError: the token lacks AI Gateway Edit.
        """
        body = feedback_payload(feedback, score, metadata)
        path = _path(self.gateway_id, log_id)
        prepared = management_request(self._client, "PATCH", path, body=body)
        return Plan.single(prepared, lambda _: None, WRITE_PERMISSION)

    def _plan_list(
        self,
        *,
        page: int = 1,
        per_page: int = 20,
        order_by: str = "created_at",
        direction: str = "desc",
        where: Mapping[str, Any] | None = None,
    ) -> Plan[LogPage]:
        """One page of logs; ``where={"model": "...", "cached": True}`` filters by equality."""
        query = _list_query(page, per_page, order_by, direction, where)
        prepared = management_request(self._client, "GET", _path(self.gateway_id), query=query)
        return Plan.single(
            prepared, lambda reply: _parse_page(reply, page, per_page), READ_PERMISSION
        )


class GatewayLogs(_LogsBase, SyncPart):
    """The logs of one gateway through a :class:`~cf_gateway_core.GatewayClient` (``client.logs``).

    Reads need AI Gateway Read; :meth:`feedback` needs AI Gateway Edit.
    """

    get = sync_call(_LogsBase._plan_get)
    request_body = sync_call(_LogsBase._plan_request_body)
    response_body = sync_call(_LogsBase._plan_response_body)
    feedback = sync_call(_LogsBase._plan_feedback)
    list = sync_call(_LogsBase._plan_list)


class AsyncGatewayLogs(_LogsBase, AsyncPart):
    """Async twin of :class:`GatewayLogs` (``async_client.logs``)."""

    get = async_call(_LogsBase._plan_get)
    request_body = async_call(_LogsBase._plan_request_body)
    response_body = async_call(_LogsBase._plan_response_body)
    feedback = async_call(_LogsBase._plan_feedback)
    list = async_call(_LogsBase._plan_list)
