"""Gateway error bodies: Cloudflare v4 error envelopes and the 2026 error answers.

The v4 envelope (``{"result": null, "success": false, "errors": [{"code", "message"}],
"messages": []}``, https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/) with
the codes and messages the gateway and Workers AI send (docs/wire-notes.md §4.3;
https://developers.cloudflare.com/ai-gateway/reference/errors/ and
https://developers.cloudflare.com/workers-ai/platform/errors/), and the error answers documented
in 2026 (docs/gateway-2026.md, "Errors"): the Policies spend cap's body, a rejected stored (BYOK)
provider key (401 / 2009) and rejected Unified Billing credentials (503).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BYOK_REJECTED",
    "CODE_MESSAGES",
    "CODE_STATUS",
    "CREDENTIALS_REJECTED",
    "ErrorAnswer",
    "error_envelope",
    "spend_cap_body",
]

# Cloudflare code -> HTTP status, for `error code=N` without status — docs/wire-notes.md §4.3.
CODE_STATUS: dict[int, int] = {
    10000: 401,
    2009: 401,
    2021: 402,
    5035: 403,
    7003: 404,
    3042: 404,
    3006: 413,
    2017: 422,
    2016: 424,
    2003: 429,
    3036: 429,
    3040: 429,
    4006: 429,
    2041: 429,
    2045: 429,
    5007: 400,
    8007: 400,
    3050: 503,
    7013: 503,
}

# Cloudflare code -> the message seen on the wire — docs/wire-notes.md §4.3, A3, A11, A12 [O].
CODE_MESSAGES: dict[int, str] = {
    10000: "Authentication error",
    2009: "Unauthorized",
    2021: "Insufficient balance; add money to your gateway or use BYOK",
    2003: "Rate limited",
    3040: "Capacity temporarily exceeded, please try again.",
    3036: "You have used up your daily free allocation of 10,000 neurons.",
    4006: (
        "AiError: AiError: you have used up your daily free allocation of 10,000 neurons, "
        "please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage."
    ),
    2045: "Spend limit exceeded: rule 'emulator' (cost limit 0.002 per 3600s, fixed)",
    2041: "Spend limit exceeded: rule 'emulator' (cost limit 100 per 604800s, sliding)",
    2016: "Prompt blocked due to security configurations",
    2017: "Response blocked due to security configurations",
    7003: "Model not found: {model}",
    5007: "No such model {model} or task",
    3050: "AiError: Max retries exhausted",
    8007: "AiError: AiError: Requested token count exceeds the model's maximum context length",
}


ErrorAnswer = tuple[int, int | None, str]
"""``(HTTP status, Cloudflare code or None, message)`` of an error answer."""

BYOK_REJECTED: ErrorAnswer = (401, 2009, "Unauthorized: the provider rejected the credentials")
"""The provider rejected the stored (BYOK) key (changelog 2026-10-05)."""
CREDENTIALS_REJECTED: ErrorAnswer = (
    503,
    None,
    "The provider rejected the Cloudflare-managed credentials (Unified Billing)",
)
"""The provider rejected Cloudflare's Unified Billing credentials (changelog 2026-10-05)."""


def error_envelope(code: int | None = None, message: str = "Error") -> dict[str, Any]:
    """Render a Cloudflare v4 error envelope.

    Args:
        code: the Cloudflare error code (left out when ``None``, as some answers do).
        message: the error message.

    Returns:
        ``{"result": null, "success": false, "errors": [{"code"?, "message"}], "messages": []}``.
    """
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["code"] = code
    return {"result": None, "success": False, "errors": [error], "messages": []}


def spend_cap_body(
    *, spent: float = 10.5, limit: float = 10.0, bucket: str = "emulator"
) -> dict[str, Any]:
    """Render the Policies spend cap's 429 body (no code; https://developers.cloudflare.com/ai-gateway/features/spend-limits/).

    Args:
        spent: the amount spent in the bucket.
        limit: the bucket's limit.
        bucket: the bucket's name.

    Returns:
        ``{"success": false, "error": {"message": "Spending limit exceeded", "bucket", "spent",
        "limit"}}``.
    """
    error = {"message": "Spending limit exceeded", "bucket": bucket, "spent": spent, "limit": limit}
    return {"success": False, "error": error}
