"""Pydantic field types the framework adapters share for caller-owned httpx clients.

``HttpClient`` / ``AsyncHttpClient`` accept ``None`` or an ``httpx.Client`` /
``httpx.AsyncClient``. httpx is imported only when a client is passed (the caller has imported it
already), so importing an adapter does not cost httpx's import; type checkers see the httpx types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import PlainValidator

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncHttpClient", "HttpClient"]


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
