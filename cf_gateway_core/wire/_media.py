"""Documents and audio on each API, and the errors for an API without them.

Anthropic ``document`` blocks, OpenAI Chat ``file`` and ``input_audio`` parts, Responses
``input_file`` parts. Shapes and sources are listed in docs/content.md. A document comes as exactly
one of base64 ``data``, ``text``, an ``https`` ``url`` or a provider ``file_id``; audio as base64
with a media type. Nothing is converted between sources except base64 text documents, which
Anthropic takes as a ``text`` source.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.messages import AudioPart, ChatRequest, DocumentPart

__all__ = [
    "anthropic_document",
    "audio_refused",
    "chat_audio",
    "chat_file",
    "check_document",
    "has_part",
    "responses_file",
]

_Block = dict[str, Any]

_PDF = "application/pdf"

# OpenAI input_audio formats by media type (https://platform.openai.com/docs/guides/audio).
_AUDIO_FORMATS: dict[str, str] = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}

_EXTENSIONS: dict[str, str] = {_PDF: "pdf", "text/plain": "txt", "text/markdown": "md"}


def has_part(request: ChatRequest, kind: type) -> bool:
    """Whether any message holds a part of ``kind``."""
    return any(isinstance(p, kind) for m in request.messages for p in m.parts)


def check_document(part: DocumentPart) -> str:
    """The one source a document uses (``data``, ``text``, ``url`` or ``file_id``).

    Raises:
        GatewayConfigError: none or several sources are set.
    """
    sources = [name for name in ("data", "text", "url", "file_id") if getattr(part, name)]
    if len(sources) != 1:
        raise GatewayConfigError(
            "a document needs exactly one source: base64 data (with its mime type), text, an "
            f"https URL or a provider file id; got {sources or 'none'}."
        )
    return sources[0]


def _is_text(part: DocumentPart) -> bool:
    return (part.media_type or "").startswith("text/")


def _decoded_text(part: DocumentPart) -> str:
    try:
        return base64.b64decode(part.data or "", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise GatewayConfigError(
            f"a {part.media_type} document's base64 data is not UTF-8 text ({exc}); pass the "
            "text itself, or the right mime type."
        ) from None


def _anthropic_source(part: DocumentPart, source: str) -> _Block:
    if source == "text" or (source == "data" and _is_text(part)):
        text = part.text if source == "text" else _decoded_text(part)
        return {"type": "text", "media_type": "text/plain", "data": text}
    if source == "data":
        media_type = part.media_type or _PDF
        if media_type != _PDF:
            raise GatewayConfigError(
                f"the Anthropic Messages API takes base64 documents as PDF or plain text, not "
                f"{media_type}; convert the file, or pass its text."
            )
        return {"type": "base64", "media_type": _PDF, "data": part.data}
    if source == "url":
        return {"type": "url", "url": part.url}
    return {"type": "file", "file_id": part.file_id}


def anthropic_document(part: DocumentPart) -> _Block:
    """An Anthropic ``document`` block (title, context and citations when set)."""
    block: _Block = {"type": "document", "source": _anthropic_source(part, check_document(part))}
    if part.title:
        block["title"] = part.title
    if part.context:
        block["context"] = part.context
    if part.citations:
        block["citations"] = {"enabled": True}
    return block


def _filename(part: DocumentPart) -> str:
    if part.filename:
        return part.filename
    media_type = part.media_type or (_PDF if part.data else "text/plain")
    stem = part.title or "document"
    extension = _EXTENSIONS.get(media_type)
    return stem if extension is None or stem.endswith(f".{extension}") else f"{stem}.{extension}"


def _data_url(part: DocumentPart) -> str:
    if part.text is not None:
        encoded = base64.b64encode(part.text.encode("utf-8")).decode("ascii")
        return f"data:text/plain;base64,{encoded}"
    return f"data:{part.media_type or _PDF};base64,{part.data}"


def _refuse_openai_extras(part: DocumentPart, endpoint: str) -> None:
    if part.citations or part.context:
        what = "citations" if part.citations else "context"
        raise GatewayConfigError(
            f"document {what} is an Anthropic feature that endpoint {endpoint!r} does not take: "
            "use an anthropic/ model (endpoint 'messages'), or leave it out."
        )


def chat_file(part: DocumentPart, endpoint: str) -> _Block:
    """A Chat Completions ``file`` content part (``file_data`` + ``filename``, or ``file_id``)."""
    source = check_document(part)
    _refuse_openai_extras(part, endpoint)
    if source == "url":
        raise GatewayConfigError(
            f"endpoint {endpoint!r} takes documents as base64 data or a file id, not a URL: use "
            "endpoint 'responses' (input_file takes file_url) or 'messages' (Anthropic), or "
            "download the file and pass its bytes."
        )
    if source == "file_id":
        return {"type": "file", "file": {"file_id": part.file_id}}
    if source == "text" or (part.media_type or _PDF) != _PDF:
        # Chat Completions file parts take PDFs only: https://platform.openai.com/docs/guides/pdf-files
        raise GatewayConfigError(
            f"endpoint {endpoint!r} takes documents as PDF only, not "
            f"{part.media_type or 'text/plain'}: use endpoint 'responses' (input_file takes "
            "text and other files) or 'messages' (Anthropic), or send the text as a text block."
        )
    return {"type": "file", "file": {"filename": _filename(part), "file_data": _data_url(part)}}


def responses_file(part: DocumentPart, endpoint: str) -> _Block:
    """A Responses ``input_file`` content part."""
    source = check_document(part)
    _refuse_openai_extras(part, endpoint)
    if source == "url":
        return {"type": "input_file", "file_url": part.url}
    if source == "file_id":
        return {"type": "input_file", "file_id": part.file_id}
    return {"type": "input_file", "filename": _filename(part), "file_data": _data_url(part)}


def chat_audio(part: AudioPart, endpoint: str) -> _Block:
    """A Chat Completions ``input_audio`` content part.

    Raises:
        GatewayConfigError: a media type other than WAV or MP3.
    """
    audio_format = _AUDIO_FORMATS.get(part.media_type.lower())
    if audio_format is None:
        raise GatewayConfigError(
            f"endpoint {endpoint!r} takes audio as WAV or MP3 (input_audio format 'wav' or "
            f"'mp3'), not {part.media_type!r}; convert the audio first."
        )
    return {"type": "input_audio", "input_audio": {"data": part.data, "format": audio_format}}


def audio_refused(endpoint: str) -> GatewayConfigError:
    """The error for audio on an API without audio input."""
    return GatewayConfigError(
        f"audio input is not supported on endpoint {endpoint!r}: send it on endpoint "
        "'chat_completions' (input_audio) with an audio-capable model such as "
        "openai/gpt-4o-audio-preview."
    )
