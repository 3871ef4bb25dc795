"""What LlamaIndex's instrumentation and callbacks receive from a ``CloudflareAIGateway`` call.

LlamaIndex hands every chat call's model description (``LLMChatStartEvent.model_dict``, the
callback payload's ``serialized``) to event handlers, and the call's bound arguments to span
handlers. Both must describe the model as it is at the time of the call, as the installed
LlamaIndex's own ``BaseLLM`` does, without any credential: ``to_payload`` (class name and
``metadata``) where ``BaseLLM`` defines it, ``to_dict()`` (the fields) in the releases before it
(llama-index-core 0.14.5, the lowest version supported, has no ``to_payload``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import ChatMessage, LLMMetadata
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from pydantic import Field

from cf_gateway_core import register_profile
from cf_gateway_core.profiles import _reset
from cf_gateway_core.testing import Turn, chat_completion
from llamaindex_cf_gateway import CloudflareAIGateway
from tests.llamaindex_adapter.conftest import TOKEN

USER = [ChatMessage(role="user", content="What is 2 + 3?")]

PAYLOAD = hasattr(BaseLLM, "to_payload")
"""Whether the installed LlamaIndex describes an LLM by ``to_payload`` (else by ``to_dict()``)."""
KEYS = {"model_name": "model_name", "num_output": "num_output", "context_window": "context_window"}
if not PAYLOAD:  # to_dict() names the fields themselves
    KEYS = {"model_name": "model", "num_output": "max_tokens", "context_window": "context_window"}


class _Starts(BaseEventHandler):
    """The ``model_dict`` of every chat start event."""

    model_dicts: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "ChatStarts"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, LLMChatStartEvent):
            self.model_dicts.append(event.model_dict)


class _Spans(BaseSpanHandler[Any]):
    """The span ids and bound arguments of every span."""

    spans: list[tuple[str, dict[str, Any]]] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "BoundArguments"

    def new_span(self, id_: str, bound_args: inspect.BoundArguments, **kwargs: Any) -> None:
        self.spans.append((id_, dict(bound_args.arguments)))

    def prepare_to_exit_span(self, id_: str, bound_args: Any, **kwargs: Any) -> None:
        return None

    def prepare_to_drop_span(self, id_: str, bound_args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def starts() -> Iterator[_Starts]:
    handler = _Starts()
    get_dispatcher().add_event_handler(handler)
    yield handler
    get_dispatcher().event_handlers.remove(handler)


@pytest.fixture
def spans() -> Iterator[_Spans]:
    handler = _Spans()
    get_dispatcher().add_span_handler(handler)
    yield handler
    get_dispatcher().span_handlers.remove(handler)


@pytest.fixture
def profiles() -> Iterator[None]:
    """The model table as shipped, before and after the test."""
    _reset()
    yield
    _reset()


def _payload(llm: CloudflareAIGateway) -> dict[str, Any]:
    """LlamaIndex's definition of ``BaseLLM.to_payload``: the class name and ``metadata``."""
    return {"class_name": llm.class_name(), **llm.metadata.model_dump()}


def _expected(llm: CloudflareAIGateway) -> dict[str, Any]:
    """The installed LlamaIndex's own definition of what its events carry for ``llm``."""
    return _payload(llm) if PAYLOAD else llm.to_dict()


def _reply(fake: Any) -> None:
    fake.queue_json(chat_completion(Turn(text="5")))


def test_events_describe_the_model_as_llamaindex_does(make_llm, fake, starts) -> None:
    llm = make_llm()
    _reply(fake)
    llm.chat(USER)
    assert starts.model_dicts == [_expected(llm)]
    assert starts.model_dicts[0][KEYS["model_name"]] == "openai/gpt-5.5"
    assert TOKEN not in repr(starts.model_dicts) and TOKEN not in repr(llm.to_payload())


def test_events_follow_fields_changed_between_calls(make_llm, fake, starts) -> None:
    llm = make_llm()
    first = _expected(llm)
    for change in ({"max_tokens": 77}, {"context_window": 5_000}, {"model": "openai/gpt-4o"}):
        for name, value in change.items():
            setattr(llm, name, value)
        _reply(fake)
        llm.chat(USER)
        assert starts.model_dicts[-1] == _expected(llm) != first
    assert starts.model_dicts[-1][KEYS["num_output"]] == 77
    assert starts.model_dicts[-1][KEYS["context_window"]] == 5_000
    assert starts.model_dicts[-1][KEYS["model_name"]] == "openai/gpt-4o"


def test_events_follow_the_model_table(make_llm, fake, starts, profiles) -> None:
    llm = make_llm("@cf/acme/payload-7b", endpoint="chat_completions")
    _reply(fake)
    llm.chat(USER)
    register_profile("@cf/acme/payload-7b", context_window=12_345, tool_calling=True)
    _reply(fake)
    llm.chat(USER)
    before, after = starts.model_dicts
    assert after == _expected(llm)
    if PAYLOAD:  # to_dict() holds the fields only: the model table never shows in it
        assert (after["context_window"], after["is_function_calling_model"]) == (12_345, True)
        assert before["context_window"] != 12_345


def test_a_handler_changing_its_payload_changes_no_other_call(make_llm, fake, starts) -> None:
    llm = make_llm()
    for _ in range(2):
        _reply(fake)
        llm.chat(USER)
        starts.model_dicts[-1]["model_name"] = "changed by a handler"
        starts.model_dicts[-1]["extra"] = 1
    assert llm.to_payload() == _payload(llm)
    assert llm.to_payload() is not llm.to_payload()


def test_a_subclass_metadata_is_what_events_carry(fake, starts) -> None:
    class Tuned(CloudflareAIGateway):
        flag: bool = False

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name=f"{self.model}:{self.flag}", is_chat_model=True)

    llm = Tuned(
        model="openai/gpt-5.5", account_id="acct", api_token=TOKEN, http_client=fake.client()
    )
    assert llm.to_payload()["model_name"] == "openai/gpt-5.5:False"
    llm.flag = True
    _reply(fake)
    llm.chat(USER)
    assert starts.model_dicts[-1] == _expected(llm)
    if PAYLOAD:  # to_dict() holds the fields, not the metadata
        assert starts.model_dicts[-1]["model_name"] == "openai/gpt-5.5:True"


def test_spans_bind_each_call_arguments(make_llm, fake, spans) -> None:
    llm = make_llm()
    _reply(fake)
    llm.chat(USER, temperature=0.5)
    fake.queue_json(chat_completion(Turn(text="6")))
    asyncio.run(llm.achat(USER))
    fake.queue_turns(Turn(text="7"))
    assert "".join(r.delta or "" for r in llm.stream_chat(USER, top_p=0.9)) == "7"
    ids = [span_id for span_id, _ in spans.spans]
    arguments = [args for _, args in spans.spans]
    assert [i.split("-")[0] for i in ids] == [
        "CloudflareAIGateway.chat",
        "CloudflareAIGateway.achat",
        "CloudflareAIGateway.stream_chat",
    ]
    assert arguments[2]["messages"] is USER and arguments[2]["kwargs"] == {"top_p": 0.9}
    assert arguments[0]["messages"] is USER and arguments[0]["kwargs"] == {"temperature": 0.5}
    assert arguments[1]["messages"] is USER and "kwargs" not in arguments[1]  # none given
    assert all(llm in args.values() for args in arguments)  # the instance, first
