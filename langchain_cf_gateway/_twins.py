"""LangChain-flavoured errors: each core error class twinned with its ``langchain_core`` match.

Every class here inherits from the matching :mod:`cf_gateway_core.errors` class *and* the matching
:mod:`langchain_core.exceptions` class, so ``except cf_gateway_core.RateLimitError`` and ``except
langchain_core.exceptions.ModelRateLimitError`` both catch a rate limit. The twins mirror the core
tree (``CloudflareSpendLimitError`` is a ``CloudflareRateLimitError``, a context overflow is a
``CloudflareBadRequestError``). :func:`to_langchain_error` converts at the adapter boundary; it is a
table lookup. The adapter raises through :func:`langchain_cf_gateway._errors.translated`, which
imports this module on the first error (the classes are not needed to import the adapter).
"""

from __future__ import annotations

from langchain_core.exceptions import (
    ContextOverflowError as LCContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from cf_gateway_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContextOverflowError,
    GatewayError,
    GuardrailsBlockedError,
    InsufficientCreditsError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    ProviderCredentialsError,
    RateLimitError,
    SpendLimitError,
    StreamError,
)

__all__ = [
    "CloudflareAPIStatusError",
    "CloudflareAuthenticationError",
    "CloudflareBadRequestError",
    "CloudflareConnectionError",
    "CloudflareContextOverflowError",
    "CloudflareGuardrailsBlockedError",
    "CloudflareInsufficientCreditsError",
    "CloudflareInternalServerError",
    "CloudflareNotFoundError",
    "CloudflarePermissionDeniedError",
    "CloudflareProviderCredentialsError",
    "CloudflareRateLimitError",
    "CloudflareSpendLimitError",
    "CloudflareStreamError",
    "CloudflareTimeoutError",
    "to_langchain_error",
]


class CloudflareAPIStatusError(APIStatusError, ModelAPIError):
    """An error status without a more specific class."""


class CloudflareBadRequestError(BadRequestError, ModelInvalidRequestError):
    """400: the request was rejected."""


class CloudflareContextOverflowError(
    ContextOverflowError, CloudflareBadRequestError, LCContextOverflowError
):
    """400: the input is longer than the model's context window."""


class CloudflareAuthenticationError(AuthenticationError, ModelAuthenticationError):
    """401: the token is missing, invalid, or lacks the Workers AI permission."""


class CloudflareInsufficientCreditsError(InsufficientCreditsError, ModelError):
    """402: Unified Billing credits are exhausted (LangChain has no narrower class)."""


class CloudflarePermissionDeniedError(PermissionDeniedError, ModelPermissionDeniedError):
    """403: the account may not use this model or path."""


class CloudflareNotFoundError(NotFoundError, ModelNotFoundError):
    """404: unknown model or path."""


class CloudflareGuardrailsBlockedError(GuardrailsBlockedError, ModelInvalidRequestError):
    """422 / 424: Guardrails blocked the prompt or the response."""


class CloudflareRateLimitError(RateLimitError, ModelRateLimitError):
    """429: a rate limit or capacity error; retryable."""


class CloudflareSpendLimitError(SpendLimitError, CloudflareRateLimitError):
    """429: a gateway spend limit; not retryable (``is_retryable`` is ``False``)."""


class CloudflareInternalServerError(InternalServerError, ModelAPIError):
    """5xx: the gateway or the provider failed."""


class CloudflareProviderCredentialsError(ProviderCredentialsError, CloudflareInternalServerError):
    """503: the provider rejected the Unified Billing credentials; not retryable."""


class CloudflareConnectionError(APIConnectionError, ModelConnectionError):
    """No reply: connection refused, reset, DNS or TLS failure."""


class CloudflareTimeoutError(APITimeoutError, CloudflareConnectionError, ModelTimeoutError):
    """A connect, read, write or pool timeout fired."""


class CloudflareStreamError(StreamError, ModelAPIError):
    """A stream broke or carried an error event after it started (``partial_text`` kept)."""


# Most specific first: the lookup walks the raised class's MRO, so subclasses win.
_TWINS: dict[type[GatewayError], type[GatewayError]] = {
    ContextOverflowError: CloudflareContextOverflowError,
    BadRequestError: CloudflareBadRequestError,
    AuthenticationError: CloudflareAuthenticationError,
    InsufficientCreditsError: CloudflareInsufficientCreditsError,
    PermissionDeniedError: CloudflarePermissionDeniedError,
    NotFoundError: CloudflareNotFoundError,
    GuardrailsBlockedError: CloudflareGuardrailsBlockedError,
    SpendLimitError: CloudflareSpendLimitError,
    RateLimitError: CloudflareRateLimitError,
    ProviderCredentialsError: CloudflareProviderCredentialsError,
    InternalServerError: CloudflareInternalServerError,
    APIStatusError: CloudflareAPIStatusError,
    APITimeoutError: CloudflareTimeoutError,
    APIConnectionError: CloudflareConnectionError,
    StreamError: CloudflareStreamError,
}


def to_langchain_error(exc: GatewayError) -> GatewayError:
    """The LangChain twin of a core error, carrying the same attributes and message.

    Returns ``exc`` itself when it has no twin (for instance a :class:`GatewayConfigError`) or is
    already a twin. Callers raise the result ``from exc``.
    """
    if isinstance(exc, ModelError):
        return exc
    for cls in type(exc).__mro__:
        twin = _TWINS.get(cls)
        if twin is not None:
            # Copy the instance state instead of calling the constructor: the core classes take
            # different constructor arguments, and every attribute (status_code, code, body,
            # headers, log_id, partial_text…) must survive unchanged.
            converted = twin.__new__(twin)
            converted.__dict__.update(exc.__dict__)
            converted.args = exc.args
            return converted
    return exc
