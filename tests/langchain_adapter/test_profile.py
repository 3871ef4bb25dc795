"""LangChain's ``profile`` comes from the core model table."""

from __future__ import annotations

import base64
from typing import Any, get_type_hints

from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
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


def _works(llm: ChatCloudflareAIGateway, messages: list[Any]) -> bool:
    try:
        llm.invoke(messages)
    except GatewayConfigError:
        return False
    return True


def test_media_flags_match_what_the_endpoint_sends() -> None:
    """profile says a medium works exactly where the request is sent, not refused."""
    image_tool = [
        HumanMessage("Take a screenshot."),
        AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "call_1"}]),
        ToolMessage(
            [{"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}],
            tool_call_id="call_1",
        ),
    ]
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    cases = {
        "image_tool_message": image_tool,
        "pdf_inputs": [
            HumanMessage(
                [
                    {
                        "type": "file",
                        "base64": pdf,
                        "mime_type": "application/pdf",
                        "filename": "a.pdf",
                    }
                ]
            )
        ],
        "audio_inputs": [
            HumanMessage([{"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"}])
        ],
    }
    fake = FakeGateway(accept_any_model=True)
    for model in ("openai/gpt-4o-audio-preview", "anthropic/claude-sonnet-4.5"):
        for endpoint in ("auto", "chat_completions", "responses", "run"):
            llm = ChatCloudflareAIGateway(
                model=model, endpoint=endpoint, http_client=fake.client(), **CREDS
            )
            assert llm.profile is not None
            for flag, messages in cases.items():
                if llm.profile[flag]:  # type: ignore[literal-required]
                    assert _works(llm, messages), (model, endpoint, flag)
                elif flag != "audio_inputs" or endpoint != "chat_completions":
                    assert not _works(llm, messages), (model, endpoint, flag)
