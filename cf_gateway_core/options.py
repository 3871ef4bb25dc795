"""Gateway features (cache, logging, retries, costs, billing) as ``cf-aig-*`` request headers.

Pure: :class:`GatewayOptions` validates at construction and renders its headers once. What each
header does, with Cloudflare's pages: ``docs/gateway-2026.md``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from cf_gateway_core._values import value_class
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.routing import ModelKind, parse_model

__all__ = [
    "SESSION_AFFINITY_HEADER",
    "GatewayOptions",
    "OptionsInput",
    "add_reject_if_busy",
    "check_workers_ai_opt_ins",
    "workers_ai_extras",
]

Backoff = Literal["constant", "linear", "exponential"]

# field name -> header name; the header suffix is the field name — docs/wire-notes.md §3.1.
_HEADERS: dict[str, str] = {
    "cache_ttl": "cf-aig-cache-ttl",
    "skip_cache": "cf-aig-skip-cache",
    "cache_key": "cf-aig-cache-key",
    "metadata": "cf-aig-metadata",
    "collect_log": "cf-aig-collect-log",
    "event_id": "cf-aig-event-id",
    "request_timeout_ms": "cf-aig-request-timeout",
    "max_attempts": "cf-aig-max-attempts",
    "retry_delay_ms": "cf-aig-retry-delay",
    "backoff": "cf-aig-backoff",
    "byok_alias": "cf-aig-byok-alias",
    "zdr": "cf-aig-zdr",
    "collect_log_payload": "cf-aig-collect-log-payload",
    "custom_cost": "cf-aig-custom-cost",
    "no_wholesale": "cf-aig-no-wholesale",
}

_MAX_METADATA = 5
_MAX_ATTEMPTS = 5
# cf-aig-cache-ttl: "integer seconds; min 60, max one month" — docs/wire-notes.md §3.1 [C].
_MIN_CACHE_TTL = 60
_MAX_CACHE_TTL = 30 * 24 * 3600
# cf-aig-retry-delay: at most 5,000 ms (REST API page, request-handling page, the 2026-04-02
# auto-retry changelog and the gateway API schema agree) — docs/gateway-2026.md.
_MAX_RETRY_DELAY_MS = 5_000
_BACKOFFS = ("constant", "linear", "exponential")
_TEXT_FIELDS = ("cache_key", "event_id", "byok_alias")
_BOOL_FIELDS = ("skip_cache", "collect_log", "zdr", "collect_log_payload", "no_wholesale")
# The one BYOK alias the REST API uses (Workers-bindings and BYOK pages, 2026).
_REST_BYOK_ALIAS = "default"
# cf-aig-custom-cost properties (Custom costs page, updated 2026-09-09): cost per token.
_CUSTOM_COST_KEYS = (
    "per_token_in",
    "per_token_out",
    "per_cache_read_token",
    "per_cache_write_token",
)


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        # ASCII-only JSON: httpx encodes header values as ASCII and would fail on "é" at send
        # time; "\u00e9" is the same JSON string to the gateway.
        return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=True)
    return str(value)


def _check_text(name: str, value: object) -> None:
    """Header text: a non-empty string of printable ASCII (httpx sends header values as ASCII)."""
    if value is None:
        return
    if not isinstance(value, str) or not value:
        raise GatewayConfigError(f"gateway_options.{name} must be a non-empty string.")
    if not (value.isascii() and value.isprintable()):
        raise GatewayConfigError(
            f"gateway_options.{name} must be printable ASCII (it is sent as the header "
            f"{_HEADERS[name]}); got {value!r}."
        )


def _check_int(
    name: str, value: int | None, low: int, high: int | None = None, *, hint: str = ""
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise GatewayConfigError(f"gateway_options.{name} must be an integer, got {value!r}.")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise GatewayConfigError(f"gateway_options.{name} must be {bound}{hint}, got {value}.")


def _check_byok_alias(alias: str | None) -> None:
    if alias is None or alias == _REST_BYOK_ALIAS:
        return
    raise GatewayConfigError(
        f"gateway_options.byok_alias={alias!r} would be ignored: on the REST API "
        "(api.cloudflare.com/.../ai/...) the gateway uses only the provider key stored under the "
        f"{_REST_BYOK_ALIAS!r} alias and otherwise bills Unified Billing credits; "
        "cf-aig-byok-alias is honoured only on the provider-native endpoints "
        "(gateway.ai.cloudflare.com/v1/{account}/{gateway}/{provider}). Store the key under the "
        f"{_REST_BYOK_ALIAS!r} alias of a gateway and select that gateway with gateway_id= (or "
        "CLOUDFLARE_GATEWAY_ID); add no_wholesale=True to fail instead of using credits."
    )


def _check_zdr(zdr: bool | None) -> None:
    if zdr is None:
        return
    raise GatewayConfigError(
        "gateway_options.zdr would be ignored: the REST API does not honour cf-aig-zdr (it is "
        "read only on the provider-native endpoints); Zero Data Retention is a setting of the "
        "gateway. Turn it on in the dashboard (AI Gateway > your gateway > Settings) or with the "
        "gateway API's zdr field, and select that gateway with gateway_id= (or "
        "CLOUDFLARE_GATEWAY_ID)."
    )


def _check_custom_cost(cost: Mapping[str, Any] | None) -> None:
    if cost is None:
        return
    known = ", ".join(_CUSTOM_COST_KEYS)
    if not isinstance(cost, Mapping) or not cost:
        raise GatewayConfigError(
            f"gateway_options.custom_cost must be a non-empty dict with keys among {known} "
            "(cost per token), e.g. {'per_token_in': 0.000001, 'per_token_out': 0.000002}."
        )
    for key, value in cost.items():
        if key not in _CUSTOM_COST_KEYS:
            raise GatewayConfigError(
                f"gateway_options.custom_cost has unknown key {key!r}; the keys are {known}."
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise GatewayConfigError(
                f"gateway_options.custom_cost[{key!r}] must be a finite number >= 0 (cost per "
                f"token), got {value!r}."
            )


def _check_metadata(metadata: Mapping[str, Any] | None) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping):
        raise GatewayConfigError("gateway_options.metadata must be a dict of str -> scalar.")
    if len(metadata) > _MAX_METADATA:
        raise GatewayConfigError(
            f"gateway_options.metadata has {len(metadata)} entries; the gateway keeps at most "
            f"{_MAX_METADATA} (it silently drops the rest)."
        )
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise GatewayConfigError(f"gateway_options.metadata keys must be strings, got {key!r}.")
        # A null or nested value makes the gateway drop the whole metadata silently (§3.1 [O]);
        # NaN / Infinity are not JSON at all.
        if not isinstance(value, (str, int, float, bool)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise GatewayConfigError(
                f"gateway_options.metadata[{key!r}] must be a string, finite number or boolean, "
                f"got {value!r}."
            )


def _rendered(options: GatewayOptions) -> dict[str, str]:
    """The ``cf-aig-*`` headers of the fields that are set."""
    headers = {}
    for name, header in _HEADERS.items():
        value = getattr(options, name)
        if value is not None:
            headers[header] = _render(value)
    return headers


def _restored(cls: type[GatewayOptions], values: dict[str, Any]) -> GatewayOptions:
    """Rebuild a pickled or copied :class:`GatewayOptions` from its fields."""
    return cls(**values)


class _HeaderSlot:
    """The slot of the headers :class:`GatewayOptions` renders once, outside its fields.

    So ``dataclasses.asdict``, ``fields`` and ``replace`` see only the options themselves.
    """

    __slots__ = ("_headers",)
    _headers: dict[str, str]


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class GatewayOptions(_HeaderSlot):
    """Per-request gateway features, sent as ``cf-aig-*`` headers.

    Unset fields send nothing (the gateway's own settings apply).
    """

    cache_ttl: int | None = None
    """Cache this reply for N seconds (``cf-aig-cache-ttl``)."""
    skip_cache: bool | None = None
    """Bypass the cache (``cf-aig-skip-cache``)."""
    cache_key: str | None = None
    """Custom cache key (``cf-aig-cache-key``)."""
    metadata: Mapping[str, str | int | float | bool] | None = None
    """Up to 5 log tags (``cf-aig-metadata``, JSON)."""
    collect_log: bool | None = None
    """Override the gateway's log setting (``cf-aig-collect-log``)."""
    event_id: str | None = None
    """Trace id echoed back by the gateway (``cf-aig-event-id``)."""
    request_timeout_ms: int | None = None
    """Gateway-side timeout to first byte (``cf-aig-request-timeout``)."""
    max_attempts: int | None = None
    """Gateway-side attempts, at most 5 (``cf-aig-max-attempts``)."""
    retry_delay_ms: int | None = None
    """Gateway-side retry delay (``cf-aig-retry-delay``)."""
    backoff: Backoff | None = None
    """Gateway-side backoff: constant, linear or exponential (``cf-aig-backoff``)."""
    byok_alias: str | None = None
    """Stored provider key alias (``cf-aig-byok-alias``); the REST API honours only
    ``"default"``, so any other alias is a :class:`GatewayConfigError`."""
    zdr: bool | None = None
    """Zero Data Retention (``cf-aig-zdr``): not honoured on the REST API, so setting it is a
    :class:`GatewayConfigError` (turn ZDR on in the gateway's settings instead)."""
    collect_log_payload: bool | None = None
    """``False`` logs metadata (tokens, cost, status…) without request and response bodies
    (``cf-aig-collect-log-payload``)."""
    custom_cost: Mapping[str, float] | None = None
    """Cost per token overriding the public price: ``per_token_in``, ``per_token_out``,
    ``per_cache_read_token``, ``per_cache_write_token`` (``cf-aig-custom-cost``, JSON)."""
    no_wholesale: bool | None = None
    """``True`` fails (HTTP 400) instead of falling back to Unified Billing credits when no
    provider key applies (``cf-aig-no-wholesale``)."""

    def __post_init__(self) -> None:
        """Validate every field and render the headers once."""
        _check_int(
            "cache_ttl",
            self.cache_ttl,
            _MIN_CACHE_TTL,
            _MAX_CACHE_TTL,
            hint=" (the gateway's limits; to bypass the cache pass skip_cache=True)",
        )
        _check_int("request_timeout_ms", self.request_timeout_ms, 1)
        _check_int("max_attempts", self.max_attempts, 1, _MAX_ATTEMPTS)
        _check_int(
            "retry_delay_ms",
            self.retry_delay_ms,
            0,
            _MAX_RETRY_DELAY_MS,
            hint=" (the gateway's maximum retry delay is 5 seconds)",
        )
        _check_metadata(self.metadata)
        _check_custom_cost(self.custom_cost)
        for name in ("metadata", "custom_cost"):
            value = getattr(self, name)
            if value is not None:
                # A private copy: later changes to the caller's dict cannot desync the headers.
                object.__setattr__(self, name, dict(value))
        if self.backoff is not None and (
            not isinstance(self.backoff, str) or self.backoff not in _BACKOFFS
        ):
            raise GatewayConfigError(
                f"gateway_options.backoff must be one of {', '.join(_BACKOFFS)}, "
                f"got {self.backoff!r}."
            )
        for name in _BOOL_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise GatewayConfigError(
                    f"gateway_options.{name} must be True or False, got {value!r}."
                )
        for name in _TEXT_FIELDS:
            _check_text(name, getattr(self, name))
        _check_byok_alias(self.byok_alias)
        _check_zdr(self.zdr)
        object.__setattr__(self, "_headers", _rendered(self))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and copy as the fields (the copy validates and renders its headers again)."""
        return _restored, (self.__class__, {f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def coerce(cls, value: OptionsInput) -> GatewayOptions | None:
        """Accept a :class:`GatewayOptions`, a dict of its fields, or ``None``.

        Raises:
            GatewayConfigError: an unknown key or an invalid value.
        """
        if value is None or isinstance(value, GatewayOptions):
            return value
        if not isinstance(value, Mapping):
            raise GatewayConfigError(
                f"gateway_options must be a GatewayOptions or a dict, got {type(value).__name__}."
            )
        unknown = sorted(map(repr, set(value) - set(_HEADERS)))
        if unknown:
            raise GatewayConfigError(
                f"unknown gateway_options key(s) {', '.join(unknown)}; "
                f"known keys: {', '.join(_HEADERS)}."
            )
        return cls(**value)

    def merged(self, override: GatewayOptions | None) -> GatewayOptions:
        """These options with every field set in ``override`` replacing ours."""
        if override is None:
            return self
        changes = override.as_dict()
        return replace(self, **changes) if changes else self

    def headers(self) -> dict[str, str]:
        """The ``cf-aig-*`` headers (a fresh dict)."""
        return dict(self._headers)

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set."""
        return {name: getattr(self, name) for name in _HEADERS if getattr(self, name) is not None}


OptionsInput = GatewayOptions | Mapping[str, Any] | None


def _require_workers_ai(model: str, affinity: bool, busy: bool) -> None:
    if parse_model(model).kind is ModelKind.WORKERS_AI:
        return
    names = " and ".join(
        name for name, used in (("session_affinity", affinity), ("reject_if_busy", busy)) if used
    )
    verb = "apply" if affinity and busy else "applies"
    raise GatewayConfigError(
        f"{names} only {verb} to Workers AI models ('@cf/…', '@hf/…'): Cloudflare documents "
        f"x-session-affinity and options.rejectIfBusy for Workers AI only, and model {model!r} "
        "would receive them as a stray header or body field. Remove them, or use a Workers AI "
        "model such as '@cf/meta/llama-3.1-8b-instruct'."
    )


# Workers AI opt-ins that are not cf-aig-* headers — docs/wire-notes.md §1.2 [C]:
# prefix-cache affinity is a request header; fail-fast is a top-level body field.
SESSION_AFFINITY_HEADER = "x-session-affinity"
"""The request header carrying ``session_affinity``."""


def check_workers_ai_opt_ins(
    model: str | None, session_affinity: object = None, reject_if_busy: object = False
) -> None:
    """Refuse Workers AI opt-ins that cannot be sent, before any request.

    Args:
        model: the model the request goes to; ``None`` skips the model check.
        session_affinity: a session id (header ``x-session-affinity``) or ``None``.
        reject_if_busy: ``True`` to ask for a 429 instead of queueing (``False`` or ``None``:
            off).

    Raises:
        GatewayConfigError: ``session_affinity`` is empty or not printable ASCII,
            ``reject_if_busy`` is not a bool, or an opt-in is set for a model that is not a
            Workers AI model (``@cf/…``, ``@hf/…``): Cloudflare documents them for Workers AI
            only.
    """
    if reject_if_busy is not None and not isinstance(reject_if_busy, bool):
        raise GatewayConfigError(
            f"reject_if_busy must be True or False, got {type(reject_if_busy).__name__}."
        )
    if model is not None and (session_affinity is not None or reject_if_busy):
        _require_workers_ai(model, session_affinity is not None, bool(reject_if_busy))
    if session_affinity is not None and not (
        isinstance(session_affinity, str)
        and session_affinity
        and session_affinity.isprintable()
        and session_affinity.isascii()
    ):
        raise GatewayConfigError(
            "session_affinity must be a non-empty printable ASCII string (it is sent as the "
            "x-session-affinity header)."
        )


WORKERS_AI_EXTRAS_DEPRECATED = (
    "workers_ai_extras is deprecated and will be removed in the next release: pass "
    "session_affinity= and reject_if_busy= to ChatRequest (or to the LangChain / LlamaIndex model, "
    "at construction or per call), which checks them and writes the x-session-affinity header and "
    "the options.rejectIfBusy body field itself."
)
"""The warning of :func:`workers_ai_extras`."""


def workers_ai_extras(
    *,
    session_affinity: str | None = None,
    reject_if_busy: bool = False,
    model: str | None = None,
) -> tuple[dict[str, str], dict[str, Any]]:
    """Request headers and body fields for Workers AI's opt-ins.

    .. deprecated:: 0.1.0
        Pass ``session_affinity=`` and ``reject_if_busy=`` to :class:`ChatRequest` or to the
        adapters' models instead; they check the values the same way and write the header and
        the body field themselves. Removed in the next release.

    Args:
        session_affinity: a session id; requests with the same id reach the same model instance,
            so Workers AI can reuse its prompt cache (header ``x-session-affinity``).
        reject_if_busy: ask Workers AI to answer 429 / code 3040 at once when it is at capacity
            instead of queueing (body ``options.rejectIfBusy``).
        model: the model the request goes to; when given, both opt-ins require a Workers AI
            model (``@cf/…``, ``@hf/…``): Cloudflare documents them for Workers AI only.

    Returns:
        ``(extra_headers, extra_body)`` to pass to the client call and merge into the payload.

    Raises:
        GatewayConfigError: ``session_affinity`` is empty or not printable ASCII, or an opt-in is
            set for a model that is not a Workers AI model.
    """
    warnings.warn(WORKERS_AI_EXTRAS_DEPRECATED, DeprecationWarning, stacklevel=2)
    check_workers_ai_opt_ins(model, session_affinity, reject_if_busy)
    headers = {} if session_affinity is None else {SESSION_AFFINITY_HEADER: session_affinity}
    body: dict[str, Any] = {"options": {"rejectIfBusy": True}} if reject_if_busy else {}
    return headers, body


def add_reject_if_busy(payload: dict[str, Any]) -> None:
    """Set ``options.rejectIfBusy: true`` in a built body, keeping other ``options`` fields.

    A top-level body field on every endpoint a Workers AI model takes — docs/wire-notes.md §1.2.
    """
    options = payload.get("options")
    payload["options"] = {**(options if isinstance(options, Mapping) else {}), "rejectIfBusy": True}
