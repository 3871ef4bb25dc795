"""Speech-to-text through ``/ai/run``.

The audio is checked and sent the way each model documents, the transcript read with its
timestamps.

=====================================  =============================================================
``@cf/openai/whisper-large-v3-turbo``  JSON ``{"audio": <base64>, "task", "language", "vad_filter",
                                       "initial_prompt", "prefix"}`` → ``text``, ``segments`` (with
                                       ``words``), ``transcription_info``, ``vtt``, ``word_count``
``@cf/openai/whisper``,                the raw audio bytes as the body → ``text``, ``words``
``@cf/openai/whisper-tiny-en``         (``word``, ``start``, ``end``), ``vtt``, ``word_count``
``@cf/deepgram/nova-3``                the raw audio bytes with their ``Content-Type``, options as
                                       query parameters (``language``, ``detect_language``,
                                       ``punctuate``, ``smart_format``, ``diarize``…) →
                                       ``results.channels[0].alternatives[0]``
=====================================  =============================================================

Schemas: https://developers.cloudflare.com/workers-ai/models/whisper-large-v3-turbo/,
https://developers.cloudflare.com/workers-ai/models/whisper/ and
https://developers.cloudflare.com/workers-ai/models/nova-3/. Audio must be MP3, WAV, FLAC, OGG,
WebM or M4A (recognised by its signature) and at most :data:`MAX_AUDIO_BYTES`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cf_gateway_core._rest import Fetched, v4_result
from cf_gateway_core.errors import GatewayConfigError, GatewayError
from cf_gateway_core.media import sniff_mime
from cf_gateway_core.messages import GatewayMetadata
from cf_gateway_core.profiles import DEFAULT_ASR_MODEL

__all__ = [
    "DEFAULT_ASR_MODEL",
    "MAX_AUDIO_BYTES",
    "Transcription",
    "TranscriptSegment",
    "TranscriptWord",
    "read_audio",
]

MAX_AUDIO_BYTES = 25 * 1024 * 1024
"""The package's limit per file. Cloudflare publishes none per model; 25 MB (about 34 MB once
base64-encoded for Whisper) keeps requests inside the API's body limits. Split longer audio."""
_AUDIO_TYPES = ("audio/mpeg", "audio/wav", "audio/flac", "audio/ogg", "audio/webm", "audio/mp4")
_JSON_MODELS = {
    "@cf/openai/whisper-large-v3-turbo": (
        "task",
        "language",
        "vad_filter",
        "initial_prompt",
        "prefix",
    )
}
_RAW_MODELS = {"@cf/openai/whisper": (), "@cf/openai/whisper-tiny-en": ()}
_QUERY_MODELS = {"@cf/deepgram/nova-3": ("language",)}
_TASKS = ("transcribe", "translate")


@dataclass(frozen=True, slots=True)
class TranscriptWord:
    """A word with its start and end in seconds (Deepgram adds ``confidence``, ``speaker``)."""

    word: str
    start: float | None
    end: float | None
    confidence: float | None = None
    speaker: int | None = None


