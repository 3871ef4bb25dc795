"""LlamaIndex content blocks beyond text, images, thinking and tool calls -> neutral parts.

``CachePoint`` marks the block before it with Anthropic ``cache_control`` (the convention of
llama-index-llms-anthropic); in a tool message it marks the ``tool_result`` itself. Wire JSON is
not known here: :mod:`cf_gateway_core.wire` owns it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import CachePoint

from cf_gateway_core import GatewayConfigError, ImagePart, Part, TextPart

__all__ = ["apply_cache_point", "cache_control_of", "split_cache_points"]

_MARKABLE = (TextPart, ImagePart)


def cache_control_of(point: CachePoint) -> dict[str, Any]:
    """The ``cache_control`` object a ``CachePoint`` stands for."""
    return point.cache_control.model_dump()


def apply_cache_point(parts: list[Part], point: CachePoint, previous: object) -> None:
    """Mark the last part (made from the ``previous`` block) with the point's ``cache_control``.

    Raises:
        GatewayConfigError: nothing before the point, or a part that takes no breakpoint.
    """
    if not parts:
        raise GatewayConfigError(
            "a CachePoint must follow the block it caches (it marks the block before it); move "
            "it after a TextBlock or ImageBlock."
        )
    last = parts[-1]
    if not isinstance(last, _MARKABLE):
        raise GatewayConfigError(
            f"a CachePoint after a {type(previous).__name__} cannot be sent: Anthropic takes cache "
            "breakpoints on text, image, document and tool-result blocks; move the CachePoint "
            "after one of those."
        )
    parts[-1] = dataclasses.replace(last, cache_control=cache_control_of(point))


def split_cache_points(blocks: Sequence[object]) -> tuple[list[object], dict[str, Any] | None]:
    """A tool message's blocks without ``CachePoint``s, and the ``cache_control`` of the last one
    (which marks the whole ``tool_result`` block)."""
    points = [b for b in blocks if isinstance(b, CachePoint)]
    rest = [b for b in blocks if not isinstance(b, CachePoint)]
    return rest, cache_control_of(points[-1]) if points else None
