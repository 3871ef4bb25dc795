"""Typed errors, and the classifier that turns an HTTP error reply into one.

The hierarchy::

    GatewayError
    ├── GatewayConfigError            bad arguments or missing configuration (raised before I/O)
    ├── APIConnectionError            the request did not get a reply (DNS, refused, reset, TLS…)
    │   └── APITimeoutError           connect / read / write / pool timeout
    ├── StreamError                   a stream broke, ended early or carried an error frame
    ├── InvalidToolCallError          a tool call's arguments are not complete JSON (LlamaIndex)
    └── APIStatusError                the gateway answered with an error status
        ├── BadRequestError           400 (and other 4xx without a class of their own)
        │   └── ContextOverflowError  400 whose message says the context window was exceeded
        ├── AuthenticationError       401 (codes 10000, 2009)
        ├── InsufficientCreditsError  402 (code 2021)
        ├── PermissionDeniedError     403
        ├── NotFoundError             404 (code 7003: model not found)
        ├── GuardrailsBlockedError    422 / 424 (codes 2016, 2017)
        ├── RateLimitError            429 (codes 2003, 3040, 3036, 4006)
        │   └── SpendLimitError       429 (codes 2041, 2045; the Policies spend cap without code)
        └── InternalServerError       5xx
            └── ProviderCredentialsError  503: Unified Billing credentials rejected upstream

A Cloudflare error code, when present, decides the class before the HTTP status does. No message
or ``repr`` contains the API token: errors are built from the reply, never from the request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ContextOverflowError",
    "GatewayConfigError",
    "GatewayError",
    "GuardrailsBlockedError",
    "InsufficientCreditsError",
    "InternalServerError",
    "InvalidToolCallError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderCredentialsError",
    "RateLimitError",
    "SpendLimitError",
    "StreamError",
    "error_from_response",
    "parse_error_body",
]


class GatewayError(Exception):
    """Root of every error this package raises."""

    is_retryable: ClassVar[bool] = False


class GatewayConfigError(GatewayError, ValueError):
    """Missing or invalid configuration; the message names the keyword and environment variable."""


class APIConnectionError(GatewayError):
    """The request did not get an HTTP reply (refused, reset, DNS, TLS…)."""

    is_retryable = True

    def __init__(self, message: str = "Connection error.") -> None:
        """Create the error with a message that says what failed."""
        super().__init__(message)
        self.message = message


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout fired."""

    def __init__(self, message: str = "Request timed out.") -> None:
        """Create the error with a message that says which timeout fired."""
        super().__init__(message)


class StreamError(GatewayError):
    """A stream broke, ended before its format's end signal, or carried an error event.

    ``partial_text`` holds the answer text received before the failure; ``code`` is the
    Cloudflare (or provider) error code an error frame named, else ``None``.
    """

    def __init__(
        self, message: str, *, partial_text: str = "", body: object = None, code: int | None = None
    ) -> None:
        """Create the error, keeping the text received so far."""
        super().__init__(message)
        self.message = message
        self.partial_text = partial_text
        self.body = body
        self.code = code


class InvalidToolCallError(GatewayError, ValueError):
    """A reply's tool call whose arguments are not a complete JSON object.

    Raised where a framework would otherwise run the call with guessed arguments. The usual cause is
    a reply cut off inside the call (``finish_reason == "length"``: raise ``max_tokens``).

    Attributes:
        tool_calls: each invalid call as a dict: ``id``, ``name``, ``args`` (the raw argument
            text) and ``error`` (why it does not parse).
        finish_reason: the reply's finish reason.
    """

    def __init__(
        self,
        message: str,
        *,
        tool_calls: tuple[Mapping[str, Any], ...] = (),
        finish_reason: str | None = None,
    ) -> None:
        """Create the error for the invalid ``tool_calls`` of a reply."""
        super().__init__(message)
        self.message = message
        self.tool_calls = tool_calls
        self.finish_reason = finish_reason


class APIStatusError(GatewayError):
    """The gateway answered with an error status.

    Attributes:
        status_code: the HTTP status.
        code: the Cloudflare (or provider) error code, or ``None``.
        message: the error message from the body (or a summary of a non-JSON body).
        body: the parsed JSON body, or the text of a non-JSON body.
        headers: response headers, lowercased.
        request_id: ``cf-aig-request-id`` / ``cf-ray`` when present.
        log_id: ``cf-aig-log-id`` when present.
        hint: what the error usually means and what to do, for codes whose message alone
            misleads (shown after the message in ``str(error)``), or ``None``.
    """

    hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: int | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Create the error from the parts of an error reply."""
        self.status_code = status_code
        self.code = code
        self.message = message
        self.body = body
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.log_id = self.headers.get("cf-aig-log-id")
        self.request_id = self.headers.get("cf-aig-request-id") or self.headers.get("cf-ray")
        self.hint = (_HINTS.get(code) if code is not None else None) or type(self).hint
        code_text = f", code {code}" if code is not None else ""
        hint_text = f" ({self.hint})" if self.hint else ""
        super().__init__(f"HTTP {status_code}{code_text}: {message}{hint_text}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle/copy support (the keyword-only constructor defeats ``Exception``'s default)."""
        return (
            _rebuild_status_error,
            (type(self), self.message, self.status_code, self.code, self.body, self.headers),
        )

    def __repr__(self) -> str:
        """Status, code and message; never the request (which carries the token)."""
        return (
            f"{type(self).__name__}(status_code={self.status_code}, code={self.code}, "
            f"message={self.message!r})"
        )


