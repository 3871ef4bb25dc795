"""What the clients offer beyond chat and embeddings.

Gateway logs and feedback, the model catalogue, image generation, speech-to-text, text-to-speech and
reranking. Each call is written once, as a builder in :class:`_Calls` that checks its arguments and
returns the :class:`~cf_gateway_core._rest.Plan` (requests and reply readers from
:mod:`cf_gateway_core.media` and :mod:`cf_gateway_core.transcription`); the sync and async mixins
only run it (``sync_call`` / ``async_call``), so they differ in ``await`` alone. Logs and catalogue
live in :mod:`cf_gateway_core.logs` and :mod:`cf_gateway_core.catalog`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cf_gateway_core._base import BaseClient
from cf_gateway_core._rest import (
    AsyncFetch,
    Fetched,
    Plan,
    SyncFetch,
    async_call,
    run_request,
    sync_call,
)
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.options import OptionsInput
from cf_gateway_core.profiles import (
    DEFAULT_ASR_MODEL,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_RERANK_MODEL,
    DEFAULT_TTS_MODEL,
    get_profile,
)

if TYPE_CHECKING:
    from cf_gateway_core.catalog import AsyncModelCatalog, ModelCatalog
    from cf_gateway_core.logs import AsyncGatewayLogs, GatewayLogs
    from cf_gateway_core.media import GeneratedImage, RerankResult, RerankScore, Speech
    from cf_gateway_core.transcription import Transcription

__all__ = ["AsyncBeyondChat", "SyncBeyondChat"]

AudioInput = bytes | str | os.PathLike[str]


def _check_task(model: str, task: str, default: str) -> None:
    """Refuse, before any request, a model the model table knows for another task.

    For example a chat model asked for an image; models the table does not know are sent as they
    are.
    """
    profile = get_profile(model)
    if profile.known and profile.task is not None and profile.task != task:
        raise GatewayConfigError(
            f"{model} is a {profile.task} model, not {task}; use a {task} model such as {default}."
        )


class _Calls(BaseClient):
    """The calls both mixins share: each builder returns the plan the client's shell runs."""

    def _plan_generate_image(
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
    ) -> Plan[GeneratedImage]:
        """Generate an image from ``prompt``.

        See :mod:`cf_gateway_core.media` for each model's options and output form.

        Raises:
            GatewayConfigError: an empty or too long prompt, or an option the model does not take.
        """
        opts = dict(steps=steps, seed=seed, width=width, height=height,
                    negative_prompt=negative_prompt, guidance=guidance, extra=extra)  # fmt: skip
        from cf_gateway_core.media import image_payload, parse_image  # chat never needs them

        _check_task(model, "text-to-image", DEFAULT_IMAGE_MODEL)
        payload = image_payload(model, prompt, opts)
        prepared = run_request(self, model, payload=payload, options=options)
        return Plan.single(prepared, functools.partial(parse_image, model))

    def _plan_speak(
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
    ) -> Plan[Speech]:
        """Synthesise speech from ``text``.

        Options: MeloTTS takes ``lang``; Deepgram Aura ``voice``, ``encoding``, ``container``,
        ``sample_rate`` and ``bit_rate``.
        """
        opts = dict(voice=voice, lang=lang, encoding=encoding, container=container,
                    sample_rate=sample_rate, bit_rate=bit_rate, extra=extra)  # fmt: skip
        from cf_gateway_core.media import parse_speech, speech_payload

        _check_task(model, "text-to-speech", DEFAULT_TTS_MODEL)
        payload = speech_payload(model, text, opts)
        prepared = run_request(self, model, payload=payload, options=options)
        return Plan.single(prepared, functools.partial(parse_speech, model))

    def _plan_transcribe(
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
    ) -> Plan[Transcription]:
        """Transcribe audio bytes or a file (see :mod:`cf_gateway_core.transcription`)."""
        opts = dict(language=language, task=task, vad_filter=vad_filter,
                    initial_prompt=initial_prompt, prefix=prefix, extra=extra)  # fmt: skip
        from cf_gateway_core.transcription import (
            parse_transcription,
            read_audio,
            transcription_request,
        )

        _check_task(model, "automatic-speech-recognition", DEFAULT_ASR_MODEL)
        data, mime = read_audio(audio, content_type)
        how = transcription_request(model, data, mime, opts)
        prepared = run_request(self, model, options=options, **how)
        return Plan.single(prepared, functools.partial(parse_transcription, model))

    def _plan_rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        model: str = DEFAULT_RERANK_MODEL,
        top_n: int | None = None,
        options: OptionsInput = None,
    ) -> Plan[RerankResult]:
        """Score ``documents`` against ``query``, best first (at most ``top_n``).

        Lists longer than ``MAX_RERANK_BATCH`` are sent in several requests and merged.
        """
        from cf_gateway_core.media import merge_rerank, parse_rerank, rerank_batches

        _check_task(model, "text-classification", DEFAULT_RERANK_MODEL)
        batches = rerank_batches(query, documents, top_n)
        spans = [(offset, len(payload["contexts"])) for offset, payload in batches]
        requests = [run_request(self, model, payload=p, options=options) for _, p in batches]

        def read(index: int, reply: Fetched) -> tuple[list[RerankScore], Fetched]:
            return parse_rerank(*spans[index], reply), reply

        def finish(parts: list[tuple[list[RerankScore], Fetched]]) -> RerankResult:
            gateway = parts[-1][1].gateway if parts else None
            return merge_rerank(model, [scores for scores, _ in parts], top_n, gateway)

        return Plan(requests, read, finish)


class SyncBeyondChat(SyncFetch, _Calls):
    """Logs, catalogue, media and rerank calls of :class:`~cf_gateway_core.GatewayClient`."""

    generate_image = sync_call(_Calls._plan_generate_image)
    speak = sync_call(_Calls._plan_speak)
    transcribe = sync_call(_Calls._plan_transcribe)
    rerank = sync_call(_Calls._plan_rerank)

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


class AsyncBeyondChat(AsyncFetch, _Calls):
    """Async twin of :class:`SyncBeyondChat` (the same calls, awaited)."""

    generate_image = async_call(_Calls._plan_generate_image)
    speak = async_call(_Calls._plan_speak)
    transcribe = async_call(_Calls._plan_transcribe)
    rerank = async_call(_Calls._plan_rerank)

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
