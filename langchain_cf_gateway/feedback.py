"""Gateway logs and feedback from LangChain.

Find the gateway log of a run, attach a rating, a score or metadata to it, and record the log id
of every model call a chain or agent makes.

Each reply of :class:`~langchain_cf_gateway.ChatCloudflareAIGateway` carries its log id in
``response_metadata["gateway"]["log_id"]``. :class:`GatewayFeedback` sends feedback for such a
message (or a log id) and reads the log back; :class:`GatewayLogRecorder` is a callback handler
that remembers the log id of each model run, grouped under the chain run that made it, so an
evaluation can score a whole chain's calls. The logs API needs the token's AI Gateway Read
permission (reading) and AI Gateway Edit (feedback); without it the calls raise the
authentication / permission error naming the permission. ::

    recorder = GatewayLogRecorder()
    answer = chain.invoke(question, config={"callbacks": [recorder]})
    feedback = GatewayFeedback.from_model(llm)
    for log_id in recorder.log_ids:
        feedback.send(log_id, score=grade(answer))
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from pydantic import ConfigDict

from cf_gateway_core import GatewayConfigError, GatewayLog, GatewayMetadata
from cf_gateway_core.pydantic_fields import shared_settings
from langchain_cf_gateway._errors import translated
from langchain_cf_gateway._services import ServiceFields

__all__ = ["GatewayFeedback", "GatewayLogRecorder", "gateway_log_id"]


def gateway_log_id(result: Any) -> str | None:
    """The gateway log id of a chat result, or ``None`` when the reply carried none.

    ``target`` is an ``AIMessage`` (or any message), a ``ChatGeneration``, the first generation
    of an ``LLMResult``, or a ``response_metadata`` dict; or a typed result of the media and
    rerank calls (``GeneratedImage``, ``Speech``, ``Transcription``, ``RerankResult``), also as
    the artifact of a tool's ``ToolMessage``. A reply carries no log id when logging is off on
    the gateway.
    """
    if isinstance(result, ToolMessage) and result.artifact is not None:
        result = result.artifact
    typed = getattr(result, "gateway", None)
    if isinstance(typed, GatewayMetadata):
        return typed.log_id or None
    if isinstance(result, LLMResult):
        generations = [g for group in result.generations for g in group]
        result = generations[0] if generations else None
    if isinstance(result, ChatGeneration):
        result = result.message
    if isinstance(result, BaseMessage):
        result = result.response_metadata
    gateway = result.get("gateway") if isinstance(result, Mapping) else None
    log_id = gateway.get("log_id") if isinstance(gateway, Mapping) else None
    return log_id if isinstance(log_id, str) and log_id else None


def _log_id(target: Any) -> str:
    if isinstance(target, str):
        return target
    log_id = gateway_log_id(target)
    if log_id is None:
        raise GatewayConfigError(
            "No gateway log id on that result: pass a log id, an AIMessage from "
            "ChatCloudflareAIGateway whose response_metadata['gateway'] has a log_id, or a "
            "typed image / speech / transcript / rerank result (the gateway omits the id when "
            "log collection is off)."
        )
    return log_id


class GatewayFeedback(ServiceFields):
    """Send feedback to, and read, the gateway logs of LangChain runs.

    Build it with the connection settings (or the environment), or from a chat model with
    :meth:`from_model`. ``target`` is a log id or a result :func:`gateway_log_id` understands.
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid", arbitrary_types_allowed=True)

    @classmethod
    def from_model(cls, model: Any) -> GatewayFeedback:
        """Reuse the connection settings of a chat model (or embeddings, reranker…)."""
        return cls(**shared_settings(model))

    def send(
        self,
        target: Any,
        *,
        feedback: int | None = None,
        score: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        """Attach feedback, a score and/or metadata to the log of ``target``.

        ``feedback`` is 1 / -1 (0 = not evaluated), ``score`` 0–100.

        Returns:
            The log id.

        Raises:
            GatewayConfigError: no log id on ``target``, nothing to send or a value out of range.
        """
        log_id = _log_id(target)
        with translated():
            self._client.logs.feedback(log_id, feedback=feedback, score=score, metadata=metadata)
        return log_id

    async def asend(
        self,
        target: Any,
        *,
        feedback: int | None = None,
        score: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        """Async twin of :meth:`send`."""
        log_id = _log_id(target)
        with translated():
            await self._async_client.logs.feedback(
                log_id, feedback=feedback, score=score, metadata=metadata
            )
        return log_id

    def get_log(self, target: Any) -> GatewayLog:
        """The gateway log of ``target`` (model, provider, tokens, cost, cached, duration…)."""
        with translated():
            return self._client.logs.get(_log_id(target))

    async def aget_log(self, target: Any) -> GatewayLog:
        """Async twin of :meth:`get_log`."""
        with translated():
            return await self._async_client.logs.get(_log_id(target))


class GatewayLogRecorder(BaseCallbackHandler):
    """A callback handler that records the gateway log id of every chat model run.

    ``log_ids`` lists them in completion order; ``log_ids_for(run_id)`` gives those made inside
    one run (a chain, an agent step, a tool) — LangChain passes every callback the ``run_id`` and
    ``parent_run_id`` this follows. Thread-safe; pass it in ``config={"callbacks": [...]}``.
    """

    def __init__(self) -> None:
        """An empty recorder."""
        super().__init__()
        self._lock = threading.Lock()
        self._parents: dict[UUID, UUID | None] = {}
        self._runs: list[tuple[UUID, str]] = []

    @property
    def log_ids(self) -> list[str]:
        """Every recorded log id, in the order the model runs ended."""
        with self._lock:
            return [log_id for _, log_id in self._runs]

    @property
    def runs(self) -> dict[UUID, str]:
        """Model run id -> gateway log id."""
        with self._lock:
            return dict(self._runs)

    def log_ids_for(self, run_id: UUID) -> list[str]:
        """The log ids of the model runs inside ``run_id`` (itself included)."""
        with self._lock:
            return [log for run, log in self._runs if self._within(run, run_id)]

    def clear(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self._parents.clear()
            self._runs.clear()

    def _within(self, run: UUID | None, ancestor: UUID) -> bool:
        seen: set[UUID] = set()
        while run is not None and run not in seen:
            if run == ancestor:
                return True
            seen.add(run)
            run = self._parents.get(run)
        return False

    def _start(self, run_id: UUID, parent_run_id: UUID | None) -> None:
        with self._lock:
            self._parents[run_id] = parent_run_id

    def on_chain_start(
        self,
        serialized: Any,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the run's parent."""
        self._start(run_id, parent_run_id)

    def on_tool_start(
        self,
        serialized: Any,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the run's parent."""
        self._start(run_id, parent_run_id)

    def on_chat_model_start(
        self,
        serialized: Any,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the run's parent."""
        self._start(run_id, parent_run_id)

    def on_llm_start(
        self,
        serialized: Any,
        prompts: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the run's parent."""
        self._start(run_id, parent_run_id)

    def on_llm_end(
        self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """Record the log id of the run's reply (nothing when the gateway sent none)."""
        log_id = gateway_log_id(response)
        with self._lock:
            self._parents.setdefault(run_id, parent_run_id)
            if log_id is not None:
                self._runs.append((run_id, log_id))
