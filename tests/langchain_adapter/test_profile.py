"""LangChain's ``profile`` comes from the core model table."""

from __future__ import annotations

from typing import get_type_hints

from langchain_core.language_models.model_profile import ModelProfile

from langchain_cf_gateway import ChatCloudflareAIGateway

CREDS = {"account_id": "acct", "api_token": "tok"}


def test_profile_keys_are_langchain_core_keys_and_values_come_from_the_table() -> None:
    llm = ChatCloudflareAIGateway(model="anthropic/claude-sonnet-4.5", **CREDS)
    profile = llm.profile
    assert profile is not None
    assert set(profile) <= set(get_type_hints(ModelProfile))
    assert profile["max_input_tokens"] == 200_000
    assert profile["max_output_tokens"] == 64_000
    assert profile["tool_calling"] is True
    assert profile["image_inputs"] is True
    assert profile["reasoning_output"] is True


def test_structured_output_flag_follows_json_schema_support() -> None:
    gpt = ChatCloudflareAIGateway(model="openai/gpt-5.5", **CREDS).profile
    unknown = ChatCloudflareAIGateway(model="somebody/new-model", **CREDS).profile
    assert gpt is not None and unknown is not None
    assert gpt["structured_output"] is True
    assert unknown["structured_output"] is False
    assert unknown["tool_calling"] is False


def test_an_explicit_profile_wins() -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", profile={"max_input_tokens": 10}, **CREDS)
    assert llm.profile == {"max_input_tokens": 10}
