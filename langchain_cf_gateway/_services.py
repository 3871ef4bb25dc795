"""The connection fields of the LangChain classes beyond chat (reranker, feedback, media tools).

:class:`ServiceFields` declares the README's connection settings (``account_id``, ``api_token``
alias ``api_key``, ``gateway_id``, ``base_url``, ``timeout``, ``max_retries``,
``gateway_options``, ``allow_insecure_http``, ``http_client``, ``http_async_client``); the
:class:`~langchain_cf_gateway._session.SessionModel` it extends resolves them at construction
into a core ``GatewaySession``, which builds each core client on first use.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, SecretStr, model_validator
from typing_extensions import Self

from cf_gateway_core.pydantic_fields import (
    AsyncHttpClient,
    HttpClient,
    OptionsField,
    unwrapped_config_errors,
)
from langchain_cf_gateway._session import SessionModel

__all__ = ["ServiceFields"]


class ServiceFields(SessionModel):
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
    gateway_options: OptionsField = None
    """Gateway features as ``cf-aig-*`` headers on model calls."""
    allow_insecure_http: bool = False
    """Permit a plain ``http://`` base URL to a non-loopback host."""
    http_client: HttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.Client``; not closed by this object."""
    http_async_client: AsyncHttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.AsyncClient``."""

    def __init__(self, **kwargs: Any) -> None:
        """Validate and resolve the configuration (no request is sent).

        Raises:
            GatewayConfigError: missing credentials or an invalid value.
        """
        with unwrapped_config_errors():
            super().__init__(**kwargs)

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        """Resolve the settings into the session (no client is built, no request sent)."""
        self._open_session()
        return self
