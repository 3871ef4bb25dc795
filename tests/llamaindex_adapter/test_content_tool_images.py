"""Images in tool results through CloudflareAIGateway (LlamaIndex): Responses
``function_call_output`` arrays and Anthropic ``tool_result`` content; errors elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock, ToolCallBlock

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import CloudflareAIGateway


def _llm(fake: FakeGateway, model: str, **kw: Any) -> Any:
    return CloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _history() -> list[ChatMessage]:
    call = ToolCallBlock(tool_call_id="call_1", tool_name="screenshot", tool_kwargs={})
    return [
        ChatMessage(role="user", content="Take a screenshot."),
        ChatMessage(role="assistant", blocks=[call]),
        ChatMessage(
            role="tool",
            blocks=[TextBlock(text="Taken."), ImageBlock(url="https://example.com/shot.png")],
            additional_kwargs={"tool_call_id": "call_1"},
        ),
    ]


def test_responses_output_array_chat_and_stream() -> None:
    fake = FakeGateway()
    llm = _llm(fake, "openai/gpt-5.5", endpoint="responses")
    reply = llm.chat(_history())
    assert fake.last_request.json["input"][-1]["output"] == [
        {"type": "input_text", "text": "Taken."},
        {"type": "input_image", "image_url": "https://example.com/shot.png"},
    ]
    *_, last = llm.stream_chat(_history())
    assert last.message.content == reply.message.content


def test_messages_tool_result_content() -> None:
    fake = FakeGateway()
    _llm(fake, "anthropic/claude-sonnet-4.5").chat(_history())
    assert fake.last_request.json["messages"][-1]["content"][0]["content"] == [
        {"type": "text", "text": "Taken."},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/shot.png"}},
    ]


def test_chat_completions_refuses_naming_messages_and_responses() -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=r"endpoint 'chat_completions'.*'responses'"):
        _llm(fake, "openai/gpt-5.5").chat(_history())
    assert fake.requests == []
