"""LangChain integration for Cloudflare AI Gateway: chat models and embeddings.

Install with ``pip install "cf-gateway[langchain]"``::

    from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
"""

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        'langchain_cf_gateway needs langchain-core: pip install "cf-gateway[langchain]"'
    ) from exc

from cf_gateway_core import __version__
from langchain_cf_gateway.chat_models import ChatCloudflareAIGateway
from langchain_cf_gateway.embeddings import CloudflareAIGatewayEmbeddings

__all__ = ["ChatCloudflareAIGateway", "CloudflareAIGatewayEmbeddings", "__version__"]
