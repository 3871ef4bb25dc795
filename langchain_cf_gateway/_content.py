"""LangChain document and audio content blocks -> neutral ``DocumentPart`` / ``AudioPart``.

Read as langchain-anthropic and langchain-openai read them: LangChain's standard ``file`` blocks
(v1 ``base64`` / ``url`` / ``file_id`` with ``mime_type``; v0 ``source_type`` ``base64`` / ``url``
/ ``id`` / ``text``), ``text-plain`` blocks, ``audio`` blocks, and the providers' own shapes
(Anthropic ``document``, OpenAI ``file`` and ``input_audio``). ``title``, ``context``,
``citations``, ``filename`` and ``cache_control`` come from the block, its ``extras`` or (v0) its
``metadata``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cf_gateway_core import AudioPart, DocumentPart, GatewayConfigError, Part

__all__ = ["CONTENT_BLOCKS", "block_cache_control", "block_option"]

_Block = Mapping[str, Any]

# OpenAI input_audio format -> media type.
_AUDIO_MEDIA_TYPES: dict[str, str] = {"wav": "audio/wav", "mp3": "audio/mpeg"}


def block_option(block: _Block, key: str) -> Any:
    """``block[key]``, else ``block["extras"][key]``, else (v0) ``block["metadata"][key]``."""
    if key in block:
        return block[key]
    for holder in ("extras", "metadata"):
        extra = block.get(holder)
        if isinstance(extra, Mapping) and key in extra:
            return extra[key]
    return None


def block_cache_control(block: _Block) -> Mapping[str, Any] | None:
    """A block's Anthropic ``cache_control`` (its own key, ``extras`` or ``metadata``)."""
    value = block_option(block, "cache_control")
    if value is None or isinstance(value, Mapping):
        return value
    raise GatewayConfigError(
        f"cache_control must be a dict such as {{'type': 'ephemeral'}}, got {value!r}."
    )


def _citations(block: _Block) -> bool:
    value = block_option(block, "citations")
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, Mapping):
        return bool(value.get("enabled"))
    raise GatewayConfigError(f"citations must be {{'enabled': True}} or a bool, got {value!r}.")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _document(block: _Block, **source: str | None) -> DocumentPart:
    filename = _str(block_option(block, "filename")) or _str(block_option(block, "name"))
    return DocumentPart(
        **source,
        filename=filename,
        title=_str(block_option(block, "title")),
        context=_str(block_option(block, "context")),
        citations=_citations(block),
        cache_control=block_cache_control(block),
    )


def _file_block(block: _Block) -> Part:
    # OpenAI's own {"type": "file", "file": {"file_data" | "file_id", "filename"}}.
    native = block.get("file")
    if isinstance(native, Mapping):
        return _openai_file(block, native)
    mime = _str(block.get("mime_type"))
    kind = block.get("source_type")
    if kind == "text" or (kind is None and isinstance(block.get("text"), str)):
        return _document(block, text=str(block.get("text")), media_type=mime or "text/plain")
    if _str(block.get("url")):
        return _document(block, url=block["url"], media_type=mime)
    data = _str(block.get("base64")) or (_str(block.get("data")) if kind == "base64" else None)
    if data:
        return _document(block, data=data, media_type=mime or "application/pdf")
    file_id = _str(block.get("file_id")) or (_str(block.get("id")) if kind == "id" else None)
    if file_id:
        return _document(block, file_id=file_id, media_type=mime)
    raise GatewayConfigError(
        "a file content block needs 'base64' (with 'mime_type'), 'url', 'file_id' or 'text'."
    )


def _openai_file(block: _Block, native: Mapping[str, Any]) -> Part:
    file_id = _str(native.get("file_id"))
    if file_id:
        return _document(block, file_id=file_id)
    header, _, data = str(native.get("file_data") or "").partition(",")
    if not (header.startswith("data:") and header.endswith(";base64") and data):
        raise GatewayConfigError(
            "an OpenAI file block needs file.file_id or file.file_data as "
            "'data:<mime type>;base64,<data>'."
        )
    part = _document(block, data=data, media_type=header[5:-7] or "application/pdf")
    filename = _str(native.get("filename"))
    return DocumentPart(**{**_fields(part), "filename": filename or part.filename})


def _fields(part: DocumentPart) -> dict[str, Any]:
    return {name: getattr(part, name) for name in DocumentPart.__slots__}


def _text_plain_block(block: _Block) -> Part:
    text = block.get("text")
    if not isinstance(text, str):
        raise GatewayConfigError("a text-plain content block needs a string 'text'.")
    return _document(block, text=text, media_type=_str(block.get("mime_type")) or "text/plain")


def _anthropic_document(block: _Block) -> Part:
    source = block.get("source")
    if not isinstance(source, Mapping):
        raise GatewayConfigError("an Anthropic document block needs a 'source' object.")
    kind = source.get("type")
    fields: dict[str, dict[str, Any]] = {
        "base64": {"data": source.get("data"), "media_type": source.get("media_type")},
        "text": {"text": source.get("data"), "media_type": "text/plain"},
        "url": {"url": source.get("url")},
        "file": {"file_id": source.get("file_id")},
    }
    chosen = fields.get(str(kind))
    if chosen is None:
        raise GatewayConfigError(
            f"Anthropic document source type {kind!r} is not supported; use base64, text, url "
            "or file."
        )
    return _document(block, **chosen)


def _audio_block(block: _Block) -> Part:
    data = _str(block.get("base64")) or _str(block.get("data"))
    mime = _str(block.get("mime_type"))
    if data and mime:
        return AudioPart(data=data, media_type=mime)
    raise GatewayConfigError(
        "an audio content block needs 'base64' data and its 'mime_type' (audio/wav or "
        "audio/mpeg); audio URLs and file ids are not taken by any chat endpoint."
    )


def _input_audio_block(block: _Block) -> Part:
    # OpenAI's own {"type": "input_audio", "input_audio": {"data", "format"}}.
    audio = block.get("input_audio")
    audio = audio if isinstance(audio, Mapping) else {}
    media_type = _AUDIO_MEDIA_TYPES.get(str(audio.get("format")), f"audio/{audio.get('format')}")
    data = _str(audio.get("data"))
    if not data:
        raise GatewayConfigError("an input_audio block needs input_audio.data (base64).")
    return AudioPart(data=data, media_type=media_type)


CONTENT_BLOCKS = {
    "file": _file_block,
    "text-plain": _text_plain_block,
    "document": _anthropic_document,
    "audio": _audio_block,
    "input_audio": _input_audio_block,
}
"""Block type -> reader, for user (human) messages."""
