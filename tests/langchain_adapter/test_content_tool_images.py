"""Images in tool results: Anthropic ``tool_result`` content and Responses
``function_call_output`` output arrays; elsewhere an error naming the right endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway

PNG = "iVBORw0KGgo="
DATA_URL = f"data:image/png;base64,{PNG}"


def _llm(fake: FakeGateway, model: str, **kw: Any) -> Any:
    return ChatCloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _history() -> list[BaseMessage]:
    return [
        HumanMessage("Take a screenshot and describe it."),
        AIMessage("", tool_calls=[{"name": "screenshot", "args": {}, "id": "call_1"}]),
        ToolMessage(
            [
                {"type": "text", "text": "Screenshot taken."},
                {"type": "image", "base64": PNG, "mime_type": "image/png"},
            ],
            tool_call_id="call_1",
        ),
    ]


def test_responses_function_call_output_carries_input_image() -> None:
    fake = FakeGateway()
    llm = _llm(fake, "openai/gpt-5.5", endpoint="responses")
    reply = llm.invoke(_history())
    assert fake.last_request.json["input"][-1] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": [
            {"type": "input_text", "text": "Screenshot taken."},
            {"type": "input_image", "image_url": DATA_URL},
        ],
    }
    assert "Screenshot taken." in reply.text
    chunks = list(llm.stream(_history()))
    assert "".join(c.text for c in chunks) == reply.text


def test_responses_text_only_result_stays_a_string() -> None:
    fake = FakeGateway()
    history = [
        *_history()[:2],
        ToolMessage([{"type": "text", "text": "ok"}], tool_call_id="call_1"),
    ]
    _llm(fake, "openai/gpt-5.5", endpoint="responses").invoke(history)
    assert fake.last_request.json["input"][-1]["output"] == "ok"


@pytest.mark.parametrize("endpoint", ["messages", "run"])
def test_anthropic_tool_result_holds_the_image(endpoint: str) -> None:
    fake = FakeGateway()
    chunks = list(_llm(fake, "anthropic/claude-sonnet-4.5", endpoint=endpoint).stream(_history()))
    body = fake.last_request.json
    messages = body["messages"] if endpoint == "messages" else body["input"]["messages"]
    assert messages[-1]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "call_1",
            "content": [
                {"type": "text", "text": "Screenshot taken."},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
            ],
        }
    ]
    assert "".join(c.text for c in chunks)


@pytest.mark.parametrize(
    ("model", "endpoint"),
    [("openai/gpt-5.5", "chat_completions"), ("@cf/meta/llama-4-scout-17b-16e-instruct", "run")],
)
def test_endpoints_without_tool_result_images_name_the_ones_with(model: str, endpoint: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError) as info:
        _llm(fake, model, endpoint=endpoint).invoke(_history())
    message = str(info.value)
    assert f"not supported on endpoint '{endpoint}'" in message
    assert "'messages'" in message and "'responses'" in message
    assert fake.requests == []
