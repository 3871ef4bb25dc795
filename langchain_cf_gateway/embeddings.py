"""``CloudflareAIGatewayEmbeddings``: Cloudflare AI Gateway embeddings as LangChain ``Embeddings``.

Texts go to ``/ai/v1/embeddings`` (or, with ``endpoint="run"`` and an ``@cf/`` model, the native
``/ai/run/{model}``); the core client batches them (at most 100 per request) and keeps input order.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

import httpx
from langchain_core.embeddings import Embeddings
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    SkipValidation,
    ValidationError,
    model_validator,
)
from typing_extensions import Self

from cf_gateway_core import (
    AsyncGatewayClient,
    EmbeddingRequest,
    GatewayClient,
    GatewayConfig,
    GatewayOptions,
    embeddings_route,
)
from langchain_cf_gateway._errors import TRANSLATED_ERRORS, to_langchain_error
from langchain_cf_gateway.chat_models import _unwrap_config_error

__all__ = ["CloudflareAIGatewayEmbeddings"]

DEFAULT_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"

_client_lock = threading.Lock()


class CloudflareAIGatewayEmbeddings(BaseModel, Embeddings):
    """Embedding models behind Cloudflare AI Gateway (Workers AI ``@cf/…`` and third-party).

    Configuration as for :class:`~langchain_cf_gateway.ChatCloudflareAIGateway`: ``account_id``,
    ``api_token`` (alias ``api_key``), ``gateway_id`` and ``base_url`` fall back to
    ``CLOUDFLARE_ACCOUNT_ID``, ``CLOUDFLARE_API_TOKEN``, ``CLOUDFLARE_GATEWAY_ID`` and
    ``CLOUDFLARE_API_BASE_URL``; missing credentials raise
    :class:`cf_gateway_core.GatewayConfigError` at construction.

    Example:
        .. code-block:: python

            from langchain_cf_gateway import CloudflareAIGatewayEmbeddings

            embeddings = CloudflareAIGatewayEmbeddings()  # @cf/baai/bge-base-en-v1.5
            vectors = embeddings.embed_documents(["hello", "world"])
            query = await embeddings.aembed_query("hello")

    Errors are the same dual-class errors the chat model raises (e.g. ``CloudflareRateLimitError``
    is a ``cf_gateway_core.RateLimitError`` and a ``ModelRateLimitError``).
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid", arbitrary_types_allowed=True)

    model: str = Field(default=DEFAULT_EMBEDDING_MODEL, alias="model_name")
    """Embedding model id."""
    account_id: str | None = None
    """Cloudflare account id; default ``CLOUDFLARE_ACCOUNT_ID``."""
    api_token: SecretStr | None = Field(default=None, alias="api_key")
    """API token; default ``CLOUDFLARE_API_TOKEN``. Never shown in ``repr``."""
    gateway_id: str | None = None
    """Gateway id (header ``cf-aig-gateway-id``); default ``CLOUDFLARE_GATEWAY_ID``."""
    base_url: str | None = None
    """API base; default ``CLOUDFLARE_API_BASE_URL``, else the public API."""
    endpoint: Literal["auto", "run"] = "auto"
    """``auto``: ``/ai/v1/embeddings``; ``run``: the native ``/ai/run/{model}`` (``@cf/`` only)."""
    dimensions: int | None = None
    """Output dimensions, for models that support it."""
    timeout: float | None = 60.0
    """Seconds per request; ``None`` for no timeout."""
    max_retries: int = 2
    """Retries of failed requests (429, 5xx, connection errors)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra JSON fields merged into every request body."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Extra JSON fields merged into every request body (after ``model_kwargs``)."""
    gateway_options: SkipValidation[GatewayOptions | dict[str, Any] | None] = None
    """Gateway features as ``cf-aig-*`` headers; stored as a dict."""
    allow_insecure_http: bool = False
    """Permit a plain ``http://`` base URL to a non-loopback host."""
    http_client: httpx.Client | None = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.Client``; not closed by this object."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.AsyncClient``."""

    _config: GatewayConfig = PrivateAttr()
    _options: GatewayOptions | None = PrivateAttr(default=None)
    _sync_client: GatewayClient | None = PrivateAttr(default=None)
    _async_client: AsyncGatewayClient = PrivateAttr()
    _extra_body: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, **kwargs: Any) -> None:
        """Validate and resolve the configuration.

        Raises:
            GatewayConfigError: missing credentials, a bad value or an unusable model/endpoint.
        """
        try:
            super().__init__(**kwargs)
        except ValidationError as exc:
            cause = _unwrap_config_error(exc)
            if cause is None:
                raise
            raise cause from None

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        config = GatewayConfig.resolve(
            account_id=self.account_id,
            api_token=None if self.api_token is None else self.api_token.get_secret_value(),
            gateway_id=self.gateway_id,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            allow_insecure_http=self.allow_insecure_http,
        )
        embeddings_route(self.model, self.endpoint)  # a bad model/endpoint pair raises here
        self._options = GatewayOptions.coerce(self.gateway_options)
        self.gateway_options = self._options.as_dict() if self._options is not None else None
        self.account_id, self.gateway_id = config.account_id, config.gateway_id
        self.base_url = config.base_url
        self.api_token = SecretStr(config.api_token.get_secret_value())
        self._config = config
        self._async_client = AsyncGatewayClient(
            config, http_client=self.http_async_client, options=self._options
        )
        self._extra_body = {**self.model_kwargs, **self.extra_body}
        return self

    @property
    def _client(self) -> GatewayClient:
        # Built on first sync use (a default httpx.Client costs ~20 ms to create).
        client = self._sync_client
        if client is None:
            with _client_lock:
                client = self._sync_client
                if client is None:
                    client = self._sync_client = GatewayClient(
                        self._config, http_client=self.http_client, options=self._options
                    )
        return client

    def _request(self, texts: list[str]) -> EmbeddingRequest:
        return EmbeddingRequest(
            model=self.model, texts=texts, dimensions=self.dimensions, extra_body=self._extra_body
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts (batched, at most 100 per request); one vector per text, in order."""
        if not texts:
            return []
        try:
            response = self._client.embed(self._request(texts), endpoint=self.endpoint)
        except TRANSLATED_ERRORS as exc:
            raise to_langchain_error(exc) from exc
        return response.vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one text."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async twin of :meth:`embed_documents`."""
        if not texts:
            return []
        try:
            response = await self._async_client.embed(self._request(texts), endpoint=self.endpoint)
        except TRANSLATED_ERRORS as exc:
            raise to_langchain_error(exc) from exc
        return response.vectors

    async def aembed_query(self, text: str) -> list[float]:
        """Async twin of :meth:`embed_query`."""
        return (await self.aembed_documents([text]))[0]
