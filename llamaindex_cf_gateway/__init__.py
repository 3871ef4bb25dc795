"""LlamaIndex integration for Cloudflare AI Gateway: ``CloudflareAIGateway`` (a
``FunctionCallingLLM``) and ``CloudflareAIGatewayEmbedding`` (a ``BaseEmbedding``).

Both are thin adapters over ``cf_gateway_core``; its error classes (``GatewayError`` and
subclasses) are what these classes raise.
"""

import typing

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "llamaindex_cf_gateway needs llama-index-core; install it with "
        'pip install "cf-gateway[llamaindex]"'
    ) from exc

from cf_gateway_core import __version__
from llamaindex_cf_gateway.llms import CloudflareAIGateway

if typing.TYPE_CHECKING:
    from llamaindex_cf_gateway.embeddings import CloudflareAIGatewayEmbedding

__all__ = ["CloudflareAIGateway", "CloudflareAIGatewayEmbedding", "__version__"]


def __getattr__(name: str) -> typing.Any:
    """Load the embeddings class on first use: it is not needed by chat-only code (~4 ms)."""
    if name != "CloudflareAIGatewayEmbedding":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from llamaindex_cf_gateway.embeddings import CloudflareAIGatewayEmbedding

    globals()[name] = CloudflareAIGatewayEmbedding
    return CloudflareAIGatewayEmbedding


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
