"""The connection fields of the LangChain classes beyond chat (reranker, feedback, media tools).

:class:`ServiceFields` declares the README's connection settings (``account_id``, ``api_token``
alias ``api_key``, ``gateway_id``, ``base_url``, ``timeout``, ``max_retries``,
``gateway_options``, ``allow_insecure_http``, ``http_client``, ``http_async_client``) and
resolves them at construction into a core ``GatewaySession`` (explicit > environment > a
``GatewayConfigError`` naming keyword and variable), which builds each core client on first use.
:func:`translated` turns the core's HTTP and connection errors into the LangChain twins the chat
model raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, SkipValidation

from cf_gateway_core import AsyncGatewayClient, GatewayClient, GatewayOptions
from cf_gateway_core.pydantic_fields import AsyncHttpClient, HttpClient
from cf_gateway_core.session import GatewaySession
from langchain_cf_gateway._connection import TRANSLATED_ERRORS, to_langchain_error

__all__ = ["ServiceFields", "translated"]


@contextmanager
def translated() -> Iterator[None]:
    """Raise the LangChain twin of a core HTTP/connection error (config errors pass as they are)."""
    try:
        yield
    except TRANSLATED_ERRORS as exc:
        raise to_langchain_error(exc) from exc


class ServiceFields(BaseModel):
    """Connection settings and core clients of a non-chat LangChain class."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    account_id: str | None = None
    """Cloudflare account id; default ``CLOUDFLARE_ACCOUNT_ID``."""
    api_token: SecretStr | None = Field(default=None, alias="api_key", exclude=True, repr=False)
    """API token; default ``CLOUDFLARE_API_TOKEN``. Never shown or serialised."""
    gateway_id: str | None = None
    """Gateway id (header ``cf-aig-gateway-id``); default ``CLOUDFLARE_GATEWAY_ID``."""
    base_url: str | None = None
    """API base; default ``CLOUDFLARE_API_BASE_URL``, else the public API."""
    timeout: float | None = 60.0
    """Seconds per request; ``None`` for no timeout."""
    max_retries: int = 2
    """Retries of failed requests (429, 5xx, connection errors)."""
    gateway_options: SkipValidation[GatewayOptions | dict[str, Any] | None] = None
    """Gateway features as ``cf-aig-*`` headers on model calls."""
    allow_insecure_http: bool = False
    """Permit a plain ``http://`` base URL to a non-loopback host."""
    http_client: HttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.Client``; not closed by this object."""
    http_async_client: AsyncHttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.AsyncClient``."""

    _session: GatewaySession = PrivateAttr()

    def _resolve_clients(self) -> None:
        """Resolve the settings into a core session (no client is built, no request sent).

        Raises:
            GatewayConfigError: missing credentials or an invalid value.
        """
        self._session = GatewaySession.resolve(
            account_id=self.account_id,
            api_token=None if self.api_token is None else self.api_token.get_secret_value(),
            gateway_id=self.gateway_id,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            allow_insecure_http=self.allow_insecure_http,
            gateway_options=self.gateway_options,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
        )
        config, options = self._session.config, self._session.options
        self.gateway_options = options.as_dict() if options is not None else None
        self.account_id, self.gateway_id, self.base_url = (
            config.account_id,
            config.gateway_id,
            config.base_url,
        )

    @property
    def _client(self) -> GatewayClient:
        return self._session.client

    @property
    def _async_client(self) -> AsyncGatewayClient:
        return self._session.aclient

    @classmethod
    def _settings_of(cls, model: Any) -> dict[str, Any]:
        """The connection settings of another of this package's objects (e.g. a chat model)."""
        names = (
            "account_id", "api_token", "gateway_id", "base_url", "timeout", "max_retries",
            "allow_insecure_http", "http_client", "http_async_client",
        )  # fmt: skip
        return {name: getattr(model, name) for name in names if hasattr(model, name)}
