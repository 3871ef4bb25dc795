"""Pydantic helpers (and the core's input checks) the framework adapters share.

``HttpClient`` / ``AsyncHttpClient`` accept ``None`` or an ``httpx.Client`` /
``httpx.AsyncClient``. httpx is imported only when a client is passed (the caller has imported it
already), so importing an adapter does not cost httpx's import; type checkers see the httpx types.

:func:`strict_setting` is the "before" validator of the settings pydantic would otherwise coerce
(``max_retries="2"``, ``timeout=True``, ``allow_insecure_http="false"``…), and
:func:`unwrapped_config_errors` re-raises the ``GatewayConfigError`` a validator raised instead of
pydantic's ``ValidationError`` around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import PlainValidator, ValidationError, ValidationInfo

from cf_gateway_core.checks import (
    SETTING_NAMES,
    SealedHeaders,
    cannot_travel_message,
    check_extra_headers,
    check_setting,
    masked_headers,
)
from cf_gateway_core.errors import GatewayConfigError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "SETTING_NAMES",
    "AsyncHttpClient",
    "HttpClient",
    "SealedHeaders",
    "cannot_travel_message",
    "check_extra_headers",
    "masked_headers",
    "strict_setting",
    "unwrapped_config_errors",
]


def strict_setting(value: Any, info: ValidationInfo) -> Any:
    """The field's value unchanged, after the core's strict check for that setting.

    Raises:
        GatewayConfigError: naming the parameter (see :func:`unwrapped_config_errors`).
    """
    assert info.field_name is not None
    return check_setting(info.field_name, value)


@contextmanager
def unwrapped_config_errors() -> Iterator[None]:
    """Re-raise a ``GatewayConfigError`` that pydantic wrapped in a ``ValidationError``.

    The contract promises the ``GatewayConfigError`` itself (it names the keyword and the
    environment variable); other validation errors pass unchanged.
    """
    try:
        yield
    except ValidationError as exc:
        for error in exc.errors():
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, GatewayConfigError):
                raise cause from None
        raise


def _instance_of(name: str) -> Callable[[object], object]:
    """A validator accepting ``None`` or an instance of ``httpx.<name>``."""

    def check(value: object) -> object:
        if value is None:
            return None
        import httpx

        if not isinstance(value, getattr(httpx, name)):
            raise ValueError(f"expected an httpx.{name}, got {type(value).__name__}")
        return value

    return check


if TYPE_CHECKING:
    HttpClient: TypeAlias = httpx.Client | None
    AsyncHttpClient: TypeAlias = httpx.AsyncClient | None
else:  # pydantic resolves these at class creation: no httpx import needed
    HttpClient = Annotated[Any, PlainValidator(_instance_of("Client"))]
    AsyncHttpClient = Annotated[Any, PlainValidator(_instance_of("AsyncClient"))]
