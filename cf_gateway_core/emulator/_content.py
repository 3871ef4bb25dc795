"""The emulator's checks of document, audio and tool-result content, per API.

The checks follow how the real APIs validate them (shapes and sources in docs/content.md). Each
checker walks a request body and returns why it is invalid (``None`` when it is fine); the
dispatcher answers that with 400 / code 7003, like every other malformed body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["check_content"]

_Check = Callable[[Mapping[str, Any]], "str | None"]

_AUDIO_FORMATS = frozenset({"wav", "mp3"})

# Anthropic document sources: type -> (required keys, media types allowed or None for any).
_DOCUMENT_SOURCES: dict[str, tuple[tuple[str, ...], frozenset[str] | None]] = {
    "base64": (("media_type", "data"), frozenset({"application/pdf"})),
    "text": (("media_type", "data"), frozenset({"text/plain"})),
    "url": (("url",), None),
    "file": (("file_id",), None),
    "content": (("content",), None),
}


def _items(messages: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, content item) for every content item of every message, tool results included."""
    for m, message in enumerate(messages if isinstance(messages, list) else []):
        content = message.get("content") if isinstance(message, Mapping) else None
        for c, item in enumerate(content if isinstance(content, list) else []):
            if not isinstance(item, Mapping):
                continue
            path = f"messages.{m}.content.{c}"
            yield path, item
            inner = item.get("content")
            for i, sub in enumerate(inner if isinstance(inner, list) else []):
                if isinstance(sub, Mapping):
                    yield f"{path}.content.{i}", sub


def _document(path: str, block: Mapping[str, Any]) -> str | None:
    source = block.get("source")
    kind = source.get("type") if isinstance(source, Mapping) else None
    spec = _DOCUMENT_SOURCES.get(str(kind))
    if not isinstance(source, Mapping) or spec is None:
        return f"{path}.source.type: Input should be one of {sorted(_DOCUMENT_SOURCES)}"
    required, media_types = spec
    for key in required:
        if not source.get(key):
            return f"{path}.source.{key}: Field required"
    if media_types is not None and source.get("media_type") not in media_types:
        return f"{path}.source.media_type: Input should be one of {sorted(media_types)}"
    citations = block.get("citations")
    if citations is not None and not (
        isinstance(citations, Mapping) and isinstance(citations.get("enabled"), bool)
    ):
        return f"{path}.citations: Input should be {{'enabled': bool}}"
    return None


def _anthropic(body: Mapping[str, Any]) -> str | None:
    for path, item in _items(body.get("messages")):
        kind = item.get("type")
        if kind == "document":
            problem = _document(path, item)
            if problem:
                return problem
        elif kind in ("input_audio", "audio"):
            return f"{path}.type: audio input is not supported by the Anthropic Messages API"
    return None


def _chat_file(path: str, item: Mapping[str, Any]) -> str | None:
    file = item.get("file")
    if not isinstance(file, Mapping):
        return f"Missing required parameter: '{path}.file'."
    if file.get("file_id"):
        return None
    data = file.get("file_data")
    if not (isinstance(data, str) and data.startswith("data:") and ";base64," in data):
        return f"Invalid '{path}.file.file_data': expected a base64 data URL."
    if not file.get("filename"):
        return f"Missing required parameter: '{path}.file.filename'."
    if not data.startswith("data:application/pdf;"):
        # Chat Completions file parts take PDFs only (OpenAI's file-inputs guide).
        return f"Invalid '{path}.file.file_data': Chat Completions file inputs support PDF only."
    return None


def _chat_audio(path: str, item: Mapping[str, Any]) -> str | None:
    audio = item.get("input_audio")
    if not isinstance(audio, Mapping) or not audio.get("data"):
        return f"Missing required parameter: '{path}.input_audio.data'."
    if audio.get("format") not in _AUDIO_FORMATS:
        return f"Invalid value: '{audio.get('format')}'. Supported values are: 'wav' and 'mp3'."
    return None


def _openai_chat(body: Mapping[str, Any]) -> str | None:
    checks = {"file": _chat_file, "input_audio": _chat_audio}
    for path, item in _items(body.get("messages")):
        check = checks.get(str(item.get("type")))
        problem = check(path, item) if check else None
        if problem:
            return problem
    return None


def _input_file(path: str, item: Mapping[str, Any]) -> str | None:
    sources = [key for key in ("file_id", "file_url", "file_data") if item.get(key)]
    if len(sources) != 1:
        return f"Invalid '{path}': provide exactly one of file_id, file_url or file_data."
    if sources == ["file_data"] and not item.get("filename"):
        return f"Missing required parameter: '{path}.filename'."
    return None


_OUTPUT_TYPES = frozenset({"input_text", "input_image", "input_file"})


def _function_output(index: int, item: Mapping[str, Any]) -> str | None:
    output = item.get("output")
    if isinstance(output, str):
        return None
    if not isinstance(output, list):
        return f"Invalid type for 'input[{index}].output': expected a string or an array."
    for i, part in enumerate(output):
        if not isinstance(part, Mapping) or part.get("type") not in _OUTPUT_TYPES:
            return (
                f"Invalid value for 'input[{index}].output[{i}].type': expected one of "
                f"{sorted(_OUTPUT_TYPES)}."
            )
        if part.get("type") == "input_image" and not (part.get("image_url") or part.get("file_id")):
            return f"Missing required parameter: 'input[{index}].output[{i}].image_url'."
    return None


def _responses(body: Mapping[str, Any]) -> str | None:
    items = body.get("input")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, Mapping) and item.get("type") == "function_call_output":
            problem = _function_output(index, item)
            if problem:
                return problem
    for path, item in _items(items if isinstance(items, list) else []):
        kind = item.get("type")
        if kind == "input_file":
            problem = _input_file(path.replace("messages", "input"), item)
            if problem:
                return problem
        elif kind == "input_audio":
            return f"Invalid value: 'input_audio' at {path.replace('messages', 'input')}."
    return None


_CHECKS: dict[str, _Check] = {
    "anthropic": _anthropic,
    "openai_chat": _openai_chat,
    "native": _openai_chat,
    "responses": _responses,
}


def check_content(fmt: str, body: Mapping[str, Any]) -> str | None:
    """Why the content of a body in reply format ``fmt`` is invalid, or ``None``."""
    check = _CHECKS.get(fmt)
    return check(body) if check else None
