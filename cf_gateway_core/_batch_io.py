"""The I/O shells of the Workers AI async batch API: :class:`BatchAPI` and :class:`AsyncBatchAPI`.

Everything else is in :mod:`cf_gateway_core.batch`. Both wrap a core client and send through its
``_send`` (so retries, error classification, the token masking and the HTTP pool are the client's).
A job is submitted once, then polled with the bounded backoff of
:class:`~cf_gateway_core.batch.BatchWait` until its results arrive.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from cf_gateway_core._base import BaseClient, Prepared
from cf_gateway_core._json import load_json
from cf_gateway_core.batch import (
    QUEUE_QUERY,
    BatchCancelledError,
    BatchExpiredError,
    BatchJob,
    BatchResult,
    BatchWait,
    Deadline,
    batch_route,
    parse_polled,
    parse_submitted,
    poll_payload,
    submit_payload,
)
from cf_gateway_core.client import AsyncGatewayClient, GatewayClient
from cf_gateway_core.errors import GatewayConfigError, NotFoundError
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
)
from cf_gateway_core.options import OptionsInput
from cf_gateway_core.routing import Route

__all__ = ["AsyncBatchAPI", "BatchAPI"]


class _BatchShared:
    """Request building and result conversion; no I/O."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        """The wrapped client's repr (never the token)."""
        return f"{type(self).__name__}({self._client!r})"

    def _prepared(self, route: Route, content: bytes, options: OptionsInput) -> Prepared:
        url = self._client.config.account_url + route.path + QUEUE_QUERY
        headers = self._client._request_headers(options, None)
        return Prepared(route, url, headers, content, False)

    @staticmethod
    def check_embeddings(model: str, dimensions: int | None = None) -> None:
        """Check that embeddings of ``model`` can go through the batch API.

        Called before any request, e.g. by the framework classes' ``batch_api=True``.

        Raises:
            GatewayConfigError: not an ``@cf/`` model, or ``dimensions`` set (the native path
                the queue uses has no such parameter).
        """
        batch_route(model)
        if dimensions is not None:
            raise GatewayConfigError(
                "dimensions cannot be used with the async batch API (it runs the native "
                f"/ai/run/{model} path, where the model fixes its vector size); drop dimensions "
                "or batch_api."
            )

    @staticmethod
    def _chat_payloads(requests: Sequence[ChatRequest]) -> tuple[str, list[dict[str, Any]]]:
        from cf_gateway_core.wire import workers_ai

        models = {request.model for request in requests}
        if len(models) != 1:
            raise GatewayConfigError(
                f"a batch runs one model; these requests name {sorted(models) or 'none'}. "
                "Submit one batch per model."
            )
        model = models.pop()
        route = batch_route(model)
        unstreamed = [dataclasses.replace(r, stream=False) for r in requests]
        return model, [workers_ai.build_payload(r, route) for r in unstreamed]

    @staticmethod
    def _embed_payloads(request: EmbeddingRequest) -> list[dict[str, Any]]:
        from cf_gateway_core.wire import embeddings

        route = batch_route(request.model)
        texts = list(request.texts)
        size = embeddings.MAX_BATCH
        return [
            embeddings.build_payload(dataclasses.replace(request, texts=texts[i : i + size]), route)
            for i in range(0, len(texts), size)
        ]

    @staticmethod
    def _chat_responses(result: BatchResult) -> list[ChatResponse]:
        from cf_gateway_core.wire import workers_ai

        return [workers_ai.parse_response({"result": r}) for r in result.results()]

    @staticmethod
    def _embedding_response(result: BatchResult) -> EmbeddingResponse:
        from cf_gateway_core.wire import embeddings

        parts = [embeddings.parse_response({"result": r}) for r in result.results()]
        vectors = [vector for part in parts for vector in part.vectors]
        return EmbeddingResponse(vectors=vectors, model=result.job.model, usage=result.usage)

    @staticmethod
    def _load(response: Any) -> Any:
        return load_json(response.content)


def _check_cancel(cancel: threading.Event | None, pause: float, job: BatchJob) -> None:
    import time

    if cancel is None:
        time.sleep(pause)
    elif cancel.is_set() or cancel.wait(pause):
        raise BatchCancelledError(
            f"stopped waiting for batch {job.request_id}: cancelled. The job goes on at "
            "Cloudflare; wait again with the same BatchJob to collect its results.",
            request_id=job.request_id,
        )


