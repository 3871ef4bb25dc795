"""Gateway logs and feedback from LlamaIndex.

The log id of each LLM call is recorded through LlamaIndex's instrumentation, and feedback or
scores are attached to those logs.

:class:`CloudflareAIGateway` replies carry their log id in ``additional_kwargs["gateway"]
["log_id"]`` (and ``raw["gateway"]``). :class:`GatewayLogRecorder` is an instrumentation event
handler: added to a dispatcher it records the log id of every ``LLMChatEndEvent`` and
``LLMCompletionEndEvent`` — the calls a query engine or an agent makes on your behalf — with the
span they belong to. :class:`GatewayFeedback` sends ``feedback`` (1 / -1), ``score`` (0–100) and
``metadata`` to a log and reads it back; it needs the token's AI Gateway Edit (feedback) and AI
Gateway Read (logs) permissions. ::

    recorder = GatewayLogRecorder().attach()          # the root dispatcher
    response = query_engine.query("What does the gateway log?")
    GatewayFeedback.from_llm(llm).send(recorder.log_ids[-1], score=90)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMCompletionEndEvent
from llama_index_instrumentation import get_dispatcher
from pydantic import PrivateAttr

from cf_gateway_core import GatewayConfigError, GatewayLog, GatewayMetadata
from cf_gateway_core.pydantic_fields import shared_settings
from llamaindex_cf_gateway._fields import GatewayFields

__all__ = ["GatewayFeedback", "GatewayLogRecorder", "LoggedCall", "gateway_log_id"]


def gateway_log_id(response: Any) -> str | None:
    """The gateway log id of a response or result; ``None`` when the reply carried none.

    ``response`` is a ``ChatResponse`` / ``CompletionResponse`` (or a ``ChatMessage`` or dict
    holding ``gateway``), or a typed media / rerank result (``GeneratedImage``, ``Speech``,
    ``Transcription``, ``RerankResult``).
    """
    typed = getattr(response, "gateway", None)
    if isinstance(typed, GatewayMetadata):
        return typed.log_id or None
    for holder in (getattr(response, "additional_kwargs", None), getattr(response, "raw", None)):
        log_id = _from_mapping(holder)
        if log_id is not None:
            return log_id
    message = getattr(response, "message", None)
    if message is not None and message is not response:
        return gateway_log_id(message)
    return _from_mapping(response)


def _from_mapping(holder: Any) -> str | None:
    gateway = holder.get("gateway") if isinstance(holder, Mapping) else None
    log_id = gateway.get("log_id") if isinstance(gateway, Mapping) else None
    return log_id if isinstance(log_id, str) and log_id else None


@dataclass(frozen=True, slots=True)
class LoggedCall:
    """One LLM call seen by the recorder: its gateway log id and instrumentation span."""

    log_id: str
    span_id: str | None
    kind: str
    """``chat`` or ``completion``."""


class GatewayLogRecorder(BaseEventHandler):
    """Records the gateway log id of every LLM call LlamaIndex's instrumentation reports.

    Once per log: a ``complete`` call, served by ``chat``, ends with two events for one reply.
    """

    _calls: list[LoggedCall] = PrivateAttr(default_factory=list)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        """The handler's name."""
        return "GatewayLogRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Record the log id of an LLM end event (other events are ignored)."""
        if isinstance(event, LLMChatEndEvent):
            kind = "chat"
        elif isinstance(event, LLMCompletionEndEvent):
            kind = "completion"
        else:
            return
        log_id = gateway_log_id(event.response)
        if log_id is None:
            return
        with self._lock:
            # complete() runs through chat(): both end events carry the same reply; keep one.
            if all(call.log_id != log_id for call in self._calls):
                self._calls.append(LoggedCall(log_id, event.span_id, kind))

    def attach(self, dispatcher_name: str = "root") -> GatewayLogRecorder:
        """Add this handler to a dispatcher (the root one by default); returns ``self``."""
        get_dispatcher(dispatcher_name).add_event_handler(self)
        return self

    def detach(self, dispatcher_name: str = "root") -> None:
        """Remove this handler from the dispatcher :meth:`attach` added it to."""
        handlers = get_dispatcher(dispatcher_name).event_handlers
        if self in handlers:
            handlers.remove(self)

    @property
    def calls(self) -> list[LoggedCall]:
        """Every recorded call, in the order they ended."""
        with self._lock:
            return list(self._calls)

    @property
    def log_ids(self) -> list[str]:
        """Every recorded log id, in the order the calls ended."""
        return [call.log_id for call in self.calls]

    def clear(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self._calls.clear()


def _log_id(target: Any) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, LoggedCall):
        return target.log_id
    log_id = gateway_log_id(target)
    if log_id is None:
        raise GatewayConfigError(
            "No gateway log id on that result: pass a log id, a LoggedCall, or a ChatResponse "
            "from CloudflareAIGateway whose additional_kwargs['gateway'] has a log_id (the "
            "gateway omits it when log collection is off)."
        )
    return log_id


class GatewayFeedback(GatewayFields):
    """Feedback on, and reads of, the gateway logs of LlamaIndex calls.

    Connection settings as for :class:`~llamaindex_cf_gateway.CloudflareAIGateway`, or taken from
    an LLM with :meth:`from_llm`. ``target`` is a log id, a :class:`LoggedCall` or a response.
    """

    @classmethod
    def from_llm(cls, llm: Any) -> GatewayFeedback:
        """Reuse the connection settings of a ``CloudflareAIGateway`` (or embedding, reranker)."""
        return cls(**shared_settings(llm))

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
        self._session.client.logs.feedback(
            log_id, feedback=feedback, score=score, metadata=metadata
        )
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
        await self._session.aclient.logs.feedback(
            log_id, feedback=feedback, score=score, metadata=metadata
        )
        return log_id

    def get_log(self, target: Any) -> GatewayLog:
        """The gateway log of ``target`` (model, provider, tokens, cost, cached, duration…)."""
        return self._session.client.logs.get(_log_id(target))

    async def aget_log(self, target: Any) -> GatewayLog:
        """Async twin of :meth:`get_log`."""
        return await self._session.aclient.logs.get(_log_id(target))
