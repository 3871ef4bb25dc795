"""What the clients offer beyond chat and embeddings: gateway logs and feedback, the model
catalogue, image generation, speech-to-text, text-to-speech and reranking.

The sync and async mixins differ only in ``await``: requests are built and replies read in
:mod:`cf_gateway_core.logs`, :mod:`cf_gateway_core.catalog`, :mod:`cf_gateway_core.media` and
:mod:`cf_gateway_core.transcription`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cf_gateway_core._base import BaseClient
from cf_gateway_core._rest import AsyncFetch, SyncFetch, run_request
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.media import (
    DEFAULT_IMAGE_MODEL,
    DEFAULT_RERANK_MODEL,
    DEFAULT_TTS_MODEL,
    GeneratedImage,
    RerankResult,
    Speech,
    image_payload,
    merge_rerank,
    parse_image,
    parse_rerank,
    parse_speech,
    rerank_batches,
    speech_payload,
)
from cf_gateway_core.options import OptionsInput
from cf_gateway_core.profiles import get_profile
from cf_gateway_core.transcription import (
    DEFAULT_ASR_MODEL,
    Transcription,
    parse_transcription,
    read_audio,
    transcription_request,
)

if TYPE_CHECKING:
    from cf_gateway_core._base import Prepared
    from cf_gateway_core.catalog import AsyncModelCatalog, ModelCatalog
    from cf_gateway_core.logs import AsyncGatewayLogs, GatewayLogs

__all__ = ["AsyncBeyondChat", "SyncBeyondChat"]

AudioInput = bytes | str | os.PathLike[str]


def _check_task(model: str, task: str, default: str) -> None:
    """Refuse, before any request, a model the model table knows for another task (a chat model
    asked for an image); models it does not know are sent as they are."""
    profile = get_profile(model)
    if profile.known and profile.task is not None and profile.task != task:
        raise GatewayConfigError(
            f"{model} is a {profile.task} model, not {task}; use a {task} model such as {default}."
        )


class _Requests(BaseClient):
    """Request builders both mixins share."""

    def _image(
        self, model: str, prompt: str, options: dict[str, Any], per_call: OptionsInput
    ) -> Prepared:
        _check_task(model, "text-to-image", DEFAULT_IMAGE_MODEL)
        return run_request(
            self, model, payload=image_payload(model, prompt, options), options=per_call
        )

    def _speech(
        self, model: str, text: str, options: dict[str, Any], per_call: OptionsInput
    ) -> Prepared:
        _check_task(model, "text-to-speech", DEFAULT_TTS_MODEL)
        return run_request(
            self, model, payload=speech_payload(model, text, options), options=per_call
        )

    def _transcription(
        self,
        model: str,
        audio: AudioInput,
        content_type: str | None,
        options: dict[str, Any],
        per_call: OptionsInput,
    ) -> Prepared:
        _check_task(model, "automatic-speech-recognition", DEFAULT_ASR_MODEL)
        data, mime = read_audio(audio, content_type)
        how = transcription_request(model, data, mime, options)
        return run_request(self, model, options=per_call, **how)

    def _reranks(
        self,
        model: str,
        query: str,
        documents: Sequence[str],
        top_n: int | None,
        per_call: OptionsInput,
    ) -> list[tuple[int, int, Prepared]]:
        _check_task(model, "text-classification", DEFAULT_RERANK_MODEL)
        batches = rerank_batches(query, documents, top_n)
        return [
            (
                offset,
                len(payload["contexts"]),
                run_request(self, model, payload=payload, options=per_call),
            )
            for offset, payload in batches
        ]


class SyncBeyondChat(SyncFetch, _Requests):
    """Logs, catalogue, media and rerank calls of :class:`~cf_gateway_core.GatewayClient`."""

    @property
    def logs(self) -> GatewayLogs:
        """The logs of this client's gateway (``gateway_id``, else ``default``)."""
        return self.logs_for(None)

    def logs_for(self, gateway_id: str | None) -> GatewayLogs:
        """The logs of gateway ``gateway_id`` (``None``: this client's gateway)."""
        from cf_gateway_core.logs import GatewayLogs

        return GatewayLogs(self, gateway_id)

    @property
    def models(self) -> ModelCatalog:
        """The Workers AI model catalogue (search, schema)."""
        from cf_gateway_core.catalog import ModelCatalog

        return ModelCatalog(self)

    def generate_image(
        self,
        prompt: str,
        *,
        model: str = DEFAULT_IMAGE_MODEL,
        steps: int | None = None,
        seed: int | None = None,
        width: int | None = None,
        height: int | None = None,
        negative_prompt: str | None = None,
        guidance: float | None = None,
        extra: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> GeneratedImage:
        """Generate an image from ``prompt`` (see :mod:`cf_gateway_core.media` for each model's
        options and output form).

        Raises:
            GatewayConfigError: an empty or too long prompt, or an option the model does not take.
        """
        opts = dict(steps=steps, seed=seed, width=width, height=height,
                    negative_prompt=negative_prompt, guidance=guidance, extra=extra)  # fmt: skip
        return parse_image(model, self._fetch(self._image(model, prompt, opts, options)))

    def speak(
        self,
        text: str,
        *,
        model: str = DEFAULT_TTS_MODEL,
        voice: str | None = None,
        lang: str | None = None,
        encoding: str | None = None,
        container: str | None = None,
        sample_rate: int | None = None,
        bit_rate: int | None = None,
        extra: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> Speech:
        """Synthesise speech (MeloTTS: ``lang``; Deepgram Aura: ``voice``, ``encoding``,
        ``container``, ``sample_rate``, ``bit_rate``)."""
        opts = dict(voice=voice, lang=lang, encoding=encoding, container=container,
                    sample_rate=sample_rate, bit_rate=bit_rate, extra=extra)  # fmt: skip
        return parse_speech(model, self._fetch(self._speech(model, text, opts, options)))

    def transcribe(
        self,
        audio: AudioInput,
        *,
        model: str = DEFAULT_ASR_MODEL,
        language: str | None = None,
        task: str | None = None,
        vad_filter: bool | None = None,
        initial_prompt: str | None = None,
        prefix: str | None = None,
        content_type: str | None = None,
        extra: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> Transcription:
        """Transcribe audio bytes or a file (see :mod:`cf_gateway_core.transcription`)."""
        opts = dict(language=language, task=task, vad_filter=vad_filter,
                    initial_prompt=initial_prompt, prefix=prefix, extra=extra)  # fmt: skip
        prepared = self._transcription(model, audio, content_type, opts, options)
        return parse_transcription(model, self._fetch(prepared))

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        model: str = DEFAULT_RERANK_MODEL,
        top_n: int | None = None,
        options: OptionsInput = None,
    ) -> RerankResult:
        """Score ``documents`` against ``query``, best first (at most ``top_n``); lists longer
        than ``MAX_RERANK_BATCH`` are sent in several requests and merged."""
        parts, gateway = [], None
        for offset, size, prepared in self._reranks(model, query, documents, top_n, options):
            reply = self._fetch(prepared)
            parts.append(parse_rerank(offset, size, reply))
            gateway = reply.gateway
        return merge_rerank(model, parts, top_n, gateway)


class AsyncBeyondChat(AsyncFetch, _Requests):
    """Async twin of :class:`SyncBeyondChat`."""

    @property
    def logs(self) -> AsyncGatewayLogs:
        """The logs of this client's gateway (``gateway_id``, else ``default``)."""
        return self.logs_for(None)

    def logs_for(self, gateway_id: str | None) -> AsyncGatewayLogs:
        """The logs of gateway ``gateway_id`` (``None``: this client's gateway)."""
        from cf_gateway_core.logs import AsyncGatewayLogs

        return AsyncGatewayLogs(self, gateway_id)

    @property
    def models(self) -> AsyncModelCatalog:
        """The Workers AI model catalogue (search, schema)."""
        from cf_gateway_core.catalog import AsyncModelCatalog

        return AsyncModelCatalog(self)

    async def generate_image(
        self,
        prompt: str,
        *,
        model: str = DEFAULT_IMAGE_MODEL,
        steps: int | None = None,
        seed: int | None = None,
        width: int | None = None,
        height: int | None = None,
        negative_prompt: str | None = None,
        guidance: float | None = None,
        extra: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> GeneratedImage:
        """Async twin of :meth:`SyncBeyondChat.generate_image`."""
        opts = dict(steps=steps, seed=seed, width=width, height=height,
                    negative_prompt=negative_prompt, guidance=guidance, extra=extra)  # fmt: skip
        return parse_image(model, await self._fetch(self._image(model, prompt, opts, options)))

    async def speak(
        self,
        text: str,
        *,
        model: str = DEFAULT_TTS_MODEL,
        voice: str | None = None,
        lang: str | None = None,
        encoding: str | None = None,
        container: str | None = None,
        sample_rate: int | None = None,
        bit_rate: int | None = None,
        extra: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> Speech:
        """Async twin of :meth:`SyncBeyondChat.speak`."""
        opts = dict(voice=voice, lang=lang, encoding=encoding, container=container,
                    sample_rate=sample_rate, bit_rate=bit_rate, extra=extra)  # fmt: skip
        return parse_speech(model, await self._fetch(self._speech(model, text, opts, options)))

    async def transcribe(
        self,
        audio: AudioInput,
        *,
        model: str = DEFAULT_ASR_MODEL,
        language: str | None = None,
        task: str | None = None,
        vad_filter: bool | None = None,
        initial_prompt: str | None = None,
        prefix: str | None = None,
        content_type: str | None = None,
        extra: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> Transcription:
        """Async twin of :meth:`SyncBeyondChat.transcribe`."""
        opts = dict(language=language, task=task, vad_filter=vad_filter,
                    initial_prompt=initial_prompt, prefix=prefix, extra=extra)  # fmt: skip
        prepared = self._transcription(model, audio, content_type, opts, options)
        return parse_transcription(model, await self._fetch(prepared))

    async def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        model: str = DEFAULT_RERANK_MODEL,
        top_n: int | None = None,
        options: OptionsInput = None,
    ) -> RerankResult:
        """Async twin of :meth:`SyncBeyondChat.rerank`."""
        parts, gateway = [], None
        for offset, size, prepared in self._reranks(model, query, documents, top_n, options):
            reply = await self._fetch(prepared)
            parts.append(parse_rerank(offset, size, reply))
            gateway = reply.gateway
        return merge_rerank(model, parts, top_n, gateway)
