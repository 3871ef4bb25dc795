"""LlamaIndex agents over FakeGateway: a FunctionAgent and a ReActAgent calling two tools."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.agent.workflow import (
    AgentStream,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.tools import FunctionTool

from cf_gateway_core.testing import ToolCall, Turn

# llama-index's workflows package runs inspect.getmembers() over the agent (a pydantic model),
# which touches pydantic's deprecated instance properties; third-party, not ours.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Accessing the 'model_(computed_)?fields' attribute on the instance is deprecated"
    ":DeprecationWarning"
)

ADD = ToolCall("add", {"a": 2, "b": 3}, id="call_add")
MULTIPLY = ToolCall("multiply", {"a": 5, "b": 4}, id="call_mul")
ANSWER = "(2 + 3) * 4 = 20."


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=multiply)]

# label -> (model, fake endpoint)
ROUTES = {
    "chat_completions": ("openai/gpt-5.5", "chat_completions"),
    "messages": ("anthropic/claude-sonnet-4.5", "messages"),
}


def _texts_sent(request: Any) -> str:
    return json.dumps(request.json)


@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "non_streaming"])
@pytest.mark.parametrize("label", list(ROUTES))
async def test_function_agent_calls_two_tools_and_answers(
    make_llm, fake, label: str, streaming: bool
) -> None:
    model, endpoint = ROUTES[label]
    # One script for both modes: each turn answers as JSON or as a stream as the request asks.
    fake.queue_turns(
        Turn(text="Adding first.", tool_calls=[ADD]),
        Turn(tool_calls=[MULTIPLY]),
        Turn(text=ANSWER, chunks=["(2 + 3) * 4", " = 20."]),
        endpoint=endpoint,
    )

    agent = FunctionAgent(
        tools=TOOLS,
        llm=make_llm(model),
        system_prompt="You are a calculator.",
        streaming=streaming,
    )
    handler = agent.run(user_msg="What is (2 + 3) * 4?")
    results: list[ToolCallResult] = []
    deltas: list[str] = []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            results.append(event)
        elif isinstance(event, AgentStream):
            deltas.append(event.delta)
    output = await handler

    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("add", {"a": 2, "b": 3}, "5"),
        ("multiply", {"a": 5, "b": 4}, "20"),
    ]
    assert str(output.response.content) == ANSWER
    if streaming:
        assert "".join(deltas).endswith(ANSWER)
    assert len(fake.requests) == 3
    assert all(r.endpoint == endpoint for r in fake.requests)
    assert all((r.json.get("stream") is True) == streaming for r in fake.requests)
    last = _texts_sent(fake.requests[-1])
    for needle in ("call_add", "call_mul", "You are a calculator.", "What is (2 + 3) * 4?"):
        assert needle in last
    assert [t for t in ("add", "multiply") if t in _texts_sent(fake.requests[0])] == [
        "add",
        "multiply",
    ]


@pytest.mark.parametrize("label", list(ROUTES))
async def test_react_agent_calls_two_tools_and_answers(make_llm, fake, label: str) -> None:
    model, endpoint = ROUTES[label]
    steps = [
        'Thought: I need to add first.\nAction: add\nAction Input: {"a": 2, "b": 3}',
        'Thought: Now multiply.\nAction: multiply\nAction Input: {"a": 5, "b": 4}',
        f"Thought: I can answer without using any more tools.\nAnswer: {ANSWER}",
    ]
    fake.queue_turns(*(Turn(text=step, chunks=[step]) for step in steps), endpoint=endpoint)

    agent = ReActAgent(tools=TOOLS, llm=make_llm(model))
    handler = agent.run(user_msg="What is (2 + 3) * 4?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    output = await handler

    assert [r.tool_output.content for r in results] == ["5", "20"]
    assert str(output.response.content) == ANSWER
    assert "Observation: 20" in _texts_sent(fake.requests[-1])