def _expired(job: BatchJob, exc: NotFoundError) -> BatchExpiredError:
    return BatchExpiredError(
        f"the gateway does not know batch {job.request_id} any more ({exc.message}); its "
        "results expired or the id is wrong. Submit the requests again.",
        request_id=job.request_id,
    )


class BatchAPI(_BatchShared):
    """The async batch API over a :class:`~cf_gateway_core.GatewayClient` (sync).

    Example:
        .. code-block:: python

            batch = BatchAPI(GatewayClient())
            job = batch.submit("@cf/baai/bge-m3", [{"text": ["a", "b"]}, {"text": ["c"]}])
            result = batch.wait(job)            # polls with backoff, at most 15 minutes
            outputs = result.results()          # in input order; raises if any failed
    """

    def __init__(self, client: GatewayClient) -> None:
        """Wrap ``client`` (its settings, retries and HTTP pool are used)."""
        super().__init__(client)
        self._sync = client

    def _post(self, prepared: Prepared) -> Any:
        # _send returns a 2xx reply whose body it has read (inside its retry loop).
        return self._load(self._sync._send(prepared))

    def submit(
        self, model: str, requests: Sequence[Mapping[str, Any]], *, options: OptionsInput = None
    ) -> BatchJob:
        """Queue ``requests`` (each the body a plain ``/ai/run/{model}`` call would send).

        Raises:
            GatewayConfigError: not an ``@cf/`` model, no requests, or a payload of 10 MB or
                more (before any request).
            APIStatusError / APIConnectionError: as for any call (after retries).
            BatchError: the reply names no ``request_id``.
        """
        route = batch_route(model)
        body = self._post(self._prepared(route, submit_payload(requests), options))
        return parse_submitted(body, model, len(requests))

    def poll(self, job: BatchJob, *, options: OptionsInput = None) -> BatchResult | None:
        """Ask once: ``None`` while queued or running, else the result.

        Raises:
            BatchFailedError / BatchExpiredError: the job failed, or the gateway forgot it.
        """
        prepared = self._prepared(batch_route(job.model), poll_payload(job), options)
        try:
            body = self._post(prepared)
        except NotFoundError as exc:
            raise _expired(job, exc) from exc
        return parse_polled(body, job)

    def wait(
        self,
        job: BatchJob,
        *,
        wait: BatchWait | None = None,
        cancel: threading.Event | None = None,
        options: OptionsInput = None,
    ) -> BatchResult:
        """Poll with backoff until the job is done.

        Args:
            job: from :meth:`submit` (or rebuilt from a saved ``request_id``).
            wait: pauses and the overall timeout (default ``BatchWait()``: 1 s doubling to
                30 s, at most 15 minutes).
            cancel: set this event (from another thread) to stop waiting.
            options: gateway options for the poll requests (as for any client call).

        Raises:
            BatchTimeoutError: still pending at the timeout.
            BatchCancelledError: ``cancel`` was set.
            BatchFailedError / BatchExpiredError: see :meth:`poll`.
        """
        deadline = Deadline(wait or BatchWait(), job)
        while True:
            _check_cancel(cancel, deadline.next_pause(), job)
            result = self.poll(job, options=options)
            if result is not None:
                return result

    def run(
        self,
        model: str,
        requests: Sequence[Mapping[str, Any]],
        *,
        wait: BatchWait | None = None,
        cancel: threading.Event | None = None,
        options: OptionsInput = None,
    ) -> BatchResult:
        """:meth:`submit` then :meth:`wait`."""
        job = self.submit(model, requests, options=options)
        return self.wait(job, wait=wait, cancel=cancel, options=options)

    def submit_chat(
        self, requests: Sequence[ChatRequest], *, options: OptionsInput = None
    ) -> BatchJob:
        """Queue chat requests for one ``@cf/`` model (native ``/ai/run`` bodies)."""
        model, payloads = self._chat_payloads(requests)
        return self.submit(model, payloads, options=options)

    def wait_chat(
        self,
        job: BatchJob,
        *,
        wait: BatchWait | None = None,
        cancel: threading.Event | None = None,
        options: OptionsInput = None,
    ) -> list[ChatResponse]:
        """The replies of a chat batch, in input order.

        Raises:
            BatchFailedError: some requests failed (``failed`` lists their indices).
        """
        return self._chat_responses(self.wait(job, wait=wait, cancel=cancel, options=options))

    def embed(
        self,
        request: EmbeddingRequest,
        *,
        wait: BatchWait | None = None,
        cancel: threading.Event | None = None,
        options: OptionsInput = None,
    ) -> EmbeddingResponse:
        """Embed many texts as one batch job (requests of at most 100 texts).

        Returns:
            One vector per text, in input order.
        """
        if not request.texts:
            return EmbeddingResponse(vectors=[], model=request.model)
        job = self.submit(request.model, self._embed_payloads(request), options=options)
        result = self.wait(job, wait=wait, cancel=cancel, options=options)
        return self._embedding_response(result)


