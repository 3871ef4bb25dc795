"""What both framework adapters share before any request: one policy for their keyword arguments.

The adapters are thin pydantic shells; the rules about *what a keyword means* live here, so the same
mistake gets the same :class:`~cf_gateway_core.errors.GatewayConfigError`, with the same message,
in LangChain and in LlamaIndex.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.routing import ENDPOINTS, embeddings_route

__all__ = ["EMBEDDING_ENDPOINTS", "check_chat_endpoint", "normalize_constructor_kwargs"]

EMBEDDING_ENDPOINTS: tuple[str, ...] = ("auto", "run")
"""The ``endpoint`` values the embedding classes take."""


def _reveal(value: object) -> object:
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if callable(reveal) else value


def _merge_token_alias(data: dict[str, Any]) -> None:
    # api_key is an alias of api_token (as in langchain-openai and llama-index-llms-openai): one
    # setting. Both given with different values is a mistake, never a silent pick of one.
    if "api_key" not in data or "api_token" not in data:
        return
    key, token = data.pop("api_key"), data["api_token"]
    if key is not None and token is not None and _reveal(key) != _reveal(token):
        raise GatewayConfigError(
            "api_key and api_token are one setting (api_key is an alias of api_token) and were "
            "given different values; pass only api_token= (or set CLOUDFLARE_API_TOKEN)."
        )
    if token is None:
        data["api_token"] = key


def check_chat_endpoint(endpoint: object) -> None:
    """Refuse an ``endpoint`` value no chat class knows.

    Raises:
        GatewayConfigError: the value is not one of ``auto``, ``chat_completions``, ``messages``,
            ``responses``, ``run``.
    """
    if endpoint not in ENDPOINTS:
        raise GatewayConfigError(
            f"endpoint {endpoint!r} is not known; pass endpoint= one of {', '.join(ENDPOINTS)}."
        )


def _check_embedding_endpoint(model: object, endpoint: object) -> None:
    if endpoint not in EMBEDDING_ENDPOINTS:
        name = model if isinstance(model, str) and model else "@cf/baai/bge-base-en-v1.5"
        embeddings_route(name, str(endpoint))  # raises with the shared message


def normalize_constructor_kwargs(
    data: Mapping[str, Any], *, embeddings: bool = False
) -> dict[str, Any]:
    """The constructor keywords of an adapter class, checked the same way in both frameworks.

    - ``api_key`` and ``api_token`` together: accepted when equal, else a configuration error;
    - an unknown ``endpoint``: a configuration error naming the values it may take.

    Args:
        data: the keywords as passed to the class.
        embeddings: the class is an embedding class (``endpoint`` is ``auto`` or ``run``).

    Returns:
        A new dict with ``api_key`` folded into ``api_token`` when both were given.

    Raises:
        GatewayConfigError: one of the mistakes above.
    """
    out = dict(data)
    _merge_token_alias(out)
    if "endpoint" in out:
        if embeddings:
            _check_embedding_endpoint(out.get("model", out.get("model_name")), out["endpoint"])
        else:
            check_chat_endpoint(out["endpoint"])
    return out
