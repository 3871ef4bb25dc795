"""``CloudflareAIGatewayRerank``: a Workers AI reranker as a LangChain ``BaseDocumentCompressor``.

The model (``@cf/baai/bge-reranker-base`` by default) serves a ``ContextualCompressionRetriever``
or any pipeline that compresses retrieved documents.

The documents' ``page_content`` is scored against the query by the core client's ``rerank``
(``/ai/run/{model}``; more than 100 documents go in several requests, merged); the ``top_n`` best
come back, best first, as copies whose metadata gains ``relevance_score`` (the name LangChain's
rerankers use).
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field

from cf_gateway_core import RerankResult
from langchain_cf_gateway._errors import translated
from langchain_cf_gateway._services import ServiceFields

__all__ = ["DEFAULT_RERANK_MODEL", "CloudflareAIGatewayRerank"]

DEFAULT_RERANK_MODEL = "@cf/baai/bge-reranker-base"


class CloudflareAIGatewayRerank(ServiceFields, BaseDocumentCompressor):
    """Rerank documents with a Workers AI reranker through Cloudflare AI Gateway.

    Connection settings as for :class:`~langchain_cf_gateway.ChatCloudflareAIGateway`
    (``account_id``, ``api_token``, ``gateway_id``, ``base_url`` and their environment variables).

    Example:
        .. code-block:: python

            from langchain_cf_gateway import CloudflareAIGatewayRerank

            reranker = CloudflareAIGatewayRerank(top_n=3)
            best = reranker.compress_documents(documents, "What does AI Gateway log?")
            best[0].metadata["relevance_score"]
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid", arbitrary_types_allowed=True)

    model: str = Field(default=DEFAULT_RERANK_MODEL, alias="model_name")
    """Reranker model id."""
    top_n: int | None = Field(default=3, gt=0)
    """Documents to keep, best first; ``None`` keeps them all, reordered."""

    def _ranked(self, documents: Sequence[Document], result: RerankResult) -> list[Document]:
        ranked = []
        for item in result.scores:
            original = documents[item.index]
            ranked.append(
                Document(
                    page_content=original.page_content,
                    metadata={**original.metadata, "relevance_score": item.score},
                    id=original.id,
                )
            )
        return ranked

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """The ``top_n`` documents most relevant to ``query``, best first.

        Raises:
            GatewayConfigError: an empty query or a document with empty ``page_content``.
        """
        if not documents:
            return []
        texts = [doc.page_content for doc in documents]
        with translated():
            result = self._client.rerank(query, texts, model=self.model, top_n=self.top_n)
        return self._ranked(documents, result)

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Async twin of :meth:`compress_documents` (the async client, no thread)."""
        if not documents:
            return []
        texts = [doc.page_content for doc in documents]
        with translated():
            result = await self._async_client.rerank(
                query, texts, model=self.model, top_n=self.top_n
            )
        return self._ranked(documents, result)
