"""``CloudflareAIGatewayRerank``: a Workers AI reranker as a LlamaIndex node postprocessor.

The reranker (``@cf/baai/bge-reranker-base`` by default) is a ``BaseNodePostprocessor``, for a
query engine's ``node_postprocessors``.

Each node's text (``MetadataMode.EMBED``, as LlamaIndex's own rerankers read it) is scored against
the query by the core client's ``rerank`` (``/ai/run/{model}``; lists longer than 100 nodes are
sent in several requests and merged); the ``top_n`` best come back as new ``NodeWithScore``
objects carrying the reranker's score, the retrieval score kept in metadata when asked.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from llama_index_instrumentation import get_dispatcher
from pydantic import Field

from cf_gateway_core import RerankResult
from llamaindex_cf_gateway._fields import GatewayFields

__all__ = ["DEFAULT_RERANK_MODEL", "CloudflareAIGatewayRerank"]

DEFAULT_RERANK_MODEL = "@cf/baai/bge-reranker-base"
dispatcher = get_dispatcher(__name__)


class CloudflareAIGatewayRerank(GatewayFields, BaseNodePostprocessor):
    """Rerank retrieved nodes with a Workers AI reranker through Cloudflare AI Gateway.

    Configuration as for :class:`~llamaindex_cf_gateway.CloudflareAIGateway` (``account_id``,
    ``api_token``, ``gateway_id``, ``base_url``, ``gateway_options``…, with the same environment
    variables).

    Example:
        ```python
        from llamaindex_cf_gateway import CloudflareAIGatewayRerank

        engine = index.as_query_engine(
            similarity_top_k=10,
            node_postprocessors=[CloudflareAIGatewayRerank(top_n=3)],
        )
        ```
    """

    model: str = Field(default=DEFAULT_RERANK_MODEL, description="Reranker model id.")
    top_n: int = Field(default=2, gt=0, description="Nodes to keep, best first.")
    keep_retrieval_score: bool = Field(
        default=False,
        description="Keep each node's retrieval score in its metadata as retrieval_score.",
    )

    @classmethod
    def class_name(cls) -> str:
        """The serialisation id of this class."""
        return "CloudflareAIGatewayRerank"

    def _texts(self, nodes: list[NodeWithScore]) -> list[str]:
        return [n.node.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]

    def _ranked(self, nodes: list[NodeWithScore], result: RerankResult) -> list[NodeWithScore]:
        ranked = []
        for item in result.scores:
            original = nodes[item.index]
            if self.keep_retrieval_score:
                original.node.metadata["retrieval_score"] = original.score
            ranked.append(NodeWithScore(node=original.node, score=item.score))
        return ranked

    def _start(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> str:
        if query_bundle is None:
            raise ValueError("Missing query bundle: pass query_str= or query_bundle=.")
        dispatcher.event(
            ReRankStartEvent(
                query=query_bundle, nodes=nodes, top_n=self.top_n, model_name=self.model
            )
        )
        return query_bundle.query_str

    def _payload(self, nodes: list[NodeWithScore], query: str) -> dict[str, Any]:
        return {
            EventPayload.NODES: nodes,
            EventPayload.MODEL_NAME: self.model,
            EventPayload.QUERY_STR: query,
            EventPayload.TOP_K: self.top_n,
        }

    @dispatcher.span
    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        """Score the nodes against the query; the ``top_n`` best, best first."""
        query = self._start(nodes, query_bundle)
        if not nodes:
            return []
        with self.callback_manager.event(
            CBEventType.RERANKING, payload=self._payload(nodes, query)
        ) as event:
            result = self._session.client.rerank(
                query, self._texts(nodes), model=self.model, top_n=self.top_n
            )
            ranked = self._ranked(nodes, result)
            event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked

    @dispatcher.span
    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        """Async twin of :meth:`_postprocess_nodes` (the async client, no thread)."""
        query = self._start(nodes, query_bundle)
        if not nodes:
            return []
        with self.callback_manager.event(
            CBEventType.RERANKING, payload=self._payload(nodes, query)
        ) as event:
            result = await self._session.aclient.rerank(
                query, self._texts(nodes), model=self.model, top_n=self.top_n
            )
            ranked = self._ranked(nodes, result)
            event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked
