"""Per-call keywords of ``CloudflareAIGateway`` follow the core's one table (shared with LangChain).

Request fields override the instance's values, ``endpoint`` picks the REST API (checked),
``gateway_options`` and ``extra_headers`` apply to the call, ``extra_body`` and any other keyword
go into the JSON body, and connection settings are refused (per call they would be sent as body
fields, a token among them) — every refusal before a request is sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import Turn
from tests.llamaindex_adapter.conftest import TOKEN

USER = [ChatMessage(role=MessageRole.USER, content="Hi")]

CONNECTION = {
    "api_token": "per-call-SECRET",
    "api_key": "per-call-SECRET",
    "authorization": "Bearer per-call-SECRET",
    "account_id": "other-account",
    "gateway_id": "other-gateway",
    "base_url": "http://127.0.0.1:9/client/v4",
    "timeout": 1.0,
    "max_retries": 0,
    "http_client": object(),
    "http_async_client": object(),
    "allow_insecure_http": True,
}


@pytest.mark.parametrize("keyword", list(CONNECTION))
@pytest.mark.parametrize("method", ["chat", "stream_chat", "achat", "astream_chat", "complete"])
def test_a_connection_setting_per_call_is_refused(make_llm, fake, keyword, method) -> None:
    llm = make_llm()
    call = getattr(llm, method)
    argument: Any = "Hi" if method == "complete" else USER
    with pytest.raises(GatewayConfigError) as info:
        result = call(argument, **{keyword: CONNECTION[keyword]})
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    message = str(info.value)
    assert f"{keyword} is set when the model is created, not per call" in message
    assert "CloudflareAIGateway(...)" in message
    assert "per-call-SECRET" not in message and TOKEN not in message
    assert fake.requests == []


def test_an_unknown_endpoint_per_call_is_refused(make_llm, fake) -> None:
    with pytest.raises(GatewayConfigError, match=r"endpoint 'chat' is not known"):
        make_llm().chat(USER, endpoint="chat")
    assert fake.requests == []


def test_endpoint_per_call_picks_the_rest_api(make_llm, fake) -> None:
    llm = make_llm("anthropic/claude-sonnet-4.5")
    fake.queue_turns(Turn(text="ok"))
    llm.chat(USER, endpoint="chat_completions")
    assert fake.last_request.url.split("?")[0].endswith("/chat/completions")


def test_extra_body_per_call_is_merged_over_the_instance_body(make_llm, fake) -> None:
    llm = make_llm(model_kwargs={"seed": 1, "user": "a"}, extra_body={"user": "b"})
    fake.queue_turns(Turn(text="ok"))
    llm.chat(USER, extra_body={"user": "c", "metadata": {"k": "v"}}, logprobs=True, foo=None)
    body = fake.last_request.json
    assert body["seed"] == 1
    assert body["user"] == "c"
    assert body["metadata"] == {"k": "v"}
    assert body["logprobs"] is True
    assert "extra_body" not in body and "foo" not in body


def test_extra_body_per_call_must_be_a_dict(make_llm, fake) -> None:
    with pytest.raises(GatewayConfigError, match="extra_body must be a dict"):
        make_llm().chat(USER, extra_body=[("user", "c")])
    assert fake.requests == []


def test_request_fields_per_call_override_the_instance(make_llm, fake) -> None:
    llm = make_llm(temperature=0.5, max_tokens=50, stop="END")
    fake.queue_turns(Turn(text="ok"))
    llm.chat(USER, temperature=0.1, stop=["A", "B"], model="openai/gpt-5.5-mini")
    body = fake.last_request.json
    assert body["temperature"] == 0.1
    assert body["stop"] == ["A", "B"]
    assert body["max_completion_tokens"] == 50
    assert body["model"] == "openai/gpt-5.5-mini"
    fake.queue_turns(Turn(text="ok"))
    llm.chat(USER)
    body = fake.last_request.json
    assert (body["temperature"], body["stop"], body["model"]) == (0.5, ["END"], "openai/gpt-5.5")
