"""LlamaIndex integration for Cloudflare AI Gateway.

``CloudflareAIGateway`` is a ``FunctionCallingLLM``, ``CloudflareAIGatewayEmbedding`` a
``BaseEmbedding`` and ``CloudflareAIGatewayRerank`` a node postprocessor. All are thin adapters
over ``cf_gateway_core``; its error classes (``GatewayError`` and subclasses) are what these
classes raise.
"""

import typing

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "llamaindex_cf_gateway needs llama-index-core: in a clone of cf-gateway run "
        'pip install -e ".[llamaindex]", from an index pip install "cf-gateway[llamaindex]"'
    ) from exc

from cf_gateway_core import __version__
from llamaindex_cf_gateway.llms import CloudflareAIGateway

if typing.TYPE_CHECKING:
    from llamaindex_cf_gateway.embeddings import CloudflareAIGatewayEmbedding
    from llamaindex_cf_gateway.rerank import CloudflareAIGatewayRerank

__all__ = [
    "CloudflareAIGateway",
    "CloudflareAIGatewayEmbedding",
    "CloudflareAIGatewayRerank",
    "__version__",
]

# Classes loaded on first use (chat-only code does not need them): name -> module.
_LAZY = {
    "CloudflareAIGatewayEmbedding": "llamaindex_cf_gateway.embeddings",
    "CloudflareAIGatewayRerank": "llamaindex_cf_gateway.rerank",
}


if not typing.TYPE_CHECKING:  # hidden from type checkers, which would read any name as Any

    def __getattr__(name: str) -> typing.Any:
        """Load the embeddings and rerank classes on first use (~4 ms each off a chat import)."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
