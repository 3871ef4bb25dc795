"""Input checks shared by the core clients and both adapters.

Each refuses a bad value with a :class:`GatewayConfigError` that names the parameter, before any
request is sent.

Also here: :class:`RequestHeaders`, the request's header mapping, whose ``repr`` never shows the
``Authorization`` value (a request's headers sit in frame locals that error trackers capture).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from cf_gateway_core.errors import GatewayConfigError

if TYPE_CHECKING:
    from cf_gateway_core.messages import ChatRequest
    from cf_gateway_core.routing import Route

__all__ = [
    "RESERVED_HEADERS",
    "RequestHeaders",
    "SealedHeaders",
    "cannot_travel_message",
    "check_chat_request",
    "check_extra_headers",
    "check_flag",
    "check_sampling",
    "check_setting",
    "closest_name",
    "masked_headers",
]

_MASK = "**********"

RESERVED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
    }
)
"""Headers ``extra_headers`` may not set: the credential and the message framing are the
client's (a per-call ``Authorization`` would send some other secret, or replace the token)."""

# RFC 9110 field-name: a token (tchar+).
_HEADER_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"


class RequestHeaders(dict[str, str]):
    """A request's headers (lower-case names); ``repr`` masks the credential headers."""

    __slots__ = ()

    def __repr__(self) -> str:
        """The headers with the ``Authorization`` value masked."""
        return repr(masked_headers(self, ("authorization", "proxy-authorization")))

    __str__ = __repr__

    def copy(self) -> RequestHeaders:
        """A copy of the same type."""
        return RequestHeaders(self)


