"""Per endpoint: the exact wire payload of a multi-turn conversation, and stream ≡ invoke.

The conversation has a system prompt, a user turn with an image, an assistant tool call and its
tool result, with the tool bound through ``bind_tools``. Each endpoint's reply (JSON and SSE)
holds text, a tool call and usage (plus reasoning where the API carries it); the merged stream
must equal the non-stream message.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway

PNG = "iVBORw0KGgo="


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return "sunny"


CONVERSATION: list[BaseMessage] = [
    SystemMessage("You are a weather bot."),
    HumanMessage(
        content=[
            {"type": "text", "text": "What is in this picture, and how warm is Paris?"},
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
        ]
    ),
    AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}]),
    ToolMessage('{"temp": 21}', tool_call_id="call_1", name="get_weather"),
]

WEATHER_PARAMS = {
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "type": "object",
}
DESCRIPTION = "Get the weather for a city."
OPENAI_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": DESCRIPTION, "parameters": WEATHER_PARAMS},
}
OPENAI_MESSAGES = [
    {"role": "system", "content": "You are a weather bot."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this picture, and how warm is Paris?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
]

EXPECTED_PAYLOADS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "chat_completions": (
        "openai/gpt-5.5",
        "/client/v4/accounts/acct/ai/v1/chat/completions",
        {"model": "openai/gpt-5.5", "messages": OPENAI_MESSAGES, "tools": [OPENAI_TOOL]},
    ),
    "messages": (
        "anthropic/claude-sonnet-4.5",
        "/client/v4/accounts/acct/ai/v1/messages",
        {
            "model": "anthropic/claude-sonnet-4.5",
            "max_tokens": 64000,
            "system": "You are a weather bot.",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this picture, and how warm is Paris?"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                    ],
                },
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "call_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        }
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "call_1", "content": '{"temp": 21}'}
                    ],
                },
            ],
            "tools": [
                {"name": "get_weather", "description": DESCRIPTION, "input_schema": WEATHER_PARAMS}
            ],
        },
    ),
    "responses": (
        "openai/gpt-5.5",
        "/client/v4/accounts/acct/ai/v1/responses",
        {
            "model": "openai/gpt-5.5",
            "instructions": "You are a weather bot.",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "input_text",
                            "text": "What is in this picture, and how warm is Paris?",
                        },
                        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
                    ],
                },
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "get_weather",
                    "arguments": '{"city":"Paris"}',
                },
                {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 21}'},
            ],
            "tools": [
                {
                    "type": "function",
                    "name": "get_weather",
                    "description": DESCRIPTION,
                    "parameters": WEATHER_PARAMS,
                }
            ],
        },
    ),
    "run": (
        "@cf/meta/llama-4-scout-17b-16e-instruct",
        "/client/v4/accounts/acct/ai/run/@cf/meta/llama-4-scout-17b-16e-instruct",
        {"messages": OPENAI_MESSAGES, "tools": [OPENAI_TOOL]},
    ),
    "run_universal": (
        "openai/gpt-5.5",
        "/client/v4/accounts/acct/ai/run",
        {
            "model": "openai/gpt-5.5",
            "input": {"messages": OPENAI_MESSAGES, "tools": [OPENAI_TOOL]},
        },
    ),
}


def _model(fake: FakeGateway, model: str, endpoint: str) -> ChatCloudflareAIGateway:
    return ChatCloudflareAIGateway(
        model=model,
        endpoint=endpoint,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
    )


@pytest.mark.parametrize("case", sorted(EXPECTED_PAYLOADS))
def test_payload_of_multi_turn_conversation(case: str) -> None:
    model_id, path, expected = EXPECTED_PAYLOADS[case]
    endpoint = case.removesuffix("_universal")
    fake = FakeGateway()
    reply = {"result": _OPENAI_JSON} if case == "run_universal" else _REPLIES[endpoint][0]
    fake.queue_json(reply)
    answer = _model(fake, model_id, endpoint).bind_tools([get_weather]).invoke(CONVERSATION)
    assert answer.content == "Checking the weather."
    request = fake.last_request
    assert request.path == path
    assert request.json == expected
    assert request.headers["authorization"] == "Bearer tok"


# --------------------------------------------------------------------------- replies

_OPENAI_JSON = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-5.5-2026-01-01",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Checking the weather.",
                "reasoning_content": "The user wants weather.",
                "tool_calls": [
                    {
                        "id": "call_9",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 20,
        "completion_tokens": 10,
        "total_tokens": 30,
        "prompt_tokens_details": {"cached_tokens": 5},
        "completion_tokens_details": {"reasoning_tokens": 4},
    },
}
_OPENAI_BASE = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "model": "gpt-5.5-2026-01-01",
}
_OPENAI_SSE = [
    {**_OPENAI_BASE, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {**_OPENAI_BASE, "choices": [{"index": 0, "delta": {"reasoning_content": "The user "}}]},
    {**_OPENAI_BASE, "choices": [{"index": 0, "delta": {"reasoning_content": "wants weather."}}]},
    {**_OPENAI_BASE, "choices": [{"index": 0, "delta": {"content": "Checking "}}]},
    {**_OPENAI_BASE, "choices": [{"index": 0, "delta": {"content": "the weather."}}]},
    {
        **_OPENAI_BASE,
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ]
                },
            }
        ],
    },
    {
        **_OPENAI_BASE,
        "choices": [
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
            }
        ],
    },
    {
        **_OPENAI_BASE,
        "choices": [
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
            }
        ],
    },
    {**_OPENAI_BASE, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    {**_OPENAI_BASE, "choices": [], "usage": _OPENAI_JSON["usage"]},
    "[DONE]",
]

_ANTHROPIC_JSON = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "thinking", "thinking": "The user wants weather.", "signature": "sig-abc"},
        {"type": "text", "text": "Checking the weather."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 15, "cache_read_input_tokens": 5, "output_tokens": 10},
}


def _event(kind: str, **data: Any) -> tuple[str, dict[str, Any]]:
    return kind, {"type": kind, **data}


_START = {**_ANTHROPIC_JSON, "content": [], "stop_reason": None}
_START["usage"] = {"input_tokens": 15, "cache_read_input_tokens": 5, "output_tokens": 1}
_ANTHROPIC_SSE = [
    _event("message_start", message=_START),
    _event("content_block_start", index=0, content_block={"type": "thinking", "thinking": ""}),
    _event(
        "content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "The user "}
    ),
    _event(
        "content_block_delta",
        index=0,
        delta={"type": "thinking_delta", "thinking": "wants weather."},
    ),
    _event(
        "content_block_delta", index=0, delta={"type": "signature_delta", "signature": "sig-abc"}
    ),
    _event("content_block_stop", index=0),
    _event("ping"),
    _event("content_block_start", index=1, content_block={"type": "text", "text": ""}),
    _event("content_block_delta", index=1, delta={"type": "text_delta", "text": "Checking "}),
    _event("content_block_delta", index=1, delta={"type": "text_delta", "text": "the weather."}),
    _event("content_block_stop", index=1),
    _event(
        "content_block_start",
        index=2,
        content_block={"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
    ),
    _event(
        "content_block_delta",
        index=2,
        delta={"type": "input_json_delta", "partial_json": '{"city":'},
    ),
    _event(
        "content_block_delta",
        index=2,
        delta={"type": "input_json_delta", "partial_json": ' "Paris"}'},
    ),
    _event("content_block_stop", index=2),
    _event("message_delta", delta={"stop_reason": "tool_use"}, usage={"output_tokens": 10}),
    _event("message_stop"),
]

_RESPONSES_JSON = {
    "id": "resp_1",
    "object": "response",
    "model": "gpt-5.5",
    "status": "completed",
    "output": [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Need weather."}],
        },
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Checking the weather."}],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
    ],
    "usage": {
        "input_tokens": 20,
        "output_tokens": 10,
        "total_tokens": 30,
        "input_tokens_details": {"cached_tokens": 5},
        "output_tokens_details": {"reasoning_tokens": 2},
    },
}
_IN_PROGRESS = {
    "id": "resp_1",
    "object": "response",
    "model": "gpt-5.5",
    "status": "in_progress",
    "output": [],
}
_RESPONSES_SSE = [
    {"type": "response.created", "sequence_number": 0, "response": _IN_PROGRESS},
    {
        "type": "response.output_item.added",
        "sequence_number": 1,
        "output_index": 0,
        "item": {"type": "reasoning", "id": "rs_1", "summary": []},
    },
    {
        "type": "response.reasoning_summary_text.delta",
        "sequence_number": 2,
        "item_id": "rs_1",
        "output_index": 0,
        "summary_index": 0,
        "delta": "Need weather.",
    },
    {
        "type": "response.output_item.added",
        "sequence_number": 3,
        "output_index": 1,
        "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
    },
    {
        "type": "response.output_text.delta",
        "sequence_number": 4,
        "item_id": "msg_1",
        "output_index": 1,
        "content_index": 0,
        "delta": "Checking ",
    },
    {
        "type": "response.output_text.delta",
        "sequence_number": 5,
        "item_id": "msg_1",
        "output_index": 1,
        "content_index": 0,
        "delta": "the weather.",
    },
    {
        "type": "response.output_item.added",
        "sequence_number": 6,
        "output_index": 2,
        "item": {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": "",
        },
    },
    {
        "type": "response.function_call_arguments.delta",
        "sequence_number": 7,
        "item_id": "fc_1",
        "output_index": 2,
        "delta": '{"city":',
    },
    {
        "type": "response.function_call_arguments.delta",
        "sequence_number": 8,
        "item_id": "fc_1",
        "output_index": 2,
        "delta": '"Paris"}',
    },
    {"type": "response.completed", "sequence_number": 9, "response": _RESPONSES_JSON},
]

_RUN_JSON = {
    "result": {
        "response": "Checking the weather.",
        "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
    },
    "success": True,
    "errors": [],
    "messages": [],
}
_RUN_SSE = [
    {"response": "Checking ", "p": "abcdef"},
    {"response": "the weather."},
    {
        "tool_calls": [
            {"id": "call_1", "type": "function", "index": 0, "function": {"name": "get_weather"}}
        ]
    },
    {"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]},
    {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
    {"response": "", "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}},
    {"response": "", "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}},
    "[DONE]",
]

_REPLIES: dict[str, tuple[dict[str, Any], list[Any]]] = {
    "chat_completions": (_OPENAI_JSON, _OPENAI_SSE),
    "messages": (_ANTHROPIC_JSON, _ANTHROPIC_SSE),
    "responses": (_RESPONSES_JSON, _RESPONSES_SSE),
    "run": (_RUN_JSON, _RUN_SSE),
}
_MODELS = {
    "chat_completions": "openai/gpt-5.5",
    "messages": "anthropic/claude-sonnet-4.5",
    "responses": "openai/gpt-5.5",
    "run": "@cf/meta/llama-4-scout-17b-16e-instruct",
}
_HEADERS = {"cf-aig-log-id": "log-1", "cf-aig-cache-status": "MISS", "cf-aig-step": "0"}


def _assert_same_message(streamed: BaseMessage, invoked: AIMessage) -> None:
    assert isinstance(streamed, AIMessage)
    assert streamed.content == invoked.content
    assert streamed.tool_calls == invoked.tool_calls
    assert streamed.invalid_tool_calls == invoked.invalid_tool_calls
    assert streamed.usage_metadata == invoked.usage_metadata
    assert streamed.additional_kwargs == invoked.additional_kwargs
    assert streamed.response_metadata == invoked.response_metadata
    if invoked.id and not invoked.id.startswith("lc_"):  # no provider id: LangChain's run id
        assert streamed.id == invoked.id


@pytest.mark.parametrize("endpoint", sorted(_REPLIES))
def test_stream_equals_invoke(endpoint: str) -> None:
    as_json, as_sse = _REPLIES[endpoint]
    fake = FakeGateway()
    fake.queue_json(as_json, headers=_HEADERS)
    fake.queue_sse(as_sse, headers=_HEADERS)
    model = _model(fake, _MODELS[endpoint], endpoint).bind_tools([get_weather])
    invoked = model.invoke("Weather in Paris?")
    streamed: Any = None
    for chunk in model.stream("Weather in Paris?"):
        streamed = chunk if streamed is None else streamed + chunk
    assert invoked.tool_calls[0]["name"] == "get_weather"
    assert invoked.tool_calls[0]["args"] == {"city": "Paris"}
    assert invoked.content == "Checking the weather."
    assert invoked.usage_metadata is not None
    assert invoked.response_metadata["gateway"] == {
        "log_id": "log-1",
        "cache_status": "MISS",
        "step": "0",
    }
    _assert_same_message(streamed, invoked)
    assert json.loads(fake.requests[0].content).get("stream") is None
    assert json.loads(fake.requests[1].content)["stream"] is True


@pytest.mark.parametrize("endpoint", sorted(_REPLIES))
async def test_astream_equals_ainvoke(endpoint: str) -> None:
    as_json, as_sse = _REPLIES[endpoint]
    fake = FakeGateway()
    fake.queue_json(as_json, headers=_HEADERS)
    fake.queue_sse(as_sse, headers=_HEADERS)
    model = _model(fake, _MODELS[endpoint], endpoint)
    invoked = await model.ainvoke("Weather in Paris?")
    streamed: Any = None
    async for chunk in model.astream("Weather in Paris?"):
        streamed = chunk if streamed is None else streamed + chunk
    _assert_same_message(streamed, invoked)


def test_stream_equals_invoke_details_per_endpoint() -> None:
    fake = FakeGateway()
    fake.queue_json(_ANTHROPIC_JSON)
    message = _model(fake, _MODELS["messages"], "messages").invoke("hi")
    assert message.additional_kwargs == {
        "reasoning_content": "The user wants weather.",
        "reasoning_blocks": [
            {"type": "thinking", "thinking": "The user wants weather.", "signature": "sig-abc"}
        ],
    }
    assert message.usage_metadata == {
        "input_tokens": 20,
        "output_tokens": 10,
        "total_tokens": 30,
        "input_token_details": {"cache_read": 5},
    }
    fake.queue_json(_OPENAI_JSON)
    message = _model(fake, _MODELS["chat_completions"], "chat_completions").invoke("hi")
    assert message.usage_metadata == {
        "input_tokens": 20,
        "output_tokens": 10,
        "total_tokens": 30,
        "input_token_details": {"cache_read": 5},
        "output_token_details": {"reasoning": 4},
    }
    assert message.content_blocks[0] == {
        "type": "reasoning",
        "reasoning": "The user wants weather.",
    }
