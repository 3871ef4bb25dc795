"""OpenAI-style embedding replies (``/ai/v1/embeddings``).

The list shape as OpenAI documents it (https://platform.openai.com/docs/api-reference/embeddings/
object); Workers AI's native embedding result is
:func:`cf_gateway_core.testing.workers_ai.run_embeddings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["embedding_list"]


def embedding_list(
    vectors: Sequence[Sequence[float]],
    *,
    model: str = "@cf/baai/bge-base-en-v1.5",
    tokens: int | None = None,
) -> dict[str, Any]:
    """Render vectors as an OpenAI embeddings list.

    Args:
        vectors: one vector per input text, in input order.
        model: the ``model`` the list names.
        tokens: the prompt tokens to report (default: one per text).

    Returns:
        ``{"object": "list", "data": [{"object": "embedding", "index", "embedding"}…], …}``.
    """
    used = len(vectors) if tokens is None else tokens
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": list(v)} for i, v in enumerate(vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": used, "total_tokens": used},
    }
