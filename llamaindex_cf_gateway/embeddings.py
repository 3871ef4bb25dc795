"""``CloudflareAIGatewayEmbedding``: Cloudflare AI Gateway embeddings for LlamaIndex.

Texts go to the core client's ``embed`` (``/ai/v1/embeddings``, or Workers AI's native
``/ai/run/{model}`` with ``endpoint="run"``), which sends at most 100 texts per request and keeps
input order; this class only maps LlamaIndex's embedding hooks onto it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import Field

from cf_gateway_core import (
    AsyncBatchAPI,
    BatchAPI,
    BatchWait,
    EmbeddingRequest,
    embeddings_route,
)
from llamaindex_cf_gateway._fields import GatewayFields

__all__ = ["DEFAULT_EMBEDDING_MODEL", "CloudflareAIGatewayEmbedding"]

DEFAULT_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
_MAX_BATCH = 100
"""Texts per request — the core client's batch size (Workers AI takes at most 100 texts)."""


class CloudflareAIGatewayEmbedding(GatewayFields, BaseEmbedding):
    """Embeddings through Cloudflare AI Gateway, for ``VectorStoreIndex(embed_model=...)``.

    Configuration as for :class:`~llamaindex_cf_gateway.CloudflareAIGateway` (``account_id``,
    ``api_token``, ``gateway_id``, ``base_url``, ``gateway_options``, ``http_client``…, with
    the same environment variables); the token never appears in ``repr`` or serialized output.

    Example:
        ```python
        from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding

        embed_model = CloudflareAIGatewayEmbedding()  # @cf/baai/bge-base-en-v1.5
        vector = embed_model.get_text_embedding("Cloudflare AI Gateway")
        ```
    """

    model: str = Field(default=DEFAULT_EMBEDDING_MODEL, description="Embedding model id.")
    endpoint: str = Field(
        default="auto",
        description="auto (/ai/v1/embeddings) or run (Workers AI /ai/run/{model}).",
    )
    dimensions: int | None = Field(
        default=None, description="Output dimensions, for models that support shortening."
    )
    model_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra JSON fields merged into every request body."
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra JSON fields merged into every request body (after model_kwargs).",
    )
    embed_batch_size: int = Field(
        default=_MAX_BATCH,
        gt=0,
        le=2048,
        description="Texts LlamaIndex hands over at once (the client sends 100 per request).",
    )

    batch_api: bool = Field(
        default=False,
        description=(
            "Embed documents through the Workers AI async batch API (queueRequest): one queued "
            "job per LlamaIndex batch (raise embed_batch_size, up to 2048, for fewer jobs), "
            "polled until done; vectors in input order. For large ingestion; @cf/ models only, "
            "without dimensions. Queries stay direct requests."
        ),
    )
    batch_timeout: float | None = Field(
        default=900.0,
        description="Seconds to wait for a batch job (None: no limit); then BatchTimeoutError.",
    )
    batch_poll_interval: float = Field(
        default=1.0,
        description="Seconds before the first poll of a batch job; doubled per poll up to 30 s.",
    )

    _embedding_endpoints: ClassVar[bool] = True

    def __init__(self, **data: Any) -> None:
        """Validate, resolve the configuration and check the model and endpoint (no request).

        ``model_name`` (LlamaIndex's usual name) is accepted for ``model``.

        Raises:
            GatewayConfigError: missing account id or token, an invalid value, or an endpoint
                embeddings cannot use.
        """
        if "model" not in data and data.get("model_name") not in (None, "unknown"):
            data["model"] = data["model_name"]
        super().__init__(**data)

    def _check(self) -> None:
        """Refuse an endpoint embeddings cannot use, and batch settings the model cannot take."""
        self.model_name = self.model
        embeddings_route(self.model, self.endpoint)
        if self.batch_api:
            BatchAPI.check_embeddings(self.model, self.dimensions)
            self._batch_wait()  # a bad timeout or interval raises here

    @classmethod
    def class_name(cls) -> str:
        """The serialisation id of this class."""
        return "CloudflareAIGatewayEmbedding"

    def _batch_wait(self) -> BatchWait:
        """The batch API's wait settings (``GatewayConfigError`` on a bad value)."""
        return BatchWait(timeout=self.batch_timeout, first_poll=self.batch_poll_interval)

    def _request(self, texts: list[str]) -> EmbeddingRequest:
        return EmbeddingRequest(
            model=self.model,
            texts=texts,
            dimensions=self.dimensions,
            extra_body={**self.model_kwargs, **self.extra_body},
        )

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        """Embed texts; with ``batch_api`` as one queued batch job.

        The core client splits direct requests into requests of at most 100 texts.
        """
        if self.batch_api:
            wait = self._batch_wait()
            return BatchAPI(self._session.client).embed(self._request(texts), wait=wait).vectors
        return self._direct(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        """Async twin of :meth:`_get_text_embeddings` (safe across event loops)."""
        if self.batch_api:
            wait = self._batch_wait()
            reply = await AsyncBatchAPI(self._session.aclient).embed(
                self._request(texts), wait=wait
            )
            return reply.vectors
        return await self._adirect(texts)

    def _direct(self, texts: list[str]) -> list[Embedding]:
        return self._session.client.embed(self._request(texts), endpoint=self.endpoint).vectors

    async def _adirect(self, texts: list[str]) -> list[Embedding]:
        reply = await self._session.aclient.embed(self._request(texts), endpoint=self.endpoint)
        return reply.vectors

    def _get_query_embedding(self, query: str) -> Embedding:
        """Embed a query (always a direct request)."""
        return self._direct([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        """Async twin of :meth:`_get_query_embedding`."""
        return (await self._adirect([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        """Embed one text (a direct request: one text is no batch)."""
        return self._direct([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        """Async twin of :meth:`_get_text_embedding`."""
        return (await self._adirect([text]))[0]
