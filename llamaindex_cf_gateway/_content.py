"""LlamaIndex content blocks beyond text, images, thinking and tool calls -> neutral parts.

``CachePoint`` marks the block before it with Anthropic ``cache_control`` (the convention of
llama-index-llms-anthropic); in a tool message it marks the ``tool_result`` itself. Wire JSON is
not known here: :mod:`cf_gateway_core.wire` owns it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from cf_gateway_core import (
    AudioPart,
    DocumentPart,
    GatewayConfigError,
    ImagePart,
    Part,
    ProviderTool,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    as_provider_tool,
    provider_parts,
)

__all__ = [
    "CONTENT_PARTS",
    "apply_cache_point",
    "assistant_parts",
    "cache_control_of",
    "citation_blocks",
    "provider_tool_of",
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
    """A tool message's blocks without ``CachePoint``s, and the last one's ``cache_control``.

    That ``cache_control`` marks the whole ``tool_result`` block.
    """
    points = [b for b in blocks if isinstance(b, CachePoint)]
    rest = [b for b in blocks if not isinstance(b, CachePoint)]
    return rest, cache_control_of(points[-1]) if points else None


def _document_part(block: Any) -> Part:
    """A ``DocumentBlock`` as a neutral document part.

    Inline data or a file path (read here), or a URL the provider fetches (never downloaded by
    this package).
    """
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
    """A ``CitableBlock`` (LlamaIndex's "cite this") as a plain-text document with citations on.

    It is titled by its ``title``, with its ``source`` as the document context.
    """
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


# ----------------------------------------------------------------------------- server tools


def provider_tool_of(tool: Any) -> ProviderTool:
    """A tool dict in a LlamaIndex tool list: a provider's own tool.

    Raises:
        GatewayConfigError: a dict that is not a provider tool.
    """
    provider = as_provider_tool(tool)
    if provider is None:
        raise GatewayConfigError(
            f"tool {tool!r} is a dict but not a provider tool (Anthropic 'web_search_20250305'…, "
            "OpenAI 'web_search'…); pass FunctionTool / BaseTool objects for your own functions."
        )
    return provider


def _location(citation: Mapping[str, Any]) -> dict[str, int]:
    return {
        key: value
        for key, value in citation.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }


def _citation(citation: Mapping[str, Any], cited: str) -> CitationBlock:
    title = citation.get("title") or citation.get("document_title") or ""
    source = citation.get("url") or citation.get("document_title") or citation.get("file_id")
    if not source:
        source = f"document {citation.get('document_index', 0)}"
    return CitationBlock(
        cited_content=TextBlock(text=cited),
        source=str(source),
        title=str(title),
        additional_location_info=_location(citation),
    )


def citation_blocks(blocks: Sequence[Mapping[str, Any]]) -> list[CitationBlock]:
    """``CitationBlock``s for the citations in a reply's ``content_blocks``.

    Anthropic text-block citations (``cited_text``) and Responses ``url_citation`` annotations
    (the cited span).
    """
    found: list[CitationBlock] = []
    for block in blocks:
        for citation in block.get("citations") or []:
            if isinstance(citation, Mapping):
                found.append(_citation(citation, str(citation.get("cited_text") or "")))
        content = block.get("content") if block.get("type") == "message" else None
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, Mapping):
                continue
            text = str(part.get("text") or "")
            for note in part.get("annotations") or []:
                if isinstance(note, Mapping):
                    span = text[int(note.get("start_index") or 0) : int(note.get("end_index") or 0)]
                    found.append(_citation(note, span))
    return found


def assistant_parts(
    message: ChatMessage, to_parts: Callable[[Sequence[object]], list[Part]]
) -> list[Part]:
    """An assistant message's parts.

    ``CitationBlock``s are what a reply cited and are not sent back (as in
    llama-index-llms-anthropic). A reply with ``additional_kwargs["content_blocks"]`` sends those
    blocks back verbatim (they hold its text), between its reasoning and its tool calls.
    """
    blocks = [b for b in message.blocks if not isinstance(b, CitationBlock)]
    server = message.additional_kwargs.get("content_blocks")
    if not (isinstance(server, list) and server):
        return to_parts(blocks)
    kept = to_parts([b for b in blocks if isinstance(b, (ThinkingBlock, ToolCallBlock))])
    parts: list[Part] = [p for p in kept if isinstance(p, ReasoningPart)]
    parts.extend(provider_parts(server))
    parts.extend(p for p in kept if isinstance(p, ToolCallPart))
    return parts
