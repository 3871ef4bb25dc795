"""Retry policy: which failures to retry and how long to wait. Pure; the client sleeps.

Retried: connection errors and timeouts, HTTP 408, 409, 429 (except spend limits) and 5xx.
``Retry-After`` (seconds or an HTTP date) and ``retry-after-ms`` are honoured up to a cap;
otherwise (also when the value is negative, NaN, infinite or a past date) the wait is
exponential with jitter. Nothing is retried once a stream has yielded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cf_gateway_core._values import value_class
from cf_gateway_core.errors import APIStatusError, GatewayError

__all__ = ["RetryPolicy"]

# Retried whatever their class says — Cloudflare's own classifier (docs/wire-notes.md §4.3 notes).
_RETRY_STATUSES = frozenset({408, 409})
# Never retried although 429: the daily free allocation resets tomorrow, not in seconds (§4.3).
_FINAL_CODES = frozenset({3036, 4006})
_MAX_EXPONENT = 64


def _usable(seconds: float) -> float | None:
    """``seconds`` if it is a wait at all: finite and not negative (not nan, -5, inf)."""
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds asked for by ``retry-after-ms`` or ``retry-after``.

    Returns:
        The seconds, or ``None`` when absent or not usable (negative, NaN, infinite,
        unparsable, or a date already past), so the normal backoff applies instead of an
        immediate retry.
    """
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            seconds = _usable(float(value) / 1000.0)
        except ValueError:
            seconds = None
        if seconds is not None:
            return seconds
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return _usable(float(value))
    except ValueError:
        pass
    # An HTTP date is rare: email.utils (with socket, datetime, calendar…) is imported only then.
    from email.utils import parsedate_to_datetime

    try:
        seconds = parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return seconds if seconds > 0 else None


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RetryPolicy:
    """How often and how long to retry.

    Attributes:
        max_retries: retries after the first attempt.
        initial_delay: first backoff, seconds; doubled per retry.
        max_delay: cap of the computed backoff, seconds.
        max_retry_after: a server-requested wait longer than this is not honoured (the error
            is raised instead of sleeping for minutes).
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def is_retryable(self, error: GatewayError) -> bool:
        """Whether ``error`` is worth another attempt."""
        if isinstance(error, APIStatusError):
            if error.code in _FINAL_CODES:
                return False
            if error.status_code in _RETRY_STATUSES:
                return True
        return type(error).is_retryable

    def next_delay(self, attempt: int, error: GatewayError) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or ``None`` to give up."""
        if attempt >= self.max_retries or not self.is_retryable(error):
            return None
        if isinstance(error, APIStatusError):
            wanted = _retry_after(error.headers)
            if wanted is not None:
                if wanted > self.max_retry_after:
                    return None
                return max(0.0, wanted)
        # The exponent is capped so a huge attempt number cannot overflow.
        backoff = min(self.initial_delay * (2.0 ** min(attempt, _MAX_EXPONENT)), self.max_delay)
        import random  # only when retrying: not a cost of importing the package

        return backoff * (1.0 - 0.25 * random.random())
