"""The per-call keyword policy both adapters apply (``cf_gateway_core.calls``).

Per call: request fields are set, ``endpoint`` picks the route (checked like at construction),
``gateway_options`` / ``extra_headers`` / ``extra_body`` apply to the one call, connection
settings raise (never a JSON body field), framework plumbing is ignored and anything else goes
into the body, as in langchain-openai and llama-index-llms-openai. The Workers AI opt-ins are
request fields that the client writes as a header and a body field.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any

import pytest

from cf_gateway_core import ChatRequest, GatewayClient, GatewayConfigError, Message, ToolChoice
from cf_gateway_core.calls import (
    CALL_KEYWORDS,
    CallKind,
    construction_only_message,
    sort_call_kwargs,
)
from cf_gateway_core.session import normalize_constructor_kwargs
from cf_gateway_core.testing import FakeGateway

TOKEN = "cfut_calls_secret_0123456789"
WORKERS = "@cf/meta/llama-3.1-8b-instruct"
HI = (Message.user("hi"),)


def _client(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(account_id="acct", api_token=TOKEN, http_client=fake.client())


def _sort(**kwargs: Any) -> Any:
    return sort_call_kwargs(kwargs, owner="TheModel")


# ----------------------------------------------------------------------------------- the table


def test_every_field_keyword_is_a_chat_request_field() -> None:
    request_fields = {f.name for f in dataclasses.fields(ChatRequest)}
    field_keywords = {k for k, kind in CALL_KEYWORDS.items() if kind is CallKind.FIELD}
    assert field_keywords <= request_fields
    assert {"temperature", "tools", "session_affinity", "reject_if_busy"} <= field_keywords


def test_connection_settings_are_construction_only() -> None:
    for name in ("api_key", "api_token", "account_id", "gateway_id", "base_url", "timeout"):
        assert CALL_KEYWORDS[name] is CallKind.CONSTRUCTION
    for name in ("http_client", "http_async_client", "fast_transport", "allow_insecure_http"):
        assert CALL_KEYWORDS[name] is CallKind.CONSTRUCTION


# ----------------------------------------------------------------------------------- sorting


def test_request_fields_are_set_and_converted() -> None:
    call = sort_call_kwargs(
        {"temperature": 0.2, "stop": "END", "tool_choice": "any", "model": "openai/gpt-5.5"},
        owner="TheModel",
        converters={"tool_choice": lambda value: ToolChoice(mode="required")},
    )
    assert call.fields == {
        "temperature": 0.2,
        "stop": ("END",),
        "tool_choice": ToolChoice(mode="required"),
        "model": "openai/gpt-5.5",
    }
    assert call.extra_body == {}
    assert call.endpoint is None


@pytest.mark.parametrize("stop", [[], None, ""])
def test_empty_stop_is_no_stop(stop: Any) -> None:
    assert _sort(stop=stop).fields == {"stop": None}


def test_model_none_keeps_the_instance_model() -> None:
    call = _sort(model=None)
    request = call.request(HI, defaults={"model": "openai/gpt-5.5"})
    assert request.model == "openai/gpt-5.5"


def test_request_field_none_unsets_the_instance_value() -> None:
    request = _sort(temperature=None).request(
        HI, defaults={"model": "openai/gpt-5.5", "temperature": 0.7}
    )
    assert request.temperature is None


def test_unlisted_keywords_go_into_the_body_and_none_is_not_sent() -> None:
    call = _sort(logprobs=True, user=None, extra_body={"seed": 7, "logprobs": False})
    assert call.extra_body == {"seed": 7, "logprobs": True}


def test_extra_body_must_be_a_dict() -> None:
    with pytest.raises(GatewayConfigError, match="extra_body must be a dict"):
        _sort(extra_body=[("seed", 7)])


def test_stream_is_framework_plumbing_and_never_sent() -> None:
    call = _sort(stream=True)
    assert call.fields == {} and call.extra_body == {}


def test_gateway_options_and_headers_are_per_call() -> None:
    call = _sort(gateway_options={"skip_cache": True}, extra_headers={"X-Trace": "t1"})
    assert call.options == {"skip_cache": True}
    assert call.headers == {"x-trace": "t1"}


def test_reserved_headers_are_refused() -> None:
    with pytest.raises(GatewayConfigError, match="may not set 'Authorization'"):
        _sort(extra_headers={"Authorization": f"Bearer {TOKEN}"})


def test_request_merges_instance_values_under_the_call() -> None:
    call = _sort(max_tokens=5, seed=3)
    request = call.request(
        HI,
        defaults={"model": "openai/gpt-5.5", "max_tokens": 100, "top_p": 0.9},
        extra_body={"seed": 1, "user": "u"},
    )
    assert (request.max_tokens, request.top_p) == (5, 0.9)
    assert request.extra_body == {"seed": 3, "user": "u"}
    assert request.messages == HI


def test_converters_for_other_keywords_are_a_bug() -> None:
    with pytest.raises(ValueError, match="not request fields"):
        sort_call_kwargs({}, owner="TheModel", converters={"endpoint": str})


def test_converters_are_checked_on_every_call_whatever_was_passed_before() -> None:
    # Read-only converter tables are checked once and reused: a good table passed first must not
    # let a wrong one through later, nor change what the good one converts.
    good = MappingProxyType({"tool_choice": lambda value: ToolChoice(mode="required")})
    wrong = MappingProxyType({"endpoint": str})
    for _ in range(2):
        call = sort_call_kwargs({"tool_choice": "x", "stop": "END"}, owner="M", converters=good)
        assert call.fields == {"tool_choice": ToolChoice(mode="required"), "stop": ("END",)}
        with pytest.raises(ValueError, match="not request fields"):
            sort_call_kwargs({}, owner="M", converters=wrong)


# ----------------------------------------------------------------------------------- endpoint


@pytest.mark.parametrize("endpoint", ["auto", "chat_completions", "messages", "responses", "run"])
def test_a_known_endpoint_picks_the_route(endpoint: str) -> None:
    assert _sort(endpoint=endpoint).endpoint == endpoint


def test_an_unknown_endpoint_has_the_constructor_message() -> None:
    with pytest.raises(GatewayConfigError) as at_construction:
        normalize_constructor_kwargs({"model": "openai/gpt-5.5", "endpoint": "chat"})
    with pytest.raises(GatewayConfigError) as per_call:
        _sort(endpoint="chat")
    assert str(per_call.value) == str(at_construction.value)
    assert "chat_completions" in str(per_call.value)


# ----------------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "api_token",
        "account_id",
        "gateway_id",
        "base_url",
        "timeout",
        "max_retries",
        "http_client",
        "http_async_client",
        "fast_transport",
        "allow_insecure_http",
    ],
)
def test_a_connection_setting_per_call_names_the_class_and_hides_the_value(key: str) -> None:
    with pytest.raises(GatewayConfigError) as info:
        _sort(**{key: TOKEN})
    message = str(info.value)
    assert message == construction_only_message(key, "TheModel")
    assert message.startswith(f"{key} is set when the model is created, not per call")
    assert "TheModel(" in message
    assert TOKEN not in message


def test_an_authorization_keyword_points_at_api_token() -> None:
    with pytest.raises(GatewayConfigError, match="api_token=") as info:
        _sort(authorization=f"Bearer {TOKEN}")
    assert TOKEN not in str(info.value)


# --------------------------------------------------------------- Workers AI opt-ins, on the wire


def test_workers_ai_opt_ins_are_written_by_the_client() -> None:
    fake = FakeGateway()
    call = _sort(session_affinity="s1", reject_if_busy=True, extra_body={"options": {"x": 1}})
    request = call.request(HI, defaults={"model": WORKERS})
    for endpoint in ("run", "chat_completions"):
        _client(fake).chat(request, endpoint=endpoint)
        assert fake.last_request.headers["x-session-affinity"] == "s1"
        assert fake.last_request.json["options"] == {"x": 1, "rejectIfBusy": True}
        assert "session_affinity" not in fake.last_request.json
        assert "reject_if_busy" not in fake.last_request.json


def test_workers_ai_opt_ins_off_send_nothing() -> None:
    fake = FakeGateway()
    _client(fake).chat(ChatRequest(model=WORKERS, messages=HI, reject_if_busy=False))
    assert "x-session-affinity" not in fake.last_request.headers
    assert "options" not in fake.last_request.json


def test_session_affinity_keeps_the_callers_extra_headers() -> None:
    fake = FakeGateway()
    request = ChatRequest(model=WORKERS, messages=HI, session_affinity="s2")
    _client(fake).chat(request, extra_headers={"x-trace": "t"})
    assert fake.last_request.headers["x-session-affinity"] == "s2"
    assert fake.last_request.headers["x-trace"] == "t"


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"session_affinity": "s1"}, "^session_affinity only applies to Workers AI models"),
        ({"reject_if_busy": True}, "^reject_if_busy only applies to Workers AI models"),
    ],
)
def test_workers_ai_opt_ins_for_another_model_are_refused_before_sending(
    fields: dict[str, Any], match: str
) -> None:
    fake = FakeGateway()
    request = ChatRequest(model="openai/gpt-5.5", messages=HI, **fields)
    with pytest.raises(GatewayConfigError, match=match):
        _client(fake).chat(request)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"session_affinity": ""}, "non-empty printable ASCII"),
        ({"session_affinity": "a\r\nb"}, "non-empty printable ASCII"),
        ({"reject_if_busy": "yes"}, "reject_if_busy must be True or False"),
    ],
)
def test_bad_workers_ai_opt_ins_are_refused_before_sending(
    fields: dict[str, Any], match: str
) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=match):
        _client(fake).chat(ChatRequest(model=WORKERS, messages=HI, **fields))
    assert fake.requests == []
