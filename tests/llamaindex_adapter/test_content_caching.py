"""Prompt caching through CloudflareAIGateway (LlamaIndex): ``CachePoint`` blocks, the per-call
``cache_control=`` and ``prompt_cache_key=``, and cache tokens in usage (chat and stream)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
)

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import CloudflareAIGateway

EPHEMERAL = {"type": "ephemeral", "ttl": "5m"}
DOC = "The Cloudflare AI Gateway handbook. " * 30
POINT = CachePoint(cache_control=CacheControl(type="ephemeral"))


def _llm(fake: FakeGateway, model: str = "anthropic/claude-sonnet-4.5", **kw: Any) -> Any:
    return CloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _prompt() -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content="You answer from the handbook."),
        ChatMessage(
            role="user",
            blocks=[TextBlock(text=DOC), POINT, TextBlock(text="What does the gateway do?")],
        ),
    ]


def test_cache_point_marks_the_block_before_it() -> None:
    fake = FakeGateway()
    _llm(fake).chat(_prompt())
    assert fake.last_request.json["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": DOC, "cache_control": EPHEMERAL},
                {"type": "text", "text": "What does the gateway do?"},
            ],
        }
    ]


def test_cache_tokens_in_usage_chat_then_stream_then_async() -> None:
    fake = FakeGateway()
    llm = _llm(fake)
    first = llm.chat(_prompt()).additional_kwargs["usage"]
    assert first["cache_creation_tokens"] > 0 and first["cache_read_tokens"] == 0
    *_, last = llm.stream_chat(_prompt())
    assert last.additional_kwargs["usage"]["cache_read_tokens"] == first["cache_creation_tokens"]
    again = asyncio.run(llm.achat(_prompt())).additional_kwargs["usage"]
    assert again["cache_read_tokens"] == first["cache_creation_tokens"]
    assert again["input_tokens"] == first["input_tokens"]


def test_cache_point_in_a_tool_message_marks_the_tool_result() -> None:
    fake = FakeGateway()
    messages = [
        ChatMessage(role="user", content="Weather?"),
        ChatMessage(
            role="assistant",
            content="",
            additional_kwargs={
                "tool_calls": [{"id": "t1", "name": "weather", "input": {"city": "Paris"}}]
            },
        ),
        ChatMessage(
            role="tool",
            blocks=[TextBlock(text="sunny"), POINT],
            additional_kwargs={"tool_call_id": "t1"},
        ),
    ]
    _llm(fake).chat(messages)
    assert fake.last_request.json["messages"][-1]["content"] == [
        {"type": "tool_result", "tool_use_id": "t1", "content": "sunny", "cache_control": EPHEMERAL}
    ]


def test_cache_point_after_an_image_and_per_call_cache_control() -> None:
    fake = FakeGateway()
    image = ImageBlock(image=b"\x89PNG\r\n", image_mimetype="image/png")
    _llm(fake).chat([ChatMessage(role="user", blocks=[image, POINT, TextBlock(text="Hi")])])
    assert fake.last_request.json["messages"][0]["content"][0]["cache_control"] == EPHEMERAL
    _llm(fake).chat([ChatMessage(role="user", content="Hi")], cache_control={"type": "ephemeral"})
    assert fake.last_request.json["messages"][0]["content"] == [
        {"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}
    ]


@pytest.mark.parametrize(
    ("blocks", "match"),
    [
        ([POINT, TextBlock(text="Hi")], "must follow"),
        ([ThinkingBlock(content="hm"), POINT], "ThinkingBlock"),
    ],
)
def test_misplaced_cache_points_are_refused(blocks: list[Any], match: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=match):
        _llm(fake).chat([ChatMessage(role="user", blocks=blocks)])
    assert fake.requests == []


def test_system_cache_point_is_refused_naming_the_gateway_rule() -> None:
    fake = FakeGateway()
    system = ChatMessage(role="system", blocks=[TextBlock(text="Rules."), POINT])
    with pytest.raises(GatewayConfigError, match="7003"):
        _llm(fake).chat([system, ChatMessage(role="user", content="Hi")])
    assert fake.requests == []


def test_cache_point_on_an_openai_endpoint_names_the_anthropic_one() -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=r"endpoint 'chat_completions'.*'messages'"):
        _llm(fake, "openai/gpt-5.5").chat(_prompt())
    assert fake.requests == []


@pytest.mark.parametrize("endpoint", ["chat_completions", "responses"])
def test_prompt_cache_key(endpoint: str) -> None:
    fake = FakeGateway()
    llm = _llm(fake, "openai/gpt-5.5", endpoint=endpoint)
    user = [ChatMessage(role="user", content="Summarise the handbook.")]
    llm.chat(user, prompt_cache_key="handbook-v1")
    assert fake.last_request.json["prompt_cache_key"] == "handbook-v1"
    *_, last = llm.stream_chat(user, prompt_cache_key="handbook-v1")
    usage = last.additional_kwargs["usage"]
    assert usage["cache_read_tokens"] == usage["input_tokens"]
    with pytest.raises(GatewayConfigError, match="endpoint 'messages'"):
        _llm(fake).chat(user, prompt_cache_key="handbook-v1")
