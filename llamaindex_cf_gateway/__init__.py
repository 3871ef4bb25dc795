"""LlamaIndex integration for Cloudflare AI Gateway: ``CloudflareAIGateway`` (a
``FunctionCallingLLM``) and ``CloudflareAIGatewayEmbedding`` (a ``BaseEmbedding``).

Both are thin adapters over ``cf_gateway_core``; its error classes (``GatewayError`` and
subclasses) are what these classes raise.
"""

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "llamaindex_cf_gateway needs llama-index-core; install it with "
        'pip install "cf-gateway[llamaindex]"'
    ) from exc

from cf_gateway_core import __version__
from llamaindex_cf_gateway.embeddings import CloudflareAIGatewayEmbedding
from llamaindex_cf_gateway.llms import CloudflareAIGateway

__all__ = ["CloudflareAIGateway", "CloudflareAIGatewayEmbedding", "__version__"]