def _rebuild_status_error(
    cls: type[APIStatusError],
    message: str,
    status_code: int,
    code: int | None,
    body: object,
    headers: Mapping[str, str],
) -> APIStatusError:
    return cls(message, status_code=status_code, code=code, body=body, headers=headers)


class BadRequestError(APIStatusError):
    """400: the request was rejected (schema, unsupported parameter…)."""


class ContextOverflowError(BadRequestError):
    """400: the input is longer than the model's context window."""


class AuthenticationError(APIStatusError):
    """401: the token is missing, invalid, or lacks the Workers AI Read permission."""


class InsufficientCreditsError(APIStatusError):
    """402: Unified Billing credits are exhausted."""


class PermissionDeniedError(APIStatusError):
    """403: the account may not use this model or path."""


class NotFoundError(APIStatusError):
    """404: unknown model (code 7003) or path."""


class GuardrailsBlockedError(APIStatusError):
    """422 / 424: Guardrails blocked the prompt or the response."""


class RateLimitError(APIStatusError):
    """429: a gateway rate limit, Workers AI capacity, or the daily free allocation."""

    is_retryable = True


class SpendLimitError(RateLimitError):
    """429: a gateway spend limit; waiting a few seconds will not help.

    Attributes:
        spent: the amount spent in the limit's window, when the reply says (the Policies spend
            cap's ``error.spent``), else ``None``.
        limit: the limit (``error.limit``, or the ``cost limit N`` of a code 2041/2045 message),
            else ``None``.
        bucket: the Policies bucket the cap belongs to (``error.bucket``), else ``None``.
    """

    is_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: int | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Create the error; ``spent``, ``limit`` and ``bucket`` are read from the body."""
        super().__init__(message, status_code=status_code, code=code, body=body, headers=headers)
        detail = body.get("error") if isinstance(body, Mapping) else None
        detail = detail if isinstance(detail, Mapping) else {}
        self.spent = _as_number(detail.get("spent"))
        self.limit = _as_number(detail.get("limit"))
        self.bucket = detail.get("bucket") if isinstance(detail.get("bucket"), str) else None
        if self.limit is None:
            found = re.search(_COST_LIMIT, message)
            self.limit = float(found.group(1)) if found else None


class InternalServerError(APIStatusError):
    """5xx: the gateway or the provider failed."""

    is_retryable = True


class ProviderCredentialsError(InternalServerError):
    """503: the upstream provider rejected the Cloudflare-managed (Unified Billing) credentials.

    Retrying cannot help (AI Gateway changelog 2026-10-05), so it is not retried.
    """

    is_retryable = False
    hint = (
        "the provider rejected the Cloudflare-managed Unified Billing credentials; retrying "
        "will not help. Store your own provider key on the gateway (BYOK) or try again later"
    )


# A Cloudflare code decides the class before the status — docs/wire-notes.md §4.3.
_CODE_ERRORS: dict[int, type[APIStatusError]] = {
    10000: AuthenticationError,
    2009: AuthenticationError,
    2021: InsufficientCreditsError,
    2003: RateLimitError,
    3040: RateLimitError,
    3036: RateLimitError,
    4006: RateLimitError,
    2041: SpendLimitError,
    2045: SpendLimitError,
    2016: GuardrailsBlockedError,
    2017: GuardrailsBlockedError,
    7003: NotFoundError,
    3042: NotFoundError,
    # Workers AI "No such model … or task", sent with HTTP 400 (Workers AI errors page).
    5007: NotFoundError,
}

# Codes whose message alone misleads: a hint shown after it — docs/gateway-2026.md.
_HINTS: dict[int, str] = {
    2009: (
        "on /ai/run this also means the upstream provider rejected the provider key stored on "
        "the gateway (BYOK): check it under AI Gateway > Provider Keys; otherwise check the API "
        "token and its Account > Workers AI > Read permission"
    ),
}
# 8007 is not in the table: its one observed body wraps an upstream "maximum context length"
# error (docs/wire-notes.md §4.3, A12 [O] TP-8007), but the code itself looks like a generic
# "upstream inference error"; the message decides ContextOverflowError (_CONTEXT_OVERFLOW).

# Codes whose class depends on the status too (7003 is "model not found" on 404 but
# "schema validation" on 400).
_CODE_NEEDS_STATUS: dict[int, int] = {7003: 404}

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: GuardrailsBlockedError,
    424: GuardrailsBlockedError,
    429: RateLimitError,
}

# OpenAI / vLLM ("maximum context length", code 8007 — docs/wire-notes.md §4.3 [O] TP-8007),
# Anthropic ("prompt is too long"), Gemini ("The input token count … exceeds …"). This and
# _TEXT_CODE are pattern text: re compiles (and caches) them on an error path, not at import.
_CONTEXT_OVERFLOW = (
    r"(?i)context.length|context window|maximum context|prompt is too long|too many tokens|"
    r"exceeds the model|input token count"
)


# The Policies spend cap: 429 without a code, {"error": {"message": "Spending limit exceeded",
# "bucket", "spent", "limit"}} — docs/gateway-2026.md. Pattern texts, compiled on an error path.
_SPEND_CAP = r"(?i)spending limit exceeded|spend limit exceeded"
_COST_LIMIT = r"cost limit ([0-9]+(?:\.[0-9]+)?)"
# A 503 that says credentials were rejected: Unified Billing's upstream credential failure.
_CREDENTIALS = r"(?i)credential|api[ _-]?key|unauthori[sz]ed|authenticat"

_NO_MESSAGE = "The gateway returned an error without a message."
_HTML_SUMMARY = "the server returned an HTML error page (a proxy or edge error, not the API)"
_SUMMARY_CHARS = 300
# Plain-text edge errors: "error code: 1010" — docs/wire-notes.md §4.3 [O] TP-PREPROVIDER.
_TEXT_CODE = r"(?i)error code:?\s*([0-9]{1,9})\b"
_MAX_CODE_DIGITS = 9


def _first_error(body: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """Code and message from any of the JSON error shapes Cloudflare and providers use.

    v4 ``errors[]``, legacy ``error[]`` + ``internalCode`` (docs/wire-notes.md §4.1 [O]),
    provider ``{"error": {"type", "message", "code"}}`` and ``{"error": "text"}``.
    """
    fallback = _as_code(body.get("internalCode")) or _as_code(body.get("code"))
    for key in ("errors", "error"):
        value = body.get(key)
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            item = value[0]
            return _as_code(item.get("code")) or fallback, _as_text(item.get("message"))
        if isinstance(value, Mapping):
            return _as_code(value.get("code")) or fallback, _as_text(value.get("message"))
        if isinstance(value, str) and value:
            return fallback, value
    return fallback, _as_text(body.get("message"))


def _as_code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**_MAX_CODE_DIGITS else None
    # ASCII digits only: str.isdigit() also accepts "²", which int() rejects.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value) if len(value) <= _MAX_CODE_DIGITS else None
    return None


def _as_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _as_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _load_json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON.
        return text


def parse_error_body(content: bytes) -> tuple[object, int | None, str]:
    """Parse an error body into ``(body, code, message)``; never raises.

    Accepts v4 envelopes (``errors[]``), legacy ``error`` (singular) bodies, provider-style
    ``{"error": {...}}`` bodies and non-JSON text such as ``error code: 1010`` or an HTML page.
    """
    text = bytes(content).decode("utf-8", errors="replace")
    body = _load_json(text)
    if isinstance(body, Mapping):
        code, message = _first_error(body)
        return body, code, message or _NO_MESSAGE
    match = re.search(_TEXT_CODE, text)
    lowered = text[:1024].lower()
    if "<html" in lowered or "<!doctype html" in lowered:
        summary = _HTML_SUMMARY
    else:
        summary = " ".join(text[: _SUMMARY_CHARS * 4].split())[:_SUMMARY_CHARS] or "empty body"
    return body, int(match.group(1)) if match else None, summary


def _error_class(status: int, code: int | None, message: str) -> type[APIStatusError]:
    cls: type[APIStatusError] | None = None
    if code is not None and _CODE_NEEDS_STATUS.get(code, status) == status:
        cls = _CODE_ERRORS.get(code)
    if cls is None and code is None:
        cls = _uncoded_class(status, message)
    if cls is None:
        cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else BadRequestError
    if cls is BadRequestError and re.search(_CONTEXT_OVERFLOW, message):
        cls = ContextOverflowError
    return cls


def _uncoded_class(status: int, message: str) -> type[APIStatusError] | None:
    """Replies the gateway sends without a code, recognised by status and message."""
    if status == 429 and re.search(_SPEND_CAP, message):
        return SpendLimitError
    if status == 503 and re.search(_CREDENTIALS, message):
        return ProviderCredentialsError
    return None


def error_from_response(
    status_code: int, headers: Mapping[str, str], content: bytes
) -> APIStatusError:
    """Classify an error reply into the matching :class:`APIStatusError` subclass."""
    body, code, message = parse_error_body(content)
    cls = _error_class(status_code, code, message)
    return cls(message, status_code=status_code, code=code, body=body, headers=headers)
