"""The 2026 gateway rules (docs/gateway-2026.md) through both frameworks' chat classes: refused at
construction, or classified the same way when the gateway answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ModelRateLimitError
from llama_index.core.llms import ChatMessage

from cf_gateway_core import GatewayConfigError, ProviderCredentialsError, SpendLimitError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway

SPEND_CAP = {
    "success": False,
    "error": {"message": "Spending limit exceeded", "bucket": "b", "spent": 3, "limit": 2},
}


def langchain(fake: FakeGateway, **kwargs: Any) -> ChatCloudflareAIGateway:
    kwargs.setdefault("model", "openai/gpt-5.5")
    return ChatCloudflareAIGateway(
        account_id="acct", api_token="t", http_client=fake.client(), max_retries=2, **kwargs
    )


def llamaindex(fake: FakeGateway, **kwargs: Any) -> CloudflareAIGateway:
    kwargs.setdefault("model", "openai/gpt-5.5")
    return CloudflareAIGateway(
        account_id="acct", api_token="t", http_client=fake.client(), max_retries=2, **kwargs
    )


BUILDERS: list[Callable[..., Any]] = [langchain, llamaindex]

REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"model": "dynamic/support"}, "does not serve"),
    ({"model": "cloudflare/auto"}, "Auto Router"),
    ({"gateway_options": {"byok_alias": "team-a"}}, "only the provider key stored"),
    ({"gateway_options": {"zdr": True}}, "setting of the gateway"),
    ({"gateway_options": {"retry_delay_ms": 10_000}}, "between 0 and 5000"),
    ({"reject_if_busy": True}, "reject_if_busy only applies to Workers AI models"),
    ({"session_affinity": "s1", "model": "anthropic/claude-sonnet-4.5"}, "Workers AI"),
]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(("kwargs", "match"), REFUSED)
def test_refused_at_construction_before_any_request(
    build: Callable[..., Any], kwargs: dict[str, Any], match: str
) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=match):
        build(fake, **kwargs)
    assert fake.requests == []


def test_llamaindex_per_call_session_affinity_for_a_third_party_model_is_refused() -> None:
    fake = FakeGateway()
    llm = llamaindex(fake)
    with pytest.raises(GatewayConfigError, match="Workers AI"):
        llm.chat([ChatMessage(role="user", content="Hi")], session_affinity="s1")
    assert fake.requests == []


def test_llamaindex_per_call_reject_if_busy_for_a_third_party_model_is_refused() -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="Workers AI"):
        llamaindex(fake).chat([ChatMessage(role="user", content="Hi")], reject_if_busy=True)
    assert fake.requests == []


def test_llamaindex_per_call_reject_if_busy_reaches_workers_ai_as_options() -> None:
    fake = FakeGateway()
    llm = llamaindex(fake, model="@cf/meta/llama-3.1-8b-instruct", endpoint="run")
    llm.chat([ChatMessage(role="user", content="Hi")], reject_if_busy=True)
    body = fake.last_request.json
    assert body["options"] == {"rejectIfBusy": True}
    assert "reject_if_busy" not in body


@pytest.mark.parametrize("kwargs", [{"reject_if_busy": True}, {"session_affinity": "s1"}])
def test_langchain_per_call_workers_ai_opt_ins_for_a_third_party_model_are_refused(
    kwargs: dict[str, Any],
) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="only applies to Workers AI models"):
        langchain(fake, model="openai/gpt-5.5").invoke("Hi", **kwargs)
    assert fake.requests == []


def test_langchain_per_call_workers_ai_opt_ins_reach_workers_ai_not_as_body_fields() -> None:
    fake = FakeGateway()
    llm = langchain(fake, model="@cf/meta/llama-3.1-8b-instruct", endpoint="run")
    llm.invoke("Hi", reject_if_busy=True, session_affinity="s1")
    body = fake.last_request.json
    assert body["options"] == {"rejectIfBusy": True}
    assert fake.last_request.headers["x-session-affinity"] == "s1"
    assert "reject_if_busy" not in body and "session_affinity" not in body


@pytest.mark.parametrize("build", BUILDERS)
def test_workers_ai_opt_ins_still_reach_workers_ai_models(build: Callable[..., Any]) -> None:
    fake = FakeGateway()
    llm = build(
        fake,
        model="@cf/meta/llama-3.1-8b-instruct",
        endpoint="run",
        session_affinity="s1",
        reject_if_busy=True,
    )
    if isinstance(llm, ChatCloudflareAIGateway):
        llm.invoke("Hi")
    else:
        llm.chat([ChatMessage(role="user", content="Hi")])
    assert fake.last_request.headers["x-session-affinity"] == "s1"
    assert fake.last_request.json["options"] == {"rejectIfBusy": True}


def test_langchain_spend_cap_error_is_both_twins_with_spent_and_limit() -> None:
    fake = FakeGateway().queue_json(SPEND_CAP, status=429)
    with pytest.raises(SpendLimitError) as info:
        langchain(fake).invoke("Hi")
    assert isinstance(info.value, ModelRateLimitError)
    assert (info.value.spent, info.value.limit) == (3.0, 2.0)
    assert len(fake.requests) == 1


def test_llamaindex_unified_billing_credential_rejection_is_not_retried() -> None:
    fake = FakeGateway().queue_json({"errors": [{"message": "Invalid API key"}]}, status=503)
    with pytest.raises(ProviderCredentialsError):
        llamaindex(fake).chat([ChatMessage(role="user", content="Hi")])
    assert len(fake.requests) == 1