class SealedHeaders(dict[str, str]):
    """Per-call ``extra_headers`` on their way through a framework's callbacks and events.

    As a ``dict`` it holds the header names with masked values, so whatever a callback handler,
    an instrumentation event or a tracer prints or serializes shows no value;
    :func:`check_extra_headers` takes the real values from it.
    """

    __slots__ = ("_real",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        """Seal ``headers`` (checked later, where they are sent)."""
        super().__init__(dict.fromkeys(headers, _MASK))
        self._real = headers

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles keep only the masked view."""
        return (dict, (dict(self),))


def masked_headers(headers: Mapping[str, str], names: object = None) -> dict[str, str]:
    """``headers`` with the values of ``names`` (every value if ``None``) masked."""
    if names is None:
        return dict.fromkeys(headers, _MASK)
    assert isinstance(names, tuple)
    return {k: (_MASK if k.lower() in names else v) for k, v in headers.items()}


def check_extra_headers(headers: object) -> dict[str, str]:
    """Per-call ``extra_headers`` as lower-case names; refuses what cannot or must not be sent.

    Raises:
        GatewayConfigError: not a mapping of strings; a name that is not an HTTP token; a value
            with non-ASCII, control characters or CR/LF; a reserved header (``Authorization``…).
    """
    if isinstance(headers, SealedHeaders):
        headers = headers._real
    if not isinstance(headers, Mapping):
        raise GatewayConfigError(
            f"extra_headers must be a dict of header name -> string, got {type(headers).__name__}."
        )
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not re.fullmatch(_HEADER_NAME, name):
            raise GatewayConfigError(
                f"extra_headers: {name!r} is not a valid HTTP header name (ASCII letters, digits "
                "and -_.!#$%&'*+^`|~ only)."
            )
        lower = name.lower()
        if lower in RESERVED_HEADERS:
            raise GatewayConfigError(
                f"extra_headers may not set {name!r}: the client sets it itself. The API token "
                "is passed as api_token= (or CLOUDFLARE_API_TOKEN), never as a header."
            )
        # Printable ASCII (spaces allowed): no CR/LF (header injection), no other control
        # characters, nothing httpx could not encode. The value itself is not echoed.
        if not isinstance(value, str) or not (value.isascii() and value.isprintable()):
            kind = type(value).__name__ if not isinstance(value, str) else "string"
            raise GatewayConfigError(
                f"extra_headers[{name!r}] must be a string of printable ASCII characters (no "
                f"CR/LF or other control characters, no non-ASCII); got a {kind} that is not."
            )
        checked[lower] = value
    return checked


def check_flag(value: object, keyword: str) -> bool:
    """A strict boolean: ``"false"`` is truthy and ``"no"`` would silently mean something else.

    Raises:
        GatewayConfigError: ``value`` is not ``True`` or ``False``.
    """
    if not isinstance(value, bool):
        raise GatewayConfigError(f"{keyword} must be True or False, got {value!r}.")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_max_tokens(value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise GatewayConfigError(
            f"max_tokens must be a positive integer (or None to leave it unset), got {value!r}."
        )


def _check_top_p(value: object) -> None:
    # OpenAI, Anthropic and Workers AI all document top_p in [0, 1].
    if value is not None and (not _is_number(value) or not 0 <= value <= 1):  # type: ignore[operator]
        raise GatewayConfigError(
            f"top_p must be a number between 0 and 1 (or None to leave it unset), got {value!r}."
        )


def _check_temperature(value: object) -> None:
    # The upper bound differs by provider (OpenAI 2, Anthropic 1, Workers AI up to 5): the
    # server judges it; a negative, NaN or infinite value is wrong everywhere.
    if value is not None and (
        not _is_number(value) or not math.isfinite(value) or value < 0  # type: ignore[arg-type,operator]
    ):
        raise GatewayConfigError(
            f"temperature must be a finite number >= 0 (or None to leave it unset), got {value!r}."
        )


def check_sampling(*, temperature: object, max_tokens: object, top_p: object) -> None:
    """Refuse sampling values no provider accepts (checked again for every request).

    Raises:
        GatewayConfigError: naming the parameter.
    """
    _check_temperature(temperature)
    _check_max_tokens(max_tokens)
    _check_top_p(top_p)


def _check_retries(value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise GatewayConfigError(f"max_retries must be an integer, got {value!r}.")


def _check_timeout(value: object) -> None:
    if value is not None and not _is_number(value):
        raise GatewayConfigError(
            f"timeout must be a number of seconds (or None for no timeout), got {value!r}."
        )


def _flag(keyword: str) -> Callable[[object], None]:
    def check(value: object) -> None:
        check_flag(value, keyword)

    return check


# adapter field -> its check, for values as the caller passed them (before pydantic coerces
# "2" to 2 or "false" to False). Ranges of timeout and max_retries are checked by GatewayConfig.
_SETTINGS: dict[str, Callable[[object], None]] = {
    "max_retries": _check_retries,
    "timeout": _check_timeout,
    "allow_insecure_http": _flag("allow_insecure_http"),
    "fast_transport": _flag("fast_transport"),
    "streaming": _flag("streaming"),
    "reject_if_busy": _flag("reject_if_busy"),
    "max_tokens": _check_max_tokens,
    "top_p": _check_top_p,
    "temperature": _check_temperature,
}
SETTING_NAMES = tuple(_SETTINGS)


def check_setting(name: str, value: Any) -> Any:
    """An adapter field's value, unchanged, after its strict check (a pydantic "before" hook).

    Raises:
        GatewayConfigError: naming the parameter.
    """
    _SETTINGS[name](value)
    return value


def _check_tool_arguments(request: ChatRequest) -> None:
    from cf_gateway_core.messages import ToolCallPart

    for message in request.messages:
        for part in message.parts:
            if not isinstance(part, ToolCallPart):
                continue
            try:
                json.dumps(part.arguments, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise GatewayConfigError(
                    f"The arguments of tool call {part.name!r} (id {part.id!r}) in the message "
                    f"history cannot be sent as JSON ({exc}); pass finite numbers and JSON values."
                ) from None


def check_chat_request(request: ChatRequest, route: Route) -> None:
    """Refuse a request no server would answer usefully, before it is sent.

    Raises:
        GatewayConfigError: no messages, a message that is not a ``Message`` (or only
            system messages on an Anthropic Messages body), bad sampling values, Workers AI
            opt-ins for another model, or tool-call arguments JSON cannot carry.
    """
    if not request.messages:
        raise GatewayConfigError(
            "messages is empty: pass at least one message (e.g. a user message)."
        )
    from cf_gateway_core.messages import Message

    for position, message in enumerate(request.messages):
        if not isinstance(message, Message):
            raise GatewayConfigError(
                f"messages[{position}] must be a cf_gateway_core.Message (e.g. "
                f"Message.user('...')), got {type(message).__name__}."
            )
    if route.anthropic_body and all(m.role == "system" for m in request.messages):
        raise GatewayConfigError(
            "The Anthropic Messages API needs at least one user message besides the system "
            "prompt; add a user message."
        )
    check_sampling(
        temperature=request.temperature, max_tokens=request.max_tokens, top_p=request.top_p
    )
    if request.session_affinity is not None or request.reject_if_busy:
        from cf_gateway_core.options import check_workers_ai_opt_ins

        check_workers_ai_opt_ins(request.model, request.session_affinity, request.reject_if_busy)
    _check_tool_arguments(request)


HINT_CUTOFF = 0.75
"""Similarity for a "did you mean" hint on a name that is refused anyway (a wrong hint costs a
glance, a missing one a search through the docs)."""

STRICT_CUTOFF = 0.8
"""Similarity at which a name that would otherwise be accepted (a per-call body field, an unrelated
environment variable) is flagged as a misspelling of another: stricter than the hint, as a false
match turns a good name into an error."""


def closest_name(name: str, names: Collection[str], *, cutoff: float) -> str | None:
    """The one of ``names`` that ``name`` most likely misspells, or ``None``.

    Case is ignored; the same words in another order (``token_api`` for ``api_token``) match;
    otherwise the closest by :func:`difflib.get_close_matches` at ``cutoff`` (see
    :data:`HINT_CUTOFF` and :data:`STRICT_CUTOFF`).
    """
    folded = {known.lower(): known for known in sorted(names)}
    key = name.lower()
    by_words = {tuple(sorted(known.split("_"))): known for known in folded}
    reordered = by_words.get(tuple(sorted(key.split("_"))))
    if reordered is not None:
        return folded[reordered]
    import difflib  # only when a name is wrong

    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None


def cannot_travel_message(owner: str, keyword: str) -> str:
    """Why an object built with a caller-owned httpx client cannot be pickled, and what to do."""
    return (
        f"{owner} was built with a caller-owned {keyword}=, which cannot be pickled (an httpx "
        "client holds sockets, locks and an SSL context, and belongs to the process that made "
        f"it). Leave {keyword} unset to send the object to another process (it then builds its "
        f"own HTTP clients there), or build the object where it runs, passing that process's "
        f"own {keyword}=. copy.copy and copy.deepcopy share a caller-owned client instead."
    )
