"""The gateway as Cloudflare documents it in 2026 (docs/gateway-2026.md), checked at the wire:
the headers a request carries, what is refused before any request, and how the replies of the
2026 error changes are classified and retried."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from cf_gateway_core import (
    AsyncGatewayClient,
    AuthenticationError,
    ChatRequest,
    GatewayClient,
    GatewayConfigError,
    GatewayOptions,
    Message,
    NotFoundError,
    ProviderCredentialsError,
    RateLimitError,
    SpendLimitError,
    workers_ai_extras,
)
from cf_gateway_core.testing import FakeGateway

ACCOUNT = "acct123"
REQUEST = ChatRequest(model="openai/gpt-5.5", messages=(Message.user("Hi"),))
WORKERS = ChatRequest(model="@cf/meta/llama-3.1-8b-instruct", messages=(Message.user("Hi"),))

# Bodies as the gateway sends them (changelog 2026-10-05, Policies docs, Workers AI errors).
SPEND_CAP = {
    "success": False,
    "error": {"message": "Spending limit exceeded", "bucket": "team-a", "spent": 12.5, "limit": 10},
}
BYOK_REJECTED = {"success": False, "errors": [{"code": 2009, "message": "Unauthorized"}]}
UB_REJECTED = {
    "success": False,
    "errors": [{"message": "Provider rejected the Cloudflare-managed credentials"}],
}
NO_SUCH_MODEL = {"success": False, "errors": [{"code": 5007, "message": "No such model or task"}]}


def client(fake: FakeGateway, **kwargs: Any) -> GatewayClient:
    return GatewayClient(
        account_id=ACCOUNT, api_token="t", http_client=fake.client(), max_retries=2, **kwargs
    )


# ----------------------------------------------------------------- item 1: headers and BYOK


def test_new_options_travel_as_their_documented_headers() -> None:
    fake = FakeGateway()
    options = GatewayOptions(
        collect_log_payload=False,
        custom_cost={"per_token_in": 0.000001, "per_token_out": 0.000002},
        no_wholesale=True,
        byok_alias="default",
    )
    client(fake, options=options).chat(REQUEST)
    headers = fake.last_request.headers
    assert headers["cf-aig-collect-log-payload"] == "false"
    assert json.loads(headers["cf-aig-custom-cost"]) == {
        "per_token_in": 0.000001,
        "per_token_out": 0.000002,
    }
    assert headers["cf-aig-no-wholesale"] == "true"
    assert headers["cf-aig-byok-alias"] == "default"


def test_per_call_options_add_the_new_headers_too() -> None:
    fake = FakeGateway()
    client(fake).chat(REQUEST, options={"no_wholesale": True})
    assert fake.last_request.headers["cf-aig-no-wholesale"] == "true"


@pytest.mark.parametrize(
    "options", [{"byok_alias": "team-a"}, {"zdr": True}, {"retry_delay_ms": 5001}]
)
def test_options_the_rest_api_would_ignore_fail_before_any_request(
    options: dict[str, Any],
) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError):
        client(fake, options=options)
    with pytest.raises(GatewayConfigError):
        client(fake).chat(REQUEST, options=options)
    assert fake.requests == []


# ----------------------------------------------------------------- item 2: routes


@pytest.mark.parametrize("model", ["dynamic/support", "cloudflare/auto"])
def test_dynamic_routes_and_auto_router_never_reach_the_wire(model: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="compat"):
        client(fake).chat(ChatRequest(model=model, messages=(Message.user("Hi"),)))
    assert fake.requests == []


# ----------------------------------------------------------------- item 4: errors


def test_byok_key_rejection_2009_says_the_provider_key_may_be_the_cause() -> None:
    fake = FakeGateway().queue_json(BYOK_REJECTED, status=401)
    with pytest.raises(AuthenticationError) as info:
        client(fake).chat(REQUEST, endpoint="run")
    assert info.value.code == 2009
    assert "Provider Keys" in str(info.value) and "BYOK" in str(info.value)
    assert len(fake.requests) == 1


def test_unified_billing_credential_rejection_is_not_retried() -> None:
    fake = FakeGateway().queue_json(UB_REJECTED, status=503)
    with pytest.raises(ProviderCredentialsError) as info:
        client(fake).chat(REQUEST, endpoint="run")
    assert "retrying will not help" in str(info.value)
    assert info.value.status_code == 503
    assert len(fake.requests) == 1


def test_a_plain_503_is_still_retried() -> None:
    fake = FakeGateway()
    unavailable = {"errors": [{"message": "Service unavailable"}]}
    for _ in range(2):
        fake.queue_json(unavailable, status=503, headers={"retry-after": "0"})
    # Retried: the third attempt gets the emulator's default answer.
    assert client(fake).chat(REQUEST).text
    assert len(fake.requests) == 3


def test_policies_spend_cap_is_a_spend_limit_error_with_spent_and_limit() -> None:
    fake = FakeGateway().queue_json(SPEND_CAP, status=429)
    with pytest.raises(SpendLimitError) as info:
        client(fake).chat(REQUEST)
    error = info.value
    assert isinstance(error, RateLimitError)
    assert (error.spent, error.limit, error.bucket, error.code) == (12.5, 10.0, "team-a", None)
    assert error.message == "Spending limit exceeded"
    assert len(fake.requests) == 1


def test_workers_ai_5007_is_not_found() -> None:
    fake = FakeGateway().queue_json(NO_SUCH_MODEL, status=400)
    with pytest.raises(NotFoundError) as info:
        client(fake).chat(WORKERS, endpoint="run")
    assert (info.value.status_code, info.value.code) == (400, 5007)


async def test_async_client_classifies_the_spend_cap_the_same_way() -> None:
    fake = FakeGateway().queue_json(SPEND_CAP, status=429)
    async with AsyncGatewayClient(
        account_id=ACCOUNT, api_token="t", http_client=fake.async_client()
    ) as aclient:
        with pytest.raises(SpendLimitError) as info:
            await aclient.chat(REQUEST)
    assert info.value.spent == 12.5
    assert len(fake.requests) == 1


# ----------------------------------------------------------------- item 6: Workers AI opt-ins


@pytest.mark.parametrize("kwargs", [{"session_affinity": "s1"}, {"reject_if_busy": True}])
@pytest.mark.parametrize("model", ["openai/gpt-5.5", "anthropic/claude-sonnet-4.5"])
def test_workers_ai_opt_ins_for_other_models_are_config_errors(
    kwargs: dict[str, Any], model: str
) -> None:
    name = next(iter(kwargs))
    fake = FakeGateway()
    request = ChatRequest(model=model, messages=(Message.user("Hi"),), **kwargs)
    with pytest.raises(GatewayConfigError, match=f"^{name} only applies to Workers AI models"):
        client(fake).chat(request)
    assert fake.requests == []


def test_both_workers_ai_opt_ins_for_another_model_are_named_together() -> None:
    match = "^session_affinity and reject_if_busy only apply to Workers AI models"
    fake = FakeGateway()
    request = dataclasses.replace(REQUEST, session_affinity="s1", reject_if_busy=True)
    with pytest.raises(GatewayConfigError, match=match):
        client(fake).chat(request)
    assert fake.requests == []


def test_workers_ai_opt_ins_for_workers_ai_models_are_sent() -> None:
    fake = FakeGateway()
    request = dataclasses.replace(WORKERS, session_affinity="s1", reject_if_busy=True)
    client(fake).chat(request, endpoint="run")
    assert fake.last_request.headers["x-session-affinity"] == "s1"
    assert fake.last_request.json["options"] == {"rejectIfBusy": True}


def test_workers_ai_extras_is_deprecated_and_still_works_for_one_release() -> None:
    # Not in the public API contract; ChatRequest and the models take both opt-ins themselves.
    with pytest.warns(DeprecationWarning, match="workers_ai_extras is deprecated") as caught:
        headers, body = workers_ai_extras(
            session_affinity="s1", reject_if_busy=True, model="@cf/meta/llama-3.1-8b-instruct"
        )
    message = str(caught[0].message)
    assert "ChatRequest" in message and "session_affinity=" in message
    assert caught[0].filename == __file__  # the warning points at the caller's line
    fake = FakeGateway()
    client(fake).chat(
        dataclasses.replace(WORKERS, extra_body=body), endpoint="run", extra_headers=headers
    )
    assert fake.last_request.headers["x-session-affinity"] == "s1"
    assert fake.last_request.json["options"] == {"rejectIfBusy": True}
    with (
        pytest.warns(DeprecationWarning, match="workers_ai_extras is deprecated"),
        pytest.raises(GatewayConfigError, match=r"^session_affinity only applies"),
    ):
        workers_ai_extras(session_affinity="s1", model="openai/gpt-5.5")


# ----------------------------------------------------------------- item 7: GPT-OSS streams

GPT_OSS = ChatRequest(model="@cf/openai/gpt-oss-120b", messages=(Message.user("What is 2+2?"),))
EMPTY_RESULTS: list[dict[str, Any]] = [
    {"result": {"response": ""}, "success": True, "errors": [], "messages": []},
    {"result": None, "success": True, "errors": [], "messages": []},
    {"result": {}, "success": True},
]


@pytest.mark.parametrize("empty", EMPTY_RESULTS)
def test_empty_json_answer_to_a_native_stream_is_asked_again_without_streaming(
    empty: dict[str, Any],
) -> None:
    fake = FakeGateway().queue_json(empty, endpoint="run")
    with client(fake).stream(GPT_OSS, endpoint="run") as stream:
        text = "".join(e.text for e in stream if hasattr(e, "text"))
    first, second = fake.requests
    assert first.json["stream"] is True
    assert "stream" not in second.json and "stream_options" not in second.json
    assert second.json["messages"] == first.json["messages"]
    assert text and "What is 2+2?" in text
    assert stream.result().text == text


async def test_async_empty_json_answer_to_a_native_stream_is_asked_again() -> None:
    fake = FakeGateway().queue_json(EMPTY_RESULTS[0], endpoint="run")
    async with AsyncGatewayClient(
        account_id=ACCOUNT, api_token="t", http_client=fake.async_client()
    ) as aclient:
        stream = aclient.stream(GPT_OSS, endpoint="run")
        events = [event async for event in stream]
    assert len(fake.requests) == 2
    assert events and "What is 2+2?" in stream.result().text


def test_a_json_answer_with_text_to_a_native_stream_is_replayed_without_a_second_request() -> None:
    answer = {"result": {"response": "4"}, "success": True}
    fake = FakeGateway().queue_json(answer, endpoint="run")
    with client(fake).stream(GPT_OSS, endpoint="run") as stream:
        list(stream)
    assert stream.result().text == "4"
    assert len(fake.requests) == 1


def test_only_one_retry_when_the_second_answer_is_empty_too() -> None:
    fake = FakeGateway()
    fake.queue_json(EMPTY_RESULTS[0], endpoint="run").queue_json(EMPTY_RESULTS[0], endpoint="run")
    with client(fake).stream(GPT_OSS, endpoint="run") as stream:
        list(stream)
    assert stream.result().text == ""
    assert len(fake.requests) == 2


def test_empty_json_on_other_endpoints_is_not_asked_again() -> None:
    empty = {"choices": [{"index": 0, "message": {"role": "assistant", "content": ""}}]}
    fake = FakeGateway().queue_json(empty, endpoint="chat_completions")
    with client(fake).stream(GPT_OSS) as stream:
        list(stream)
    assert len(fake.requests) == 1


# ----------------------------------------------------------------- item 8: universal /ai/run


def test_universal_run_body_uses_the_documented_field_names() -> None:
    fake = FakeGateway()
    request = dataclasses.replace(REQUEST, max_tokens=512)
    client(fake).chat(request, endpoint="run")
    body = fake.last_request.json
    # The REST API page's /ai/run example: {"model", "input": {"messages", "max_tokens"}}.
    assert fake.last_request.path.endswith("/ai/run")
    assert body == {
        "model": "openai/gpt-5.5",
        "input": {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 512},
    }


def test_docs_link_every_source_of_the_byok_alias_fact() -> None:
    # Issue 15 item 1 rests on two pages (BYOK, and the AI Gateway's Workers-bindings page);
    # docs/gateway-2026.md must give each as a public link, not only by name.
    doc = (Path(__file__).parents[2] / "docs" / "gateway-2026.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if "`cf-aig-byok-alias` is honoured" in line)
    source = row.split(" | ")[1]
    assert (
        "](https://developers.cloudflare.com/ai-gateway/configuration/bring-your-own-keys/)"
        in source
    )
    assert (
        "](https://developers.cloudflare.com/ai-gateway/integrations/worker-binding-methods/)"
        in source
    )
