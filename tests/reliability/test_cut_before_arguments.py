"""A tool call cut by max_tokens before any argument arrived is never callable with ``{}``.

Found by an outside tester: ``arguments: ""`` (Chat Completions) or an Anthropic ``tool_use`` with
no input, in a reply that stopped at the token limit, came back as a valid call with empty
arguments. A zero-argument call in a reply that finished normally stays callable.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from llama_index.core.llms import ChatMessage

from cf_gateway_core import InvalidToolCallError
from cf_gateway_core.testing import FakeGateway, Reply
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway

CREDS = {"account_id": "acct", "api_token": "tok"}


def _chat_json(finish: str) -> dict[str, Any]:
    call = {"id": "t1", "type": "function", "function": {"name": "transfer", "arguments": ""}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "openai/gpt-5.5",
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
    }


def _chat_sse(finish: str) -> list[Any]:
    head = {
        "role": "assistant",
        "tool_calls": [
            {
                "index": 0,
                "id": "t1",
                "type": "function",
                "function": {"name": "transfer", "arguments": ""},
            }
        ],
    }
    frame = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return [
        {**frame, "choices": [{"index": 0, "delta": head, "finish_reason": None}]},
        {**frame, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
        "[DONE]",
    ]


def _anthropic_json(stop: str) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "tool_use", "id": "t1", "name": "transfer", "input": {}}],
        "stop_reason": stop,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def _anthropic_sse(stop: str) -> list[Any]:
    start = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "content": [],
        "model": "claude-sonnet-4-5",
        "usage": {"input_tokens": 1, "output_tokens": 0},
    }
    block = {"type": "tool_use", "id": "t1", "name": "transfer", "input": {}}
    return [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop},
                "usage": {"output_tokens": 1},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


# (model, reply builder, cut finish, normal finish)
CASES = {
    "chat_json": ("openai/gpt-5.5", lambda f: Reply.json(_chat_json(f)), "length", "tool_calls"),
    "chat_sse": ("openai/gpt-5.5", lambda f: Reply.sse(_chat_sse(f)), "length", "tool_calls"),
    "anthropic_json": (
        "anthropic/claude-sonnet-4.5",
        lambda f: Reply.json(_anthropic_json(f)),
        "max_tokens",
        "tool_use",
    ),
    "anthropic_sse": (
        "anthropic/claude-sonnet-4.5",
        lambda f: Reply.sse(_anthropic_sse(f)),
        "max_tokens",
        "tool_use",
    ),
}


def _langchain(case: str, finish_index: int) -> Any:
    stream = case.endswith("sse")  # a JSON reply answers invoke, an event stream answers stream
    model, build, *finishes = CASES[case]
    fake = FakeGateway()
    fake.queue(build(finishes[finish_index]))
    llm = ChatCloudflareAIGateway(model=model, http_client=fake.client(), **CREDS)
    if not stream:
        return llm.invoke("pay")
    merged: AIMessageChunk | None = None
    for chunk in llm.stream("pay"):
        merged = chunk if merged is None else merged + chunk
    return merged


@pytest.mark.parametrize("case", sorted(CASES))
def test_langchain_cut_call_is_invalid(case: str) -> None:
    message = _langchain(case, 0)
    assert message.tool_calls == []
    assert [c["name"] for c in message.invalid_tool_calls] == ["transfer"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_langchain_zero_argument_call_that_finished_stays_callable(case: str) -> None:
    message = _langchain(case, 1)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("transfer", {})]


@pytest.mark.parametrize("case", sorted(CASES))
def test_llamaindex_cut_call_is_never_a_tool_selection(case: str) -> None:
    model, build, cut, _ = CASES[case]
    fake = FakeGateway()
    fake.queue(build(cut))
    llm = CloudflareAIGateway(model=model, http_client=fake.client(), **CREDS)
    messages = [ChatMessage(role="user", content="pay")]
    response = list(llm.stream_chat(messages))[-1] if case.endswith("sse") else llm.chat(messages)
    with pytest.raises(InvalidToolCallError):
        llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
