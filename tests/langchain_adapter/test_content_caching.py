"""Prompt caching through ChatCloudflareAIGateway, at the wire and in usage (invoke and stream).

Anthropic ``cache_control`` follows langchain-anthropic: on content blocks (their own key or a v1
block's ``extras``), on tools (a dict tool's key or ``BaseTool.extras``) and per call
(``cache_control=`` on the last block). OpenAI's ``prompt_cache_key`` goes on Chat Completions and
Responses. The emulator answers with cache-creation tokens on the first cached call and
cache-read tokens on the second identical one.
"""

from __future__ import annotations

import asyncio
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway

EPHEMERAL = {"type": "ephemeral"}
DOC = "The Cloudflare AI Gateway handbook. " * 30
PNG = "iVBORw0KGgo="


def _llm(fake: FakeGateway, model: str = "anthropic/claude-sonnet-4.5", **kw: Any) -> Any:
    return ChatCloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _cached_prompt() -> list[BaseMessage]:
    return [
        SystemMessage("You answer from the handbook."),
        HumanMessage(
            [
                {"type": "text", "text": DOC, "cache_control": EPHEMERAL},
                {"type": "text", "text": "What does the gateway do?"},
            ]
        ),
    ]


def _merged(chunks: list[Any]) -> Any:
    return reduce(lambda a, b: a + b, chunks)


def test_block_cache_control_is_sent_on_the_block() -> None:
    fake = FakeGateway()
    _llm(fake).invoke(_cached_prompt())
    body = fake.last_request.json
    assert body["system"] == "You answer from the handbook."
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": DOC, "cache_control": EPHEMERAL},
                {"type": "text", "text": "What does the gateway do?"},
            ],
        }
    ]


def test_cache_tokens_in_usage_invoke_then_stream_then_async() -> None:
    fake = FakeGateway()
    llm = _llm(fake)
    first = llm.invoke(_cached_prompt()).usage_metadata
    assert first is not None
    details = first["input_token_details"]
    assert details["cache_creation"] > 0 and details["cache_read"] == 0
    second = _merged(list(llm.stream(_cached_prompt()))).usage_metadata
    assert second["input_token_details"]["cache_read"] == details["cache_creation"]
    assert second["input_token_details"]["cache_creation"] == 0
    # input_tokens is the whole prompt: uncached + read + written.
    assert second["input_tokens"] == first["input_tokens"]
    third = asyncio.run(llm.ainvoke(_cached_prompt())).usage_metadata
    assert third["input_token_details"]["cache_read"] == details["cache_creation"]


def test_v1_extras_and_image_blocks_carry_cache_control() -> None:
    fake = FakeGateway()
    message = HumanMessage(
        [
            {"type": "image", "base64": PNG, "mime_type": "image/png", "cache_control": EPHEMERAL},
            {"type": "text", "text": "Describe it.", "extras": {"cache_control": EPHEMERAL}},
        ]
    )
    _llm(fake).invoke([message])
    content = fake.last_request.json["messages"][0]["content"]
    assert content == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
            "cache_control": EPHEMERAL,
        },
        {"type": "text", "text": "Describe it.", "cache_control": EPHEMERAL},
    ]


def test_per_call_cache_control_marks_the_last_block() -> None:
    fake = FakeGateway()
    llm = _llm(fake)
    llm.invoke("Hello", cache_control={"type": "ephemeral", "ttl": "1h"})
    assert fake.last_request.json["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "Hello",
                    "cache_control": {"type": "ephemeral", "ttl": "1h"},
                }
            ],
        }
    ]
    history = [
        HumanMessage("Weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "t1"}]),
        ToolMessage("sunny", tool_call_id="t1"),
    ]
    list(llm.stream(history, cache_control=EPHEMERAL))
    last = fake.last_request.json["messages"][-1]["content"][-1]
    assert last == {
        "type": "tool_result",
        "tool_use_id": "t1",
        "content": "sunny",
        "cache_control": EPHEMERAL,
    }


@tool(extras={"cache_control": EPHEMERAL})
def lookup(term: str) -> str:
    """Look a term up in the handbook."""
    return term


def test_tool_cache_control_from_dicts_and_tool_extras() -> None:
    fake = FakeGateway()
    anthropic_tool = {
        "name": "search",
        "description": "Search the handbook.",
        "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
        "cache_control": EPHEMERAL,
    }
    _llm(fake).bind_tools([anthropic_tool]).invoke("Find caching.")
    tools = fake.last_request.json["tools"]
    assert tools == [
        {
            "name": "search",
            "description": "Search the handbook.",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
            "cache_control": EPHEMERAL,
        }
    ]
    _llm(fake).bind_tools([lookup]).invoke("Find caching.")
    assert fake.last_request.json["tools"][0]["cache_control"] == EPHEMERAL
    assert fake.last_request.json["tools"][0]["name"] == "lookup"


def test_cache_control_travels_inside_the_run_envelope() -> None:
    fake = FakeGateway()
    llm = _llm(fake, endpoint="run")
    llm.invoke(_cached_prompt())
    body = fake.last_request.json
    assert body["model"] == "anthropic/claude-sonnet-4.5"
    assert body["input"]["messages"][0]["content"][0]["cache_control"] == EPHEMERAL
    usage = llm.invoke(_cached_prompt()).usage_metadata
    assert usage is not None and usage["input_token_details"]["cache_read"] > 0


def test_system_prompt_cache_control_is_refused_before_sending() -> None:
    fake = FakeGateway()
    system = SystemMessage([{"type": "text", "text": "Rules.", "cache_control": EPHEMERAL}])
    with pytest.raises(GatewayConfigError, match="7003") as info:
        _llm(fake).invoke([system, HumanMessage("Hi")])
    assert "first user message" in str(info.value)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("model", "endpoint"),
    [("openai/gpt-5.5", "chat_completions"), ("openai/gpt-5.5", "responses")],
)
def test_cache_control_is_refused_where_the_api_has_none(model: str, endpoint: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=f"endpoint '{endpoint}'") as info:
        _llm(fake, model, endpoint=endpoint).invoke(_cached_prompt())
    assert "'messages'" in str(info.value)
    with pytest.raises(GatewayConfigError, match="per-call"):
        _llm(fake, model, endpoint=endpoint).invoke("Hi", cache_control=EPHEMERAL)
    assert fake.requests == []


