"""The emulator's media models and rerankers on ``/ai/run/{model}``: deterministic, valid files.

=======================================  =========================================================
``@cf/black-forest-labs/flux-1-schnell`` v4 ``{"image": <base64 PNG>}`` (the real model sends a
                                         JPEG; any image type reads the same way)
SDXL-family models                       raw ``image/png`` bytes
``@cf/openai/whisper-large-v3-turbo``    v4 ``{"text", "word_count", "segments", "vtt",
                                         "transcription_info"}``
``@cf/openai/whisper``, ``-tiny-en``     v4 ``{"text", "word_count", "words", "vtt"}`` (raw body)
``@cf/deepgram/nova-3``                  v4 ``{"results": {"channels": [...]}, "metadata"}``
``@cf/myshell-ai/melotts``               v4 ``{"audio": <base64 MP3>}``
``@cf/deepgram/aura-1``/``aura-2-*``     raw ``audio/mpeg`` (``encoding=linear16``: ``audio/wav``)
``@cf/baai/bge-reranker-*``              v4 ``{"response": [{"id", "score"}]}``, best first
=======================================  =========================================================

The PNG's colour and size follow the prompt and ``width``/``height``; speech is a short silent MP3
(or WAV) that carries its text in a tag (ID3 ``TIT2`` / RIFF ``INFO``), so the emulator's
transcription of its own speech returns that text; other audio gets a transcript naming its size
and type. Rerank scores are word overlap with the query, squashed to (0, 1).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from cf_gateway_core.emulator.exchange import RecordedRequest, Reply

__all__ = ["media_reply", "mp3_with_text", "png", "wav_with_text"]

_WORDS = re.compile(r"\w+")
_SECONDS_PER_WORD = 0.5
_MP3_FRAME = b"\xff\xfb\x90\xc0" + bytes(413)  # MPEG-1 Layer III, 128 kb/s, 44.1 kHz, mono
_MP3_FRAME_SECONDS = 1152 / 44100
_WAV_RATE = 8000


class MediaRejected(Exception):
    """A request the model would refuse (answered 400 / 7003 like the run path)."""


def _envelope(result: Any) -> Reply:
    return Reply.json({"result": result, "success": True, "errors": [], "messages": []})


def _body(request: RecordedRequest) -> dict[str, Any]:
    body = request.json
    if not isinstance(body, dict):
        raise MediaRejected("the request body must be a JSON object")
    return body


def _text(body: Mapping[str, Any], key: str, limit: int | None = None) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise MediaRejected(f"Required value missing: {key}")
    if limit is not None and len(value) > limit:
        raise MediaRejected(f"Invalid value at {key}: longer than {limit} characters")
    return value


def _int(body: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MediaRejected(f"Invalid value at {key}: expected an integer from {low} to {high}")
    return value


# ----------------------------------------------------------------- files


def png(width: int, height: int, seed: str) -> bytes:
    """A valid RGB PNG of one colour derived from ``seed``."""
    color = hashlib.sha256(seed.encode()).digest()[:3]
    raw = (b"\x00" + color * width) * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _syncsafe(size: int) -> bytes:
    return bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])


def mp3_with_text(text: str) -> bytes:
    """A valid silent MP3 (about 0.5 s per word) whose ID3v2.3 ``TIT2`` frame holds ``text``."""
    payload = b"\x03" + text.encode()  # encoding 3 = UTF-8
    frame = b"TIT2" + struct.pack(">I", len(payload)) + b"\x00\x00" + payload
    tag = b"ID3\x03\x00\x00" + _syncsafe(len(frame)) + frame
    seconds = max(1, len(_WORDS.findall(text))) * _SECONDS_PER_WORD
    return tag + _MP3_FRAME * max(1, round(seconds / _MP3_FRAME_SECONDS))


def wav_with_text(text: str) -> bytes:
    """A valid silent 8 kHz mono WAV (about 0.5 s per word) with ``text`` in ``LIST/INFO/ICMT``."""
    seconds = max(1, len(_WORDS.findall(text))) * _SECONDS_PER_WORD
    samples = bytes(2 * int(_WAV_RATE * seconds))
    note = text.encode() + b"\x00"
    note += b"\x00" * (len(note) % 2)
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(note)) + note
    fmt = struct.pack("<HHIIHH", 1, 1, _WAV_RATE, 2 * _WAV_RATE, 2, 16)
    body = (
        b"WAVE"
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"LIST" + struct.pack("<I", len(info)) + info
        + b"data" + struct.pack("<I", len(samples)) + samples
    )  # fmt: skip
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _embedded_text(audio: bytes) -> str | None:
    if audio.startswith(b"ID3"):
        match = re.search(rb"TIT2(....)\x00\x00\x03", audio[:4096], flags=re.DOTALL)
        if match:
            size = struct.unpack(">I", match.group(1))[0]
            start = match.end()
            return audio[start : start + size - 1].decode("utf-8", "replace")
    if audio.startswith(b"RIFF"):
        match = re.search(rb"ICMT(....)", audio[:4096], flags=re.DOTALL)
        if match:
            size = struct.unpack("<I", match.group(1))[0]
            return (
                audio[match.end() : match.end() + size].rstrip(b"\x00").decode("utf-8", "replace")
            )
    return None


def _audio_kind(audio: bytes) -> str | None:
    from cf_gateway_core.media import sniff_mime

    mime = sniff_mime(audio)
    return mime if mime is not None and mime.startswith("audio/") else None


# ----------------------------------------------------------------- image models


def _flux(request: RecordedRequest) -> Reply:
    body = _body(request)
    unknown = set(body) - {"prompt", "steps", "seed"}
    if unknown:
        raise MediaRejected(f"Invalid input: unexpected properties {sorted(unknown)}")
    prompt = _text(body, "prompt", 2048)
    _int(body, "steps", 1, 8)
    image = png(64, 64, f"{prompt}:{body.get('seed')}")
    return _envelope({"image": base64.b64encode(image).decode()})


def _sdxl(request: RecordedRequest) -> Reply:
    body = _body(request)
    prompt = _text(body, "prompt")
    _int(body, "num_steps", 1, 20)
    width = _int(body, "width", 256, 2048) or 1024
    height = _int(body, "height", 256, 2048) or 1024
    image = png(width, height, f"{prompt}:{body.get('seed')}")
    return Reply(status=200, headers={"content-type": "image/png"}, body=image)


# ----------------------------------------------------------------- speech-to-text


def _audio_bytes(request: RecordedRequest) -> bytes:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        audio = _body(request).get("audio")
        if isinstance(audio, str):
            try:
                return base64.b64decode(audio, validate=True)
            except ValueError:
                raise MediaRejected("Invalid value at audio: not base64") from None
        if isinstance(audio, list) and all(isinstance(b, int) and 0 <= b < 256 for b in audio):
            return bytes(audio)
        raise MediaRejected("Required value missing: audio")
    return request.content


def _transcript(audio: bytes) -> tuple[str, float]:
    if not audio:
        raise MediaRejected("Required value missing: audio")
    kind = _audio_kind(audio)
    if kind is None:
        raise MediaRejected("could not decode the audio (not a supported audio format)")
    text = _embedded_text(audio) or f"Emulated transcript of {len(audio)} bytes of {kind}."
    return text, max(1, len(_WORDS.findall(text))) * _SECONDS_PER_WORD


def _timed_words(text: str) -> list[dict[str, Any]]:
    return [
        {"word": word, "start": i * _SECONDS_PER_WORD, "end": (i + 1) * _SECONDS_PER_WORD}
        for i, word in enumerate(text.split())
    ]


def _vtt(text: str, duration: float) -> str:
    return f"WEBVTT\n\n00:00:00.000 --> 00:00:{duration:06.3f}\n{text}\n"


def _whisper_turbo(request: RecordedRequest) -> Reply:
    body = _body(request)
    if not isinstance(body.get("audio"), str):
        raise MediaRejected("Invalid value at audio: expected a base64 string")
    text, duration = _transcript(_audio_bytes(request))
    words = _timed_words(text)
    segment = {"start": 0.0, "end": duration, "text": text, "temperature": 0.0, "words": words}
    info = {
        "language": body.get("language") or "en",
        "language_probability": 1.0,
        "duration": duration,
        "duration_after_vad": duration,
    }
    result = {
        "text": text,
        "word_count": len(words),
        "segments": [segment],
        "vtt": _vtt(text, duration),
        "transcription_info": info,
    }
    return _envelope(result)


def _whisper(request: RecordedRequest) -> Reply:
    text, duration = _transcript(_audio_bytes(request))
    words = _timed_words(text)
    return _envelope(
        {"text": text, "word_count": len(words), "words": words, "vtt": _vtt(text, duration)}
    )


def _nova(request: RecordedRequest) -> Reply:
    if not request.headers.get("content-type", "").startswith("audio/"):
        raise MediaRejected("send the audio bytes with an audio/* Content-Type")
    text, duration = _transcript(request.content)
    words = [{**w, "confidence": 0.99, "punctuated_word": w["word"]} for w in _timed_words(text)]
    alternative = {"transcript": text, "confidence": 0.99, "words": words}
    result = {
        "metadata": {"duration": duration, "channels": 1},
        "results": {"channels": [{"alternatives": [alternative]}]},
    }
    return _envelope(result)


# ----------------------------------------------------------------- text-to-speech


def _melotts(request: RecordedRequest) -> Reply:
    text = _text(_body(request), "prompt")
    return _envelope({"audio": base64.b64encode(mp3_with_text(text)).decode()})


def _aura(request: RecordedRequest) -> Reply:
    body = _body(request)
    text = _text(body, "text")
    encoding = body.get("encoding", "mp3")
    if encoding == "mp3":
        return Reply(status=200, headers={"content-type": "audio/mpeg"}, body=mp3_with_text(text))
    if encoding == "linear16":
        return Reply(status=200, headers={"content-type": "audio/wav"}, body=wav_with_text(text))
    raise MediaRejected(f"the emulator synthesises mp3 and linear16 only, not {encoding!r}")


# ----------------------------------------------------------------- rerank


def _score(query: set[str], text: str, index: int) -> float:
    words = {w.lower() for w in _WORDS.findall(text)}
    overlap = len(query & words) / max(1, len(query))
    jitter = (index % 7) / 1000  # keeps equal overlaps apart, deterministically
    return round(1 / (1 + math.exp(-(6 * overlap - 3))) - jitter, 6)


def _rerank(request: RecordedRequest) -> Reply:
    body = _body(request)
    query = _text(body, "query")
    contexts = body.get("contexts")
    if not isinstance(contexts, list) or not contexts:
        raise MediaRejected("Required value missing: contexts")
    texts = [c.get("text") if isinstance(c, dict) else None for c in contexts]
    if not all(isinstance(t, str) and t for t in texts):
        raise MediaRejected("Invalid value at contexts: each item needs a non-empty text")
    top_k = _int(body, "top_k", 1, 1_000_000)
    terms = {w.lower() for w in _WORDS.findall(query)}
    scored = [{"id": i, "score": _score(terms, str(t), i)} for i, t in enumerate(texts)]
    scored.sort(key=lambda row: (-row["score"], row["id"]))
    return _envelope({"response": scored[:top_k] if top_k else scored})


# ----------------------------------------------------------------- dispatch

_SDXL_MODELS = (
    "@cf/stabilityai/stable-diffusion-xl-base-1.0",
    "@cf/bytedance/stable-diffusion-xl-lightning",
    "@cf/lykon/dreamshaper-8-lcm",
)
_HANDLERS: dict[str, Callable[[RecordedRequest], Reply]] = {
    "@cf/black-forest-labs/flux-1-schnell": _flux,
    **{model: _sdxl for model in _SDXL_MODELS},
    "@cf/openai/whisper-large-v3-turbo": _whisper_turbo,
    "@cf/openai/whisper": _whisper,
    "@cf/openai/whisper-tiny-en": _whisper,
    "@cf/deepgram/nova-3": _nova,
    "@cf/myshell-ai/melotts": _melotts,
}
_PREFIXES: tuple[tuple[str, Callable[[RecordedRequest], Reply]], ...] = (
    ("@cf/deepgram/aura-", _aura),
    ("@cf/baai/bge-reranker-", _rerank),
)


def _handler(model: str) -> Callable[[RecordedRequest], Reply] | None:
    handler = _HANDLERS.get(model)
    if handler is None:
        handler = next((h for prefix, h in _PREFIXES if model.startswith(prefix)), None)
    return handler


def media_reply(request: RecordedRequest) -> Reply | None:
    """The reply for a media or rerank model on ``/ai/run/{model}``; ``None`` for other models."""
    _, _, model = request.path.partition("/ai/run/")
    handler = _handler(model.strip("/"))
    if handler is None:
        return None
    try:
        return handler(request)
    except MediaRejected as exc:
        message = f"Model execution failed (User Input Error): {exc}"
        return Reply.error(400, code=7003, message=message)
    except (ValueError, json.JSONDecodeError) as exc:  # pragma: no cover - defensive
        return Reply.error(400, code=7003, message=f"Model execution failed: {exc}")
