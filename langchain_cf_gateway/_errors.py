"""Error translation, in one place: core errors become their LangChain twins at the boundary.

Every LangChain method that talks to the gateway runs its I/O inside :func:`translated`, a context
manager that works the same in sync and async functions and in (async) generators: a core HTTP,
connection or stream error (:data:`TRANSLATED_ERRORS`) is re-raised as the twin class of
:mod:`langchain_cf_gateway._twins` (a ``cf_gateway_core`` error *and* a
``langchain_core.exceptions`` error), chained ``from`` the original. Configuration errors pass
unchanged. The twins are imported on the first error; the twin classes are also reachable here
under their names (``langchain_cf_gateway._errors.CloudflareRateLimitError``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cf_gateway_core import APIConnectionError, APIStatusError, GatewayError, StreamError

__all__ = ["TRANSLATED_ERRORS", "to_langchain_error", "translated"]

TRANSLATED_ERRORS: tuple[type[GatewayError], ...] = (
    APIStatusError,
    APIConnectionError,
    StreamError,
)
"""The core errors that have a LangChain twin (configuration errors pass unchanged)."""


def to_langchain_error(exc: GatewayError) -> GatewayError:
    """The LangChain twin of a core error (``exc`` itself when it has none).

    The twin carries the same attributes and message; callers raise it ``from exc``.
    """
    from langchain_cf_gateway._twins import to_langchain_error as twin

    return twin(exc)


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise a core HTTP, connection or stream error as its LangChain twin.

    Use it around the I/O of sync and async methods and inside (async) generators::

        with translated():
            reply = self._client.chat(request)

    Raises:
        GatewayError: the twin of the error raised inside the block, ``from`` the original.
    """
    try:
        yield
    except TRANSLATED_ERRORS as exc:
        raise to_langchain_error(exc) from exc


def __getattr__(name: str) -> Any:
    """The twin classes by name, imported on first use."""
    if not name.startswith("Cloudflare"):  # e.g. the import system's __path__ probe
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from langchain_cf_gateway import _twins

    if name in _twins.__all__:
        return getattr(_twins, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
