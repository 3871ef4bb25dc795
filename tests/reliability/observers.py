"""What the frameworks hand to observers, kept as text for the secret scans.

The LangChain callback handler and tracer, the LlamaIndex instrumentation event handler and legacy
callback handler, and an error's traceback with every frame's locals (what error trackers such as
Sentry capture): the places a token must never show.
"""

from __future__ import annotations

import traceback
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run
from llama_index.core.callbacks.base_handler import BaseCallbackHandler as LICallbackHandler
from llama_index.core.callbacks.schema import CBEventType
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from pydantic import Field


def traceback_with_locals(exc: BaseException) -> str:
    """What an error tracker records: the whole chain with every frame's locals."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


class EveryCallback(BaseCallbackHandler):
    """A LangChain handler that keeps the arguments of every callback."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _keep(self, *args: Any, **kwargs: Any) -> None:
        self.seen.append(repr(args) + repr(kwargs))

    on_chat_model_start = on_llm_start = on_llm_new_token = on_llm_end = on_llm_error = _keep
    on_chain_start = on_chain_end = on_chain_error = on_text = on_retry = _keep
    on_custom_event = _keep


class RunRecorder(BaseTracer):
    """A tracer (what LangSmith receives): every run as JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[str] = []

    def _persist_run(self, run: Run) -> None:
        self.runs.append(run.model_dump_json())

    def _end_trace(self, run: Run) -> None:
        super()._end_trace(run)
        self.runs.append(run.model_dump_json())


class EventRecorder(BaseEventHandler):
    """LlamaIndex instrumentation events, as repr and JSON."""

    events: list[str] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(repr(event) + event.model_dump_json())


class LegacyCallbacks(LICallbackHandler):
    """A LlamaIndex (legacy) callback handler that keeps every payload."""

    def __init__(self) -> None:
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])
        self.payloads: list[str] = []

    def on_event_start(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        self.payloads.append(repr(payload))
        return event_id

    def on_event_end(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        **kwargs: Any,
    ) -> None:
        self.payloads.append(repr(payload))

    def start_trace(self, trace_id: str | None = None) -> None:
        pass

    def end_trace(self, trace_id: str | None = None, trace_map: Any = None) -> None:
        pass
