"""Deterministic embeddings for the emulator: equal texts give equal vectors.

A vector is read from ``shake_256(model, text)`` and L2-normalised; its size follows the model
(768 for ``bge-base``, 1024 for ``bge-large``/``bge-m3``… — docs/wire-notes.md §6.2) or the
request's ``dimensions``. Bodies: the OpenAI list for ``/ai/v1/embeddings`` and the native
``{"shape", "data", "pooling"}`` result for ``/ai/run/@cf/…`` embedding models.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

from cf_gateway_core.emulator._prompt import count_tokens

__all__ = ["MAX_DIMENSIONS", "dimensions_for", "native_embeddings", "openai_embeddings"]

MAX_DIMENSIONS = 4096

# Model id fragment -> vector size — docs/wire-notes.md §6.2 [C]/[O]; OpenAI's published sizes.
_DIMENSIONS: tuple[tuple[str, int], ...] = (
    ("bge-small", 384),
    ("bge-base", 768),
    ("bge-large", 1024),
    ("bge-m3", 1024),
    ("qwen3-embedding", 1024),
    ("embeddinggemma", 768),
    ("text-embedding-3-large", 3072),
    ("text-embedding-3-small", 1536),
    ("text-embedding-ada-002", 1536),
)
_DEFAULT_DIMENSIONS = 768
_DIGITS = 7


def dimensions_for(model: str) -> int:
    """The vector size the emulator uses for ``model``."""
    for fragment, size in _DIMENSIONS:
        if fragment in model:
            return size
    return _DEFAULT_DIMENSIONS


def vector(model: str, text: str, size: int) -> list[float]:
    """A unit vector of ``size`` floats derived from ``model`` and ``text``."""
    raw = hashlib.shake_256(f"{model}\x00{text}".encode()).digest(2 * size)
    values = [int.from_bytes(raw[i : i + 2], "big") / 32767.5 - 1.0 for i in range(0, 2 * size, 2)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, _DIGITS) for v in values]


def _usage(texts: Sequence[str]) -> dict[str, int]:
    tokens = max(1, sum(count_tokens(t) for t in texts))
    return {"prompt_tokens": tokens, "total_tokens": tokens}


def openai_embeddings(model: str, texts: Sequence[str], size: int) -> dict[str, Any]:
    """An OpenAI embeddings list (``/ai/v1/embeddings``)."""
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": vector(model, text, size)}
            for i, text in enumerate(texts)
        ],
        "model": model,
        "usage": _usage(texts),
    }


def native_embeddings(model: str, texts: Sequence[str], pooling: str) -> dict[str, Any]:
    """The native Workers AI result ``{"shape", "data", "pooling", "usage"}`` (§6.2, A13)."""
    size = dimensions_for(model)
    return {
        "shape": [len(texts), size],
        "data": [vector(model, text, size) for text in texts],
        "pooling": pooling,
        "usage": _usage(texts),
    }