@dataclass(frozen=True, slots=True)
class TranscriptSegment:
    """A stretch of the transcript with its start and end in seconds."""

    text: str
    start: float | None
    end: float | None
    words: tuple[TranscriptWord, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcription:
    """A transcript: ``text``, and what the model adds (segments, words, WebVTT, language)."""

    text: str
    model: str
    language: str | None = None
    duration: float | None = None
    segments: tuple[TranscriptSegment, ...] = ()
    words: tuple[TranscriptWord, ...] = ()
    vtt: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    gateway: GatewayMetadata | None = None


def read_audio(
    audio: bytes | str | os.PathLike[str], content_type: str | None = None
) -> tuple[bytes, str]:
    """The audio bytes and their media type, from bytes or a file path.

    Raises:
        GatewayConfigError: a missing or empty file, more than :data:`MAX_AUDIO_BYTES`, or bytes
            that are not a recognised audio format (and no ``content_type`` was given).
    """
    if isinstance(audio, (str, os.PathLike)):
        path = os.fspath(audio)
        if os.path.isdir(path):
            raise GatewayConfigError(f"audio file {path!r} is a directory, not a file.")
        if not os.path.isfile(path):
            raise GatewayConfigError(f"audio file {path!r} does not exist.")
        if os.path.getsize(path) > MAX_AUDIO_BYTES:
            raise GatewayConfigError(_too_large(os.path.getsize(path)))
        with open(path, "rb") as handle:
            data = handle.read()
    elif isinstance(audio, (bytes, bytearray, memoryview)):
        data = bytes(audio)
    else:
        raise GatewayConfigError(f"audio must be bytes or a file path, got {type(audio).__name__}.")
    if not data:
        raise GatewayConfigError("audio is empty.")
    if len(data) > MAX_AUDIO_BYTES:
        raise GatewayConfigError(_too_large(len(data)))
    mime = content_type or sniff_mime(data)
    if mime not in _AUDIO_TYPES and content_type is None:
        raise GatewayConfigError(
            "audio is not a recognised audio file (MP3, WAV, FLAC, OGG, WebM or M4A); pass "
            "content_type='audio/...' if it is one the model accepts."
        )
    assert mime is not None
    return data, mime


def _too_large(size: int) -> str:
    return (
        f"audio is {size / 1_048_576:.1f} MB; the limit is {MAX_AUDIO_BYTES // 1_048_576} MB per "
        "request. Split the recording into shorter files."
    )


def _allowed(model: str) -> tuple[str, ...]:
    for table in (_JSON_MODELS, _RAW_MODELS, _QUERY_MODELS):
        if model in table:
            return table[model]
    return ("task", "language", "vad_filter", "initial_prompt", "prefix")


def transcription_request(
    model: str, data: bytes, mime: str, options: Mapping[str, Any]
) -> dict[str, Any]:
    """How to send the audio: ``{"payload": …}`` (JSON) or ``{"raw", "content_type", "query"}``.

    Raises:
        GatewayConfigError: an option the model does not take (``extra=`` passes it unchecked),
            or a ``task`` other than ``transcribe``/``translate``.
    """
    given = {k: v for k, v in options.items() if v is not None and k != "extra"}
    refused = sorted(set(given) - set(_allowed(model)))
    if refused:
        raise GatewayConfigError(
            f"{model} does not take {', '.join(refused)}= (it takes "
            f"{', '.join(_allowed(model)) or 'no options'}; pass others in extra=)."
        )
    if given.get("task") not in (None, *_TASKS):
        raise GatewayConfigError(
            f"task must be 'transcribe' or 'translate', got {given['task']!r}."
        )
    extra = dict(options.get("extra") or {})
    if model in _RAW_MODELS:
        return {"raw": data, "content_type": mime, "query": extra or None}
    if model in _QUERY_MODELS:
        return {"raw": data, "content_type": mime, "query": {**given, **extra}}
    payload = {"audio": base64.b64encode(data).decode("ascii"), **given, **extra}
    return {"payload": payload}


def _num(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _words(rows: Any) -> tuple[TranscriptWord, ...]:
    if not isinstance(rows, list):
        return ()
    words = []
    for row in rows:
        if isinstance(row, Mapping) and isinstance(row.get("word"), str):
            speaker = row.get("speaker")
            words.append(
                TranscriptWord(
                    word=row.get("punctuated_word") or row["word"],
                    start=_num(row.get("start")),
                    end=_num(row.get("end")),
                    confidence=_num(row.get("confidence")),
                    speaker=speaker if isinstance(speaker, int) else None,
                )
            )
    return tuple(words)


def _segments(rows: Any) -> tuple[TranscriptSegment, ...]:
    if not isinstance(rows, list):
        return ()
    return tuple(
        TranscriptSegment(
            text=str(row.get("text", "")).strip(),
            start=_num(row.get("start")),
            end=_num(row.get("end")),
            words=_words(row.get("words")),
        )
        for row in rows
        if isinstance(row, Mapping)
    )


def _deepgram(model: str, result: Mapping[str, Any]) -> Transcription:
    results = result.get("results")
    channels = results.get("channels") if isinstance(results, Mapping) else None
    first = channels[0] if isinstance(channels, list) and channels else {}
    alternatives = first.get("alternatives") if isinstance(first, Mapping) else None
    best = alternatives[0] if isinstance(alternatives, list) and alternatives else {}
    if not isinstance(best, Mapping) or not isinstance(best.get("transcript"), str):
        raise GatewayError(f"The transcription has no transcript: {str(result)[:200]}")
    metadata = result.get("metadata") if isinstance(result.get("metadata"), Mapping) else {}
    language = first.get("detected_language") if isinstance(first, Mapping) else None
    return Transcription(
        text=best["transcript"],
        model=model,
        language=language if isinstance(language, str) else None,
        duration=_num(metadata.get("duration")) if isinstance(metadata, Mapping) else None,
        words=_words(best.get("words")),
        raw=dict(result),
    )


def _whisper(model: str, result: Mapping[str, Any]) -> Transcription:
    if not isinstance(result.get("text"), str):
        raise GatewayError(f"The transcription has no text: {str(result)[:200]}")
    info = result.get("transcription_info")
    info = info if isinstance(info, Mapping) else {}
    segments = _segments(result.get("segments"))
    words = _words(result.get("words")) or tuple(w for s in segments for w in s.words)
    vtt = result.get("vtt")
    return Transcription(
        text=result["text"],
        model=model,
        language=info.get("language") if isinstance(info.get("language"), str) else None,
        duration=_num(info.get("duration")),
        segments=segments,
        words=words,
        vtt=vtt if isinstance(vtt, str) else None,
        raw=dict(result),
    )


def parse_transcription(model: str, reply: Fetched) -> Transcription:
    """Read a Whisper (``text``…) or Deepgram (``results.channels``…) transcription."""
    result = v4_result(reply.json())
    if not isinstance(result, Mapping):
        raise GatewayError(f"The transcription is not an object: {str(result)[:200]}")
    parser = _deepgram if "results" in result else _whisper
    from dataclasses import replace

    return replace(parser(model, result), gateway=reply.gateway)
