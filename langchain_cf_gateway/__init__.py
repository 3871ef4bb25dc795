"""LangChain integration for Cloudflare AI Gateway: chat models and embeddings.

Install with ``pip install -e ".[langchain]"`` in a clone of cf-gateway (or, from an index,
``pip install "cf-gateway[langchain]"``)::

    from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
"""

import typing

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "langchain_cf_gateway needs langchain-core: in a clone of cf-gateway run "
        'pip install -e ".[langchain]", from an index pip install "cf-gateway[langchain]"'
    ) from exc

from cf_gateway_core import __version__
from langchain_cf_gateway.chat_models import ChatCloudflareAIGateway

if typing.TYPE_CHECKING:
    from langchain_cf_gateway.embeddings import CloudflareAIGatewayEmbeddings
    from langchain_cf_gateway.rerank import CloudflareAIGatewayRerank

__all__ = [
    "ChatCloudflareAIGateway",
    "CloudflareAIGatewayEmbeddings",
    "CloudflareAIGatewayRerank",
    "__version__",
]

# Classes loaded on first use (chat-only code does not need them): name -> module.
_LAZY = {
    "CloudflareAIGatewayEmbeddings": "langchain_cf_gateway.embeddings",
    "CloudflareAIGatewayRerank": "langchain_cf_gateway.rerank",
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
