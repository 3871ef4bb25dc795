"""Image generation, text-to-speech and reranking through ``/ai/run``.

Requests are built from each model's documented input schema, replies read in each documented
output form.

=====================================  =============================================================
image (``generate_image``)             ``@cf/black-forest-labs/flux-1-schnell`` → JSON
                                       ``{"image": <base64>}``; ``@cf/stabilityai/stable-diffusion-
                                       xl-base-1.0`` and other SDXL models → raw ``image/png``;
                                       third-party models on the universal ``/ai/run`` → ``{"image":
                                       <URL>}`` or ``{"images": [...]}``
speech (``speak``)                     ``@cf/myshell-ai/melotts`` → ``{"audio": <base64 MP3>}`` (or
                                       raw ``audio/mpeg``); ``@cf/deepgram/aura-1``/``aura-2-*`` →
                                       raw audio in the requested encoding
rerank (``rerank``)                    ``@cf/baai/bge-reranker-base`` → ``{"response": [{"id",
                                       "score"}]}``; at most :data:`MAX_RERANK_BATCH` contexts a
                                       request, larger lists are split and merged
=====================================  =============================================================

Schemas: https://developers.cloudflare.com/workers-ai/models/ (each model's page). Inputs a model
does not document are refused with a :class:`~cf_gateway_core.errors.GatewayConfigError` that
lists the ones it takes; ``extra=`` passes anything else through unchecked.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from cf_gateway_core._rest import Fetched, key_source, v4_result
from cf_gateway_core.errors import GatewayConfigError, GatewayError
from cf_gateway_core.messages import GatewayMetadata
from cf_gateway_core.profiles import DEFAULT_IMAGE_MODEL, DEFAULT_RERANK_MODEL, DEFAULT_TTS_MODEL

__all__ = [
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_RERANK_MODEL",
    "DEFAULT_TTS_MODEL",
    "MAX_RERANK_BATCH",
    "GeneratedImage",
    "RerankResult",
    "RerankScore",
    "Speech",
    "sniff_mime",
]

MAX_RERANK_BATCH = 100
"""Contexts per rerank request. The model page gives no maximum; 100 matches the embeddings
batch and keeps each request well inside the API's body limits."""

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF8", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ID3", 0, "audio/mpeg"),
    (b"RIFF", 0, "audio/wav"),
    (b"fLaC", 0, "audio/flac"),
    (b"OggS", 0, "audio/ogg"),
    (b"\x1aE\xdf\xa3", 0, "audio/webm"),
    (b"ftyp", 4, "audio/mp4"),
)


def sniff_mime(data: bytes) -> str | None:
    """The media type of image or audio bytes from their signature (``None`` if unknown)."""
    for magic, offset, mime in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return mime
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MP3 frame header without an ID3 tag
    return None


def _decode_base64(text: str, what: str) -> bytes:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GatewayError(f"The {what} in the reply is not valid base64 ({exc}).") from exc


def _metadata(reply: Fetched, body: Any = None) -> GatewayMetadata:
    source = key_source(body)
    if source is None:
        return reply.gateway
    from dataclasses import replace

    return replace(reply.gateway, key_source=source)


# ----------------------------------------------------------------- image generation


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageSpec:
    """What an image model takes: the JSON key of each option, bounds, the prompt limit."""

    keys: Mapping[str, str]
    """option name -> the model's input key (``steps`` is ``num_steps`` on SDXL)."""
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    max_prompt: int | None = None


