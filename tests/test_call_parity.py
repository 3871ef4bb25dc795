"""Per-call keywords mean the same in LangChain and LlamaIndex (one table: cf_gateway_core.calls).

The same per-call mistake gets the same ``GatewayConfigError`` (a ``GatewayError``), with the same
message apart from the class name it tells the user to build, before any request; the same
per-call setting reaches the wire the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from cf_gateway_core import GatewayConfigError, GatewayError
from cf_gateway_core.calls import CALL_KEYWORDS, CallKind
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway

TOKEN = "cfut_parity_secret_0123456789"
WORKERS = "@cf/meta/llama-3.1-8b-instruct"
Call = Callable[..., Any]


def _langchain(fake: FakeGateway, model: str, **settings: Any) -> Call:
    llm = ChatCloudflareAIGateway(
        model=model, account_id="acct", api_token=TOKEN, http_client=fake.client(), **settings
    )
    return lambda **kw: llm.invoke([HumanMessage("hi")], **kw)


def _llamaindex(fake: FakeGateway, model: str, **settings: Any) -> Call:
    llm = CloudflareAIGateway(
        model=model, account_id="acct", api_token=TOKEN, http_client=fake.client(), **settings
    )
    return lambda **kw: llm.chat([ChatMessage(role=MessageRole.USER, content="hi")], **kw)


FRAMEWORKS = {"langchain": _langchain, "llamaindex": _llamaindex}
CLASS_NAMES = {"langchain": "ChatCloudflareAIGateway", "llamaindex": "CloudflareAIGateway"}


def _refused(framework: str, model: str, settings: dict[str, Any], **per_call: Any) -> str:
    """The message of the GatewayConfigError one call raises, with the class name neutral."""
    fake = FakeGateway()
    call = FRAMEWORKS[framework](fake, model, **settings)
    with pytest.raises(GatewayConfigError) as info:
        call(**per_call)
    assert isinstance(info.value, GatewayError)
    assert fake.requests == []  # refused before any request
    message = str(info.value)
    assert TOKEN not in message
    return message.replace(CLASS_NAMES[framework], "<model class>")


def _both(model: str, settings: dict[str, Any] | None = None, **per_call: Any) -> str:
    messages = {_refused(name, model, settings or {}, **per_call) for name in FRAMEWORKS}
    assert len(messages) == 1, messages
    return messages.pop()


def test_an_unknown_endpoint_per_call_is_the_construction_error() -> None:
    per_call = _both("openai/gpt-5.5", endpoint="chat")
    with pytest.raises(GatewayConfigError) as at_construction:
        ChatCloudflareAIGateway(
            model="openai/gpt-5.5", account_id="a", api_token="t", endpoint="chat"
        )
    assert per_call == str(at_construction.value)


@pytest.mark.parametrize(
    ("per_call", "named"),
    [
        ({"session_affinity": "s1"}, "session_affinity only applies"),
        ({"reject_if_busy": True}, "reject_if_busy only applies"),
    ],
)
def test_workers_ai_opt_ins_per_call_on_another_model_are_the_same_error(
    per_call: dict[str, Any], named: str
) -> None:
    assert named in _both("openai/gpt-5.5", **per_call)


@pytest.mark.parametrize(
    "settings", [{"session_affinity": "s1"}, {"reject_if_busy": True}], ids=["affinity", "busy"]
)
def test_workers_ai_opt_ins_at_construction_on_another_model_are_the_same_error(
    settings: dict[str, Any],
) -> None:
    messages = set()
    for name, make in FRAMEWORKS.items():
        with pytest.raises(GatewayConfigError) as info:
            make(FakeGateway(), "openai/gpt-5.5", **settings)
        messages.add(str(info.value).replace(CLASS_NAMES[name], "<model class>"))
    assert len(messages) == 1, messages
    assert "only applies to Workers AI models" in messages.pop()


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_workers_ai_opt_ins_per_call_reach_the_wire_alike(framework: str) -> None:
    fake = FakeGateway()
    call = FRAMEWORKS[framework](fake, WORKERS)
    call(session_affinity="s1", reject_if_busy=True)
    assert fake.last_request.headers["x-session-affinity"] == "s1"
    assert fake.last_request.json["options"] == {"rejectIfBusy": True}
    assert "session_affinity" not in fake.last_request.json
    call()
    assert "x-session-affinity" not in fake.last_request.headers
    assert "options" not in fake.last_request.json


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_a_per_call_reject_if_busy_false_overrides_the_instance(framework: str) -> None:
    fake = FakeGateway()
    call = FRAMEWORKS[framework](fake, WORKERS, reject_if_busy=True)
    call()
    assert fake.last_request.json["options"] == {"rejectIfBusy": True}
    call(reject_if_busy=False)
    assert "options" not in fake.last_request.json


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_endpoint_per_call_picks_the_route_for_that_call(framework: str) -> None:
    fake = FakeGateway()
    call = FRAMEWORKS[framework](fake, "openai/gpt-5.5")
    call(endpoint="responses")
    assert fake.last_request.endpoint == "responses"
    call()
    assert fake.last_request.endpoint == "chat_completions"


@pytest.mark.parametrize(
    "key",
    sorted(k for k, kind in CALL_KEYWORDS.items() if kind is CallKind.CONSTRUCTION),
)
def test_a_connection_setting_per_call_is_the_same_error(key: str) -> None:
    message = _both("openai/gpt-5.5", **{key: TOKEN})
    assert message.startswith(f"{key} is set when the model is created, not per call")
    assert "<model class>(" in message


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_unlisted_keywords_go_into_the_body_and_extra_body_is_merged(framework: str) -> None:
    fake = FakeGateway()
    call = FRAMEWORKS[framework](fake, "openai/gpt-5.5")
    call(logprobs=True, extra_body={"seed": 7})
    body = fake.last_request.json
    assert body["logprobs"] is True
    assert body["seed"] == 7
    assert "extra_body" not in body


@pytest.mark.parametrize(
    "keyword",
    ["api_tokne", "API_TOKEN", "api_keys", "base_ur", "acount_id", "token_api", "Base_URL"],
)
def test_a_misspelt_connection_setting_per_call_is_refused_not_sent(keyword: str) -> None:
    # Unlisted per-call keywords go into the JSON body; a misspelt api_token= would send the
    # token to the provider. Both frameworks refuse it alike, before any request.
    secret = "cfut_misspelt_secret_42"
    messages = set()
    for name, build in FRAMEWORKS.items():
        fake = FakeGateway()
        call = build(fake, "openai/gpt-5.5")
        with pytest.raises(GatewayConfigError) as info:
            call(**{keyword: secret})
        assert not fake.requests, name
        assert secret not in str(info.value)
        assert "extra_body" in str(info.value)
        message = str(info.value)
        for cls in (ChatCloudflareAIGateway, CloudflareAIGateway):
            message = message.replace(cls.__name__, "<class>")
        messages.add(message)
    assert len(messages) == 1


def test_a_body_field_close_to_a_setting_name_goes_through_extra_body() -> None:
    for name, build in FRAMEWORKS.items():
        fake = FakeGateway()
        build(fake, "openai/gpt-5.5")(extra_body={"base_ur": "x"})
        assert fake.last_request.json["base_ur"] == "x", name


@pytest.mark.parametrize(
    "field", ["max_completion_tokens", "top_k", "repetition_penalty", "service_tier", "user"]
)
def test_a_provider_body_field_is_not_mistaken_for_a_misspelt_setting(field: str) -> None:
    # The misspelling check refuses only what looks like a connection setting; a real body
    # field of a provider's API, whatever it resembles, is sent as given.
    for name, build in FRAMEWORKS.items():
        fake = FakeGateway()
        build(fake, "openai/gpt-5.5")(**{field: 3})
        assert fake.last_request.json[field] == 3, name
