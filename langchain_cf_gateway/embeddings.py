"""``CloudflareAIGatewayEmbeddings``: Cloudflare AI Gateway embeddings as LangChain ``Embeddings``.

Texts go to ``/ai/v1/embeddings`` (or, with ``endpoint="run"`` and an ``@cf/`` model, the native
``/ai/run/{model}``); the core client batches them (at most 100 per request) and keeps input order.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict, Field, SecretStr, model_validator
from typing_extensions import Self

from cf_gateway_core import (
    AsyncBatchAPI,
    BatchAPI,
    BatchWait,
    EmbeddingRequest,
    embeddings_route,
)
from cf_gateway_core.pydantic_fields import (
    AsyncHttpClient,
    HttpClient,
    OptionsField,
    unwrapped_config_errors,
)
from langchain_cf_gateway._errors import translated
from langchain_cf_gateway._session import SessionModel

__all__ = ["CloudflareAIGatewayEmbeddings"]

DEFAULT_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"


class CloudflareAIGatewayEmbeddings(SessionModel, Embeddings):
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
    _embedding_endpoints: ClassVar[bool] = True

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
    gateway_options: OptionsField = None
    """Gateway features as ``cf-aig-*`` headers; stored as a dict."""
    allow_insecure_http: bool = False
    """Permit a plain ``http://`` base URL to a non-loopback host."""
    fast_transport: bool = False
    """Deprecated, no effect: async requests go through aiohttp by default. ``True`` emits a
    ``DeprecationWarning``."""
    batch_api: bool = False
    """Send ``embed_documents`` / ``aembed_documents`` through the Workers AI async batch API
    (``queueRequest``): one queued job per call (requests of 100 texts), polled until done;
    vectors in input order. For large ingestion where minutes of latency are fine; ``@cf/``
    models only, without ``dimensions``. Queries stay direct requests."""
    batch_timeout: float | None = 900.0
    """Seconds to wait for a batch job (``None``: no limit); then ``BatchTimeoutError``."""
    batch_poll_interval: float = 1.0
    """Seconds before the first poll of a batch job; doubled per poll up to 30 s."""
    http_client: HttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.Client``; not closed by this object."""
    http_async_client: AsyncHttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.AsyncClient``."""

    def __init__(self, **kwargs: Any) -> None:
        """Validate and resolve the configuration.

        Raises:
            GatewayConfigError: missing credentials, a bad value or an unusable model/endpoint.
        """
        with unwrapped_config_errors():
            super().__init__(**kwargs)

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        self._open_session()
        embeddings_route(self.model, self.endpoint)  # a bad model/endpoint pair raises here
        if self.batch_api:
            BatchAPI.check_embeddings(self.model, self.dimensions)
            self._batch_wait()  # a bad timeout or interval raises here
        return self

    def _batch_wait(self) -> BatchWait:
        """The batch API's wait settings (``GatewayConfigError`` on a bad value)."""
        return BatchWait(timeout=self.batch_timeout, first_poll=self.batch_poll_interval)

    def _request(self, texts: list[str]) -> EmbeddingRequest:
        extra = {**self.model_kwargs, **self.extra_body}
        return EmbeddingRequest(
            model=self.model, texts=texts, dimensions=self.dimensions, extra_body=extra
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts (batched, at most 100 per request); one vector per text, in order."""
        if not texts:
            return []
        with translated():
            if self.batch_api:
                wait = self._batch_wait()
                response = BatchAPI(self._client).embed(self._request(texts), wait=wait)
            else:
                response = self._client.embed(self._request(texts), endpoint=self.endpoint)
        return response.vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one text."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async twin of :meth:`embed_documents`."""
        if not texts:
            return []
        with translated():
            if self.batch_api:
                batch = AsyncBatchAPI(self._async_client)
                wait = self._batch_wait()
                response = await batch.embed(self._request(texts), wait=wait)
            else:
                client = self._async_client
                response = await client.embed(self._request(texts), endpoint=self.endpoint)
        return response.vectors

    async def aembed_query(self, text: str) -> list[float]:
        """Async twin of :meth:`embed_query`."""
        return (await self.aembed_documents([text]))[0]