_SDXL = ImageSpec(
    keys={
        "steps": "num_steps",
        "seed": "seed",
        "width": "width",
        "height": "height",
        "negative_prompt": "negative_prompt",
        "guidance": "guidance",
    },
    bounds={"steps": (1, 20), "width": (256, 2048), "height": (256, 2048)},
)
IMAGE_MODELS: dict[str, ImageSpec] = {
    # https://developers.cloudflare.com/workers-ai/models/flux-1-schnell/ (prompt ≤ 2048, steps ≤ 8)
    "@cf/black-forest-labs/flux-1-schnell": ImageSpec(
        keys={"steps": "steps", "seed": "seed"}, bounds={"steps": (1, 8)}, max_prompt=2048
    ),
    # https://developers.cloudflare.com/workers-ai/models/stable-diffusion-xl-base-1.0/
    "@cf/stabilityai/stable-diffusion-xl-base-1.0": _SDXL,
    "@cf/bytedance/stable-diffusion-xl-lightning": _SDXL,
    "@cf/lykon/dreamshaper-8-lcm": _SDXL,
}
_GENERIC_IMAGE = ImageSpec(
    keys={
        "steps": "steps",
        "seed": "seed",
        "width": "width",
        "height": "height",
        "negative_prompt": "negative_prompt",
        "guidance": "guidance",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratedImage:
    """A generated image: ``data`` (bytes) and its ``mime_type``, or a ``url``.

    The ``url`` is set when the model answers with a link (third-party models on the universal
    ``/ai/run``).
    """

    data: bytes | None
    mime_type: str | None
    model: str
    url: str | None = None
    gateway: GatewayMetadata | None = None

    def save(self, path: str) -> str:
        """Write the image bytes to ``path`` (``GatewayError`` when the reply was a URL)."""
        if self.data is None:
            raise GatewayError(f"The model answered with a URL, not image bytes: {self.url}")
        with open(path, "wb") as handle:
            handle.write(self.data)
        return path


def _check_number(name: str, value: Any, bounds: tuple[float, float] | None, integer: bool) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise GatewayConfigError(
            f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}."
        )
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise GatewayConfigError(
            f"{name} must be from {bounds[0]:g} to {bounds[1]:g} for this model, got {value!r}."
        )
    return value


_INTEGER_OPTIONS = frozenset({"steps", "seed", "width", "height"})


def image_payload(model: str, prompt: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The input of an image model.

    ``options`` are ``steps``, ``seed``, ``width``, ``height``, ``negative_prompt``,
    ``guidance`` (``None`` = not sent) and ``extra`` (merged unchecked).

    Raises:
        GatewayConfigError: an empty or too long prompt, an option the model does not take, or a
            value out of the model's bounds.
    """
    spec = IMAGE_MODELS.get(model, _GENERIC_IMAGE)
    if not isinstance(prompt, str) or not prompt.strip():
        raise GatewayConfigError("prompt must be a non-empty string describing the image.")
    if spec.max_prompt is not None and len(prompt) > spec.max_prompt:
        raise GatewayConfigError(
            f"prompt is {len(prompt)} characters; {model} takes at most {spec.max_prompt}."
        )
    payload: dict[str, Any] = {"prompt": prompt}
    for name, value in options.items():
        if value is None or name == "extra":
            continue
        if name not in spec.keys:
            raise GatewayConfigError(
                f"{model} does not take {name}=; it takes prompt and "
                f"{', '.join(sorted(spec.keys))} (pass anything else in extra=)."
            )
        if name == "negative_prompt":
            if not isinstance(value, str):
                raise GatewayConfigError(f"negative_prompt must be a string, got {value!r}.")
        else:
            _check_number(name, value, spec.bounds.get(name), name in _INTEGER_OPTIONS)
        payload[spec.keys[name]] = value
    payload.update(options.get("extra") or {})
    return payload


def parse_image(model: str, reply: Fetched) -> GeneratedImage:
    """Read an image reply.

    Raw image bytes, ``{"image": base64|data URI|URL}`` or ``{"images": [...]}`` (the first one).
    """
    if reply.content_type.startswith("image/") or (not reply.is_json and reply.content):
        data = reply.content
        mime = sniff_mime(data) or reply.content_type or None
        return GeneratedImage(data=data, mime_type=mime, model=model, gateway=reply.gateway)
    body = reply.json()
    result = v4_result(body)
    value = result.get("image") if isinstance(result, Mapping) else None
    if value is None and isinstance(result, Mapping) and isinstance(result.get("images"), list):
        value = next(iter(result["images"]), None)
    if not isinstance(value, str) or not value:
        raise GatewayError(f"The image model answered without an image: {str(result)[:200]}")
    gateway = _metadata(reply, body)
    if value.startswith(("http://", "https://")):
        return GeneratedImage(data=None, mime_type=None, model=model, url=value, gateway=gateway)
    data = _decode_base64(value, "image")
    return GeneratedImage(data=data, mime_type=sniff_mime(data), model=model, gateway=gateway)


# ----------------------------------------------------------------- text-to-speech

# https://developers.cloudflare.com/workers-ai/models/aura-1/
AURA_SPEAKERS = (
    "angus", "asteria", "arcas", "orion", "orpheus", "athena",
    "luna", "zeus", "perseus", "helios", "hera", "stella",
)  # fmt: skip
AURA_ENCODINGS = ("linear16", "flac", "mulaw", "alaw", "mp3", "opus", "aac")
AURA_CONTAINERS = ("none", "wav", "ogg")


@dataclass(frozen=True, slots=True, kw_only=True)
class Speech:
    """Synthesised speech: ``audio`` bytes and their ``mime_type``, or a ``url``."""

    audio: bytes | None
    mime_type: str | None
    model: str
    url: str | None = None
    gateway: GatewayMetadata | None = None

    def save(self, path: str) -> str:
        """Write the audio bytes to ``path`` (``GatewayError`` when the reply was a URL)."""
        if self.audio is None:
            raise GatewayError(f"The model answered with a URL, not audio bytes: {self.url}")
        with open(path, "wb") as handle:
            handle.write(self.audio)
        return path


def _choice(name: str, value: Any, allowed: Sequence[str], model: str) -> Any:
    if value is not None and value not in allowed:
        raise GatewayConfigError(
            f"{name} {value!r} is not one {model} offers; use one of {', '.join(allowed)}."
        )
    return value


def _melotts(model: str, text: str, o: Mapping[str, Any]) -> dict[str, Any]:
    _refuse(model, o, ("voice", "encoding", "container", "sample_rate", "bit_rate"))
    return {"prompt": text, "lang": o.get("lang")}


def _aura(model: str, text: str, o: Mapping[str, Any]) -> dict[str, Any]:
    _refuse(model, o, ("lang",))
    if model.endswith("/aura-1"):
        _choice("voice", o.get("voice"), AURA_SPEAKERS, model)
    return {
        "text": text,
        "speaker": o.get("voice"),
        "encoding": _choice("encoding", o.get("encoding"), AURA_ENCODINGS, model),
        "container": _choice("container", o.get("container"), AURA_CONTAINERS, model),
        "sample_rate": o.get("sample_rate"),
        "bit_rate": o.get("bit_rate"),
    }


def _generic_tts(model: str, text: str, o: Mapping[str, Any]) -> dict[str, Any]:
    # Third-party models on the universal /ai/run (e.g. openai/tts-1: text, voice, format).
    _refuse(model, o, ("lang", "container", "sample_rate", "bit_rate"))
    return {"text": text, "voice": o.get("voice"), "response_format": o.get("encoding")}


def _refuse(model: str, options: Mapping[str, Any], names: Sequence[str]) -> None:
    given = [name for name in names if options.get(name) is not None]
    if given:
        raise GatewayConfigError(
            f"{model} does not take {', '.join(given)}= (pass extra= if it does)."
        )


def speech_payload(model: str, text: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The input of a text-to-speech model.

    ``options``: ``voice`` (Aura ``speaker``), ``lang`` (MeloTTS), ``encoding``, ``container``,
    ``sample_rate``, ``bit_rate``, ``extra``.

    Raises:
        GatewayConfigError: empty text, or an option the model does not take or a value it
            does not offer.
    """
    if not isinstance(text, str) or not text.strip():
        raise GatewayConfigError("text must be a non-empty string to speak.")
    if "melotts" in model:
        builder = _melotts
    elif "/aura-" in model:
        builder = _aura
    else:
        builder = _generic_tts
    payload = {k: v for k, v in builder(model, text, options).items() if v is not None}
    payload.update(options.get("extra") or {})
    return payload


def parse_speech(model: str, reply: Fetched) -> Speech:
    """Read a speech reply: raw audio bytes, or ``{"audio": base64|URL}``."""
    if not reply.is_json:
        mime = reply.content_type or sniff_mime(reply.content)
        return Speech(audio=reply.content, mime_type=mime, model=model, gateway=reply.gateway)
    body = reply.json()
    result = v4_result(body)
    value = result.get("audio") if isinstance(result, Mapping) else None
    if not isinstance(value, str) or not value:
        raise GatewayError(f"The speech model answered without audio: {str(result)[:200]}")
    gateway = _metadata(reply, body)
    if value.startswith(("http://", "https://")):
        return Speech(audio=None, mime_type=None, model=model, url=value, gateway=gateway)
    audio = _decode_base64(value, "audio")
    return Speech(audio=audio, mime_type=sniff_mime(audio), model=model, gateway=gateway)


# ----------------------------------------------------------------- rerank


@dataclass(frozen=True, slots=True)
class RerankScore:
    """A document's relevance: ``index`` into the documents passed, ``score`` (higher first)."""

    index: int
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RerankResult:
    """Scores, best first (at most ``top_n`` when it was given)."""

    scores: tuple[RerankScore, ...]
    model: str
    gateway: GatewayMetadata | None = None


def rerank_batches(
    query: str, documents: Sequence[str], top_n: int | None
) -> list[tuple[int, dict[str, Any]]]:
    """``(offset, payload)`` per request: at most :data:`MAX_RERANK_BATCH` contexts each.

    Raises:
        GatewayConfigError: an empty query, a document that is not a non-empty string, or a
            ``top_n`` below 1.
    """
    if not isinstance(query, str) or not query.strip():
        raise GatewayConfigError("query must be a non-empty string.")
    if isinstance(documents, str):
        raise GatewayConfigError("documents must be a list of strings, not one string.")
    for i, text in enumerate(documents):
        if not isinstance(text, str) or not text.strip():
            raise GatewayConfigError(
                f"documents[{i}] is {text!r}; the reranker takes non-empty strings only."
            )
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise GatewayConfigError(f"top_n must be an integer >= 1, got {top_n!r}.")
    batches = []
    for offset in range(0, len(documents), MAX_RERANK_BATCH):
        chunk = documents[offset : offset + MAX_RERANK_BATCH]
        payload: dict[str, Any] = {"query": query, "contexts": [{"text": t} for t in chunk]}
        if top_n is not None and len(documents) <= MAX_RERANK_BATCH:
            payload["top_k"] = top_n
        batches.append((offset, payload))
    return batches


def parse_rerank(offset: int, size: int, reply: Fetched) -> list[RerankScore]:
    """The scores of one batch, with indexes into the whole document list."""
    result = v4_result(reply.json())
    rows = result.get("response") if isinstance(result, Mapping) else None
    if not isinstance(rows, list):
        raise GatewayError(f"The reranker answered without scores: {str(result)[:200]}")
    scores = []
    for row in rows:
        index, score = (
            (row.get("id"), row.get("score")) if isinstance(row, Mapping) else (None, None)
        )
        valid_index = isinstance(index, int) and not isinstance(index, bool) and 0 <= index < size
        if not valid_index or not isinstance(score, (int, float)) or isinstance(score, bool):
            raise GatewayError(f"The reranker answered a malformed score: {str(row)[:200]}")
        scores.append(RerankScore(offset + cast(int, index), float(score)))
    return scores


def merge_rerank(
    model: str,
    parts: Sequence[list[RerankScore]],
    top_n: int | None,
    gateway: GatewayMetadata | None,
) -> RerankResult:
    """All batches' scores, best first (ties in document order), cut to ``top_n``."""
    merged = sorted((s for part in parts for s in part), key=lambda s: (-s.score, s.index))
    return RerankResult(
        scores=tuple(merged[:top_n] if top_n is not None else merged), model=model, gateway=gateway
    )
