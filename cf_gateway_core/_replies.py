"""What the sync and async ``_send`` loops decide about a reply whose headers arrived.

Whether to read its body now or leave it to the stream, and which error a failed body read or an
unexpected status is. Pure decisions, no I/O, so both clients share them.

A non-stream reply (and a ``stream=true`` request answered with JSON) is read inside the retry
loop: a body cut short, a stall mid-body, a corrupt gzip/deflate encoding or a bad chunk size is
an :class:`~cf_gateway_core.errors.APIConnectionError` (or :class:`APITimeoutError`) and is
retried like a failure before the headers, since nothing has reached the caller yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cf_gateway_core._lazy import LazyModule
from cf_gateway_core.errors import APIConnectionError, APIStatusError, APITimeoutError

if TYPE_CHECKING:
    import httpx

    from cf_gateway_core._base import Prepared, Reply
else:
    httpx = LazyModule("httpx", globals())

__all__ = ["is_sse", "read_error", "read_errors", "streams_body", "unexpected_status"]

# 2xx statuses that carry no body (RFC 9110 §15.3.5, §15.3.6).
_NO_CONTENT = frozenset({204, 205})

# Unexpected status -> what it means here (any other 1xx/3xx: "an unexpected status").
_STATUS_MEANINGS: dict[int, str] = {
    204: "a reply with no content",
    205: "a reply with no content",
    304: "'not modified', with no content",
}


def read_errors() -> tuple[type[Exception], ...]:
    """The httpx errors a body read raises: transport failures and content decoding errors."""
    return (httpx.TransportError, httpx.DecodingError)


def read_error(exc: Exception) -> APIConnectionError:
    """The retryable error for a body that could not be read after good headers."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"The reply stalled before its body was complete ({name}).")
    if isinstance(exc, httpx.DecodingError):
        return APIConnectionError(f"The reply's body could not be decoded ({name}: {exc}).")
    return APIConnectionError(f"The connection broke while the reply was read ({name}: {exc}).")


def is_sse(response: Reply) -> bool:
    """Whether the reply is an event stream."""
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("text/event-stream")


def streams_body(prepared: Prepared, response: Reply) -> bool:
    """Whether the body is left unread for the stream to decode (a 2xx event stream)."""
    status = response.status_code
    return (
        prepared.stream and 200 <= status < 300 and status not in _NO_CONTENT and is_sse(response)
    )


def unexpected_status(response: Reply) -> APIStatusError | None:
    """The error for a status below 400 that is no usable reply (1xx, 3xx, 204, 205).

    Redirects are not followed (the token would travel along), so a 3xx names its ``Location``.

    Returns:
        The error, or ``None`` for an ordinary 2xx.
    """
    status = response.status_code
    if 200 <= status < 300 and status not in _NO_CONTENT:
        return None
    meaning = _STATUS_MEANINGS.get(status, "an unexpected status")
    location = response.headers.get("location")
    if 300 <= status < 400 and status != 304:
        meaning = (
            f"a redirect to {location!r}" if location else "a redirect without a Location"
        ) + "; redirects are not followed, so the API token never leaves the configured host: "
        meaning += "check base_url"
    return APIStatusError(
        f"the gateway answered with {meaning}, not a model reply.",
        status_code=status,
        headers=dict(response.headers),
    )
