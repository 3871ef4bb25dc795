"""LangChain integration for Cloudflare AI Gateway: chat models and embeddings.

Install with ``pip install "cf-gateway[langchain]"``::

    from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
"""

import typing

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        'langchain_cf_gateway needs langchain-core: pip install "cf-gateway[langchain]"'
    ) from exc

from cf_gateway_core import __version__
from langchain_cf_gateway.chat_models import ChatCloudflareAIGateway

if typing.TYPE_CHECKING:
    from langchain_cf_gateway.embeddings import CloudflareAIGatewayEmbeddings

__all__ = ["ChatCloudflareAIGateway", "CloudflareAIGatewayEmbeddings", "__version__"]


def __getattr__(name: str) -> typing.Any:
    """Load the embeddings class on first use: it is not needed by chat-only code (~4 ms)."""
    if name != "CloudflareAIGatewayEmbeddings":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from langchain_cf_gateway.embeddings import CloudflareAIGatewayEmbeddings

    globals()[name] = CloudflareAIGatewayEmbeddings
    return CloudflareAIGatewayEmbeddings


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
