"""LlamaIndex content blocks beyond text, images, thinking and tool calls -> neutral parts.

``CachePoint`` marks the block before it with Anthropic ``cache_control`` (the convention of
llama-index-llms-anthropic); in a tool message it marks the ``tool_result`` itself. Wire JSON is
not known here: :mod:`cf_gateway_core.wire` owns it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    CitableBlock,
    DocumentBlock,
    TextBlock,
)

from cf_gateway_core import (
    AudioPart,
    DocumentPart,
    GatewayConfigError,
    ImagePart,
    Part,
    TextPart,
)

__all__ = [
    "CONTENT_PARTS",
    "apply_cache_point",
    "cache_control_of",
    "split_cache_points",
]

# AudioBlock.format -> media type (OpenAI input_audio takes wav and mp3).
_AUDIO_MEDIA_TYPES: dict[str, str] = {"wav": "audio/wav", "mp3": "audio/mpeg", "mpeg": "audio/mpeg"}

_MARKABLE = (TextPart, ImagePart, DocumentPart)
_DEFAULT_TITLE = "input_document"


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


def _document_part(block: Any) -> Part:
    """A ``DocumentBlock``: inline data or a file path (read here), or a URL the provider
    fetches (never downloaded by this package)."""
    document: DocumentBlock = block
    # "input_document" is the title DocumentBlock fills in itself, not one the user gave.
    title = document.title if document.title != _DEFAULT_TITLE else None
    if document.data is None and document.path is None and document.url:
        return DocumentPart(url=str(document.url), title=title)
    data = document._get_b64_string(document.resolve_document())
    return DocumentPart(
        data=data, media_type=document.document_mimetype or "application/pdf", title=title
    )


def _citable_part(block: Any) -> Part:
    """A ``CitableBlock`` (LlamaIndex's "cite this"): a plain-text document with citations on,
    titled by its ``title``, its ``source`` as the document context."""
    citable: CitableBlock = block
    texts: list[str] = []
    for item in citable.content:
        if not isinstance(item, TextBlock):
            raise GatewayConfigError(
                f"a CitableBlock may hold TextBlocks only here, got {type(item).__name__}."
            )
        texts.append(item.text)
    return DocumentPart(
        text="\n\n".join(texts),
        media_type="text/plain",
        title=citable.title or None,
        context=citable.source or None,
        citations=True,
    )


def _audio_part(block: Any) -> Part:
    audio: AudioBlock = block
    media_type = _AUDIO_MEDIA_TYPES.get((audio.format or "").lower())
    if audio.audio is None and audio.path is None:
        raise GatewayConfigError(
            "an AudioBlock needs its bytes (audio=...) or a file path; audio URLs are not taken "
            "by any chat endpoint."
        )
    if media_type is None:
        raise GatewayConfigError(
            f"an AudioBlock's format {audio.format!r} cannot be sent: set "
            "AudioBlock(format='wav') or format='mp3'."
        )
    data = audio.resolve_audio(as_base64=True).read().decode("ascii")
    return AudioPart(data=data, media_type=media_type)


CONTENT_PARTS: dict[type, Any] = {
    DocumentBlock: _document_part,
    CitableBlock: _citable_part,
    AudioBlock: _audio_part,
}
"""LlamaIndex block type -> converter to a neutral part."""