@pytest.mark.parametrize(
    "bad",
    [{"type": "persistent"}, {"type": "ephemeral", "ttl": "2h"}, {"type": "ephemeral", "x": 1}],
)
def test_invalid_cache_control_is_refused(bad: dict[str, Any]) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="'ephemeral'"):
        _llm(fake).invoke("Hi", cache_control=bad)
    assert fake.requests == []


def test_more_than_four_breakpoints_is_refused() -> None:
    fake = FakeGateway()
    blocks = [{"type": "text", "text": f"part {i}", "cache_control": EPHEMERAL} for i in range(5)]
    with pytest.raises(GatewayConfigError, match="at most 4"):
        _llm(fake).invoke([HumanMessage(blocks)])
    assert fake.requests == []


def test_breakpoints_anywhere_in_extra_body_count_toward_the_limit() -> None:
    # Two marks in the messages and three deep in extra_body (in a list, in a nested object):
    # five in all is refused; four, with one of them dropped, is sent as given.
    fake = FakeGateway()
    blocks = [{"type": "text", "text": f"part {i}", "cache_control": EPHEMERAL} for i in range(2)]
    nested = {"a": [{"cache_control": EPHEMERAL}, {"b": {"cache_control": EPHEMERAL}}]}
    extra = {"metadata": {"x": [nested]}, "cache_control": EPHEMERAL}
    with pytest.raises(GatewayConfigError, match="at most 4"):
        _llm(fake).invoke([HumanMessage(blocks)], extra_body=extra)
    assert fake.requests == []
    extra_four = {"metadata": {"x": [nested]}}
    _llm(fake).invoke([HumanMessage(blocks)], extra_body=extra_four)
    assert fake.last_request.json["metadata"] == extra_four["metadata"]


@pytest.mark.parametrize("endpoint", ["chat_completions", "responses"])
def test_prompt_cache_key_is_sent_and_cached_tokens_reported(endpoint: str) -> None:
    fake = FakeGateway()
    llm = _llm(fake, "openai/gpt-5.5", endpoint=endpoint)
    llm.invoke("Summarise the handbook.", prompt_cache_key="handbook-v1")
    assert fake.last_request.json["prompt_cache_key"] == "handbook-v1"
    usage = _merged(
        list(llm.stream("Summarise the handbook.", prompt_cache_key="handbook-v1"))
    ).usage_metadata
    assert usage["input_token_details"]["cache_read"] == usage["input_tokens"]


@pytest.mark.parametrize(
    ("model", "endpoint"),
    [("anthropic/claude-sonnet-4.5", "messages"), ("@cf/meta/llama-3.1-8b-instruct", "run")],
)
def test_prompt_cache_key_is_refused_where_the_api_has_none(model: str, endpoint: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=f"endpoint '{endpoint}'") as info:
        _llm(fake, model, endpoint=endpoint).invoke("Hi", prompt_cache_key="k")
    assert "'chat_completions' or 'responses'" in str(info.value)
    assert fake.requests == []


@pytest.mark.parametrize(
    "block",
    [
        {"type": "thinking", "thinking": "t", "signature": "s", "cache_control": EPHEMERAL},
        {"type": "reasoning", "reasoning": "t", "extras": {"cache_control": EPHEMERAL}},
        {"type": "tool_use", "id": "t1", "name": "f", "input": {}, "cache_control": EPHEMERAL},
    ],
)
def test_cache_control_on_ai_thinking_or_tool_use_blocks_is_refused_not_dropped(
    block: dict[str, Any],
) -> None:
    fake = FakeGateway()
    calls = [{"name": "f", "args": {}, "id": "t1"}] if block["type"] == "tool_use" else []
    ai = AIMessage([block, {"type": "text", "text": "ok"}], tool_calls=calls)
    tail: list[Any] = [ToolMessage("r", tool_call_id="t1")] if calls else [HumanMessage("next")]
    with pytest.raises(GatewayConfigError, match="cache_control"):
        _llm(fake).invoke([HumanMessage("hi"), ai, *tail])
    assert fake.requests == []