class AsyncBatchAPI(_BatchShared):
    """Async twin of :class:`BatchAPI` over an :class:`~cf_gateway_core.AsyncGatewayClient`.

    Cancel a wait by cancelling its task (``asyncio.CancelledError`` propagates from the pause
    between polls); the job itself goes on at Cloudflare.
    """

    def __init__(self, client: AsyncGatewayClient) -> None:
        """Wrap ``client``."""
        super().__init__(client)
        self._async = client

    async def _post(self, prepared: Prepared) -> Any:
        return self._load(await self._async._send(prepared))

    async def submit(
        self, model: str, requests: Sequence[Mapping[str, Any]], *, options: OptionsInput = None
    ) -> BatchJob:
        """Async twin of :meth:`BatchAPI.submit`."""
        route = batch_route(model)
        body = await self._post(self._prepared(route, submit_payload(requests), options))
        return parse_submitted(body, model, len(requests))

    async def poll(self, job: BatchJob, *, options: OptionsInput = None) -> BatchResult | None:
        """Async twin of :meth:`BatchAPI.poll`."""
        prepared = self._prepared(batch_route(job.model), poll_payload(job), options)
        try:
            body = await self._post(prepared)
        except NotFoundError as exc:
            raise _expired(job, exc) from exc
        return parse_polled(body, job)

    async def wait(
        self, job: BatchJob, *, wait: BatchWait | None = None, options: OptionsInput = None
    ) -> BatchResult:
        """Async twin of :meth:`BatchAPI.wait` (cancel by cancelling the task)."""
        import asyncio

        deadline = Deadline(wait or BatchWait(), job)
        while True:
            await asyncio.sleep(deadline.next_pause())
            result = await self.poll(job, options=options)
            if result is not None:
                return result

    async def run(
        self,
        model: str,
        requests: Sequence[Mapping[str, Any]],
        *,
        wait: BatchWait | None = None,
        options: OptionsInput = None,
    ) -> BatchResult:
        """Async twin of :meth:`BatchAPI.run`."""
        job = await self.submit(model, requests, options=options)
        return await self.wait(job, wait=wait, options=options)

    async def submit_chat(
        self, requests: Sequence[ChatRequest], *, options: OptionsInput = None
    ) -> BatchJob:
        """Async twin of :meth:`BatchAPI.submit_chat`."""
        model, payloads = self._chat_payloads(requests)
        return await self.submit(model, payloads, options=options)

    async def wait_chat(
        self, job: BatchJob, *, wait: BatchWait | None = None, options: OptionsInput = None
    ) -> list[ChatResponse]:
        """Async twin of :meth:`BatchAPI.wait_chat`."""
        return self._chat_responses(await self.wait(job, wait=wait, options=options))

    async def embed(
        self,
        request: EmbeddingRequest,
        *,
        wait: BatchWait | None = None,
        options: OptionsInput = None,
    ) -> EmbeddingResponse:
        """Async twin of :meth:`BatchAPI.embed`."""
        if not request.texts:
            return EmbeddingResponse(vectors=[], model=request.model)
        job = await self.submit(request.model, self._embed_payloads(request), options=options)
        return self._embedding_response(await self.wait(job, wait=wait, options=options))
