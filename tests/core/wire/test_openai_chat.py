from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

from cf_gateway_core.errors import GatewayConfigError, GatewayError, StreamError
from cf_gateway_core.events import (
    Finish,
    ReasoningDelta,
    ResponseStart,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    ResponseFormat,
    Role,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from cf_gateway_core.routing import Endpoint, resolve_route
from cf_gateway_core.sse import ServerSentEvent, SSEDecoder
from cf_gateway_core.wire import get_format, openai_chat
from cf_gateway_core.wire.openai_chat import ChunkDecoder, build_payload, parse_response
from tests.core.wire._helpers import (
    built_payload,
    chunked,
    decode_bytes,
    feed,
    fixture_bytes,
    fold,
    load_fixture,
    sse_events,
)

API = "openai_chat"


def load(name: str) -> Any:
    return load_fixture(API, name)


def decode(name: str, size: int | None = None) -> list[StreamEvent]:
    """Feed an .sse fixture through SSEDecoder (in chunks of ``size`` bytes) and ChunkDecoder."""
    return decode_bytes(ChunkDecoder(), chunked(fixture_bytes(API, name), size))


def feed_data(*frames: Any, event: str = "message") -> list[StreamEvent]:
    """Feed ``frames`` to one fresh ChunkDecoder (not closed); the events they yield."""
    decoder = ChunkDecoder()
    return [item for frame in frames for item in feed(decoder, frame, event)]


def request(**kwargs: Any) -> ChatRequest:
    kwargs.setdefault("model", "openai/gpt-4.1")
    kwargs.setdefault("messages", (Message.user("Hi"),))
    return ChatRequest(**kwargs)


def payload(model: str = "openai/gpt-4.1", **kwargs: Any) -> dict[str, Any]:
    return built_payload(build_payload, request(model=model, **kwargs))


WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"type": "string", "enum": ["metric", "imperial"]},
        },
        "required": ["city"],
    },
    strict=True,
)


# --------------------------------------------------------------------------- payloads


def test_format_is_registered_for_chat_completions() -> None:
    fmt = get_format(Endpoint.CHAT_COMPLETIONS)
    assert fmt is openai_chat.FORMAT
    assert fmt.build_payload is build_payload
    assert fmt.parse_response is parse_response
    assert isinstance(fmt.new_decoder(), ChunkDecoder)


def test_build_payload_multi_turn_matches_fixture() -> None:
    messages = (
        Message.system("You are a terse assistant."),
        Message(
            role="user",
            parts=(
                TextPart("What is in these images?"),
                ImagePart(url="data:image/png;base64,iVBORw0KGgo=", detail="low"),
                ImagePart(url="https://example.com/cat.jpg"),
            ),
        ),
        Message(
            role="assistant",
            parts=(
                ReasoningPart(text="The user shows a cat.", signature="sig"),
                TextPart("A cat. "),
                TextPart("Checking the weather."),
                ToolCallPart(
                    id="call_1", name="get_weather", arguments={"city": "Paris", "units": "metric"}
                ),
            ),
        ),
        Message(role="tool", parts=(ToolResultPart(tool_call_id="call_1", content="18°C, sunny"),)),
        Message(role="user", parts=(TextPart("Thanks!"),), name="alice"),
    )
    body = payload(
        messages=messages,
        tools=(WEATHER,),
        tool_choice=ToolChoice(mode="auto"),
        parallel_tool_calls=False,
        temperature=0.2,
        max_tokens=256,
    )
    assert body == load("request_multi_turn.json")
    json.dumps(body)  # JSON-ready


def test_build_payload_minimal_sends_only_model_and_messages() -> None:
    assert payload() == {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "Hi"}]}


def test_build_payload_unset_params_are_not_sent() -> None:
    body = payload(
        model="@cf/meta/llama-3.1-8b-instruct", stop=(), tools=(), extra_body={}, stream=False
    )
    assert set(body) == {"model", "messages"}


def test_build_payload_sends_sampling_params() -> None:
    body = payload(
        model="google/gemini-3-flash",
        temperature=0.0,
        top_p=0.9,
        stop=("END", "STOP"),
        max_tokens=100,
        reasoning_effort="low",
        parallel_tool_calls=True,
    )
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.9
    assert body["stop"] == ["END", "STOP"]
    assert body["max_tokens"] == 100
    assert "max_completion_tokens" not in body
    assert body["reasoning_effort"] == "low"
    assert body["parallel_tool_calls"] is True


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("openai/gpt-5.5", "max_completion_tokens"),
        ("deepseek/deepseek-v4-pro", "max_tokens"),
        ("anthropic/claude-sonnet-4.5", "max_tokens"),
        ("@cf/openai/gpt-oss-120b", "max_tokens"),
    ],
)
def test_build_payload_max_tokens_key_depends_on_author(model: str, key: str) -> None:
    route = resolve_route(model, "chat_completions")
    body = build_payload(request(model=model, max_tokens=64), route)
    assert body[key] == 64
    assert {"max_tokens", "max_completion_tokens"} & set(body) == {key}


def test_build_payload_streaming_flags() -> None:
    body = payload(stream=True)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert "stream" not in payload(stream=False)


def test_build_payload_extra_body_merged_last() -> None:
    body = payload(
        temperature=0.5,
        stream=True,
        extra_body={"temperature": 1.0, "seed": 7, "stream_options": {"include_usage": False}},
    )
    assert body["temperature"] == 1.0
    assert body["seed"] == 7
    assert body["stream_options"] == {"include_usage": False}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (ToolChoice(mode="auto"), "auto"),
        (ToolChoice(mode="none"), "none"),
        (ToolChoice(mode="required"), "required"),
        (
            ToolChoice(mode="tool", name="get_weather"),
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_build_payload_tool_choice_variants(choice: ToolChoice, expected: object) -> None:
    assert payload(tools=(WEATHER,), tool_choice=choice)["tool_choice"] == expected


def test_build_payload_tool_choice_tool_without_name_raises() -> None:
    with pytest.raises(GatewayConfigError, match="needs a tool name"):
        payload(tools=(WEATHER,), tool_choice=ToolChoice(mode="tool"))


def test_build_payload_tool_spec_defaults_and_mapping_parameters() -> None:
    spec = ToolSpec(name="ping", parameters=MappingProxyType({"type": "object"}))
    body = payload(tools=(spec,))
    assert body["tools"] == [
        {
            "type": "function",
            "function": {"name": "ping", "description": "", "parameters": {"type": "object"}},
        }
    ]
    json.dumps(body)


SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def test_build_payload_json_object_response_format() -> None:
    body = payload(response_format=ResponseFormat(type="json_object"))
    assert body["response_format"] == {"type": "json_object"}


def test_build_payload_json_schema_for_third_party_models_is_wrapped() -> None:
    fmt = ResponseFormat(type="json_schema", name="answer", schema=SCHEMA, strict=True)
    assert payload(response_format=fmt)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
    }


def test_build_payload_json_schema_default_name_and_no_strict() -> None:
    fmt = ResponseFormat(type="json_schema", schema=SCHEMA)
    assert payload(response_format=fmt)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": SCHEMA},
    }


def test_build_payload_json_schema_for_workers_ai_is_bare_schema() -> None:
    fmt = ResponseFormat(type="json_schema", name="answer", schema=SCHEMA, strict=True)
    body = payload(model="@cf/meta/llama-3.3-70b-instruct-fp8-fast", response_format=fmt)
    assert body["response_format"] == {"type": "json_schema", "json_schema": SCHEMA}


def test_build_payload_json_schema_without_schema_raises() -> None:
    with pytest.raises(GatewayConfigError, match="needs a schema"):
        payload(response_format=ResponseFormat(type="json_schema", name="x"))


def test_build_payload_user_text_parts_are_joined_into_a_string() -> None:
    message = Message(role="user", parts=(TextPart("Hello, "), TextPart("world")))
    assert payload(messages=(message,))["messages"] == [{"role": "user", "content": "Hello, world"}]


def test_build_payload_user_image_only() -> None:
    message = Message(
        role="user", parts=(ImagePart(url="https://example.com/a.png", detail="high"),)
    )
    assert payload(messages=(message,))["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "high"}}
    ]


def test_build_payload_system_parts_joined_and_named() -> None:
    message = Message(role="system", parts=(TextPart("Be "), TextPart("brief.")), name="policy")
    assert payload(messages=(message,))["messages"] == [
        {"role": "system", "content": "Be brief.", "name": "policy"}
    ]


def test_build_payload_assistant_tool_calls_only_sends_null_content() -> None:
    message = Message(
        role="assistant",
        parts=(
            ReasoningPart(text="thinking"),
            ToolCallPart(id="c1", name="f", arguments={"q": "é"}),
            ToolCallPart(id="c2", name="g", arguments=MappingProxyType({})),
        ),
    )
    assert payload(messages=(message,))["messages"] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "f", "arguments": '{"q":"é"}'},
                },
                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ],
        }
    ]


def test_build_payload_assistant_reasoning_only_sends_empty_string() -> None:
    message = Message(role="assistant", parts=(ReasoningPart(text="thinking"),))
    assert payload(messages=(message,))["messages"] == [{"role": "assistant", "content": ""}]


def test_build_payload_invalid_tool_call_arguments_are_sent_back_raw() -> None:
    call = ToolCallPart(
        id="c1", name="f", arguments={}, raw_arguments='{"q": ', error="not valid JSON"
    )
    wire = payload(messages=(Message(role="assistant", parts=(call,)),))["messages"][0]
    assert wire["tool_calls"][0]["function"]["arguments"] == '{"q": '


def test_build_payload_tool_message_with_several_results() -> None:
    message = Message(
        role="tool",
        parts=(
            ToolResultPart(tool_call_id="c1", content="one"),
            ToolResultPart(
                tool_call_id="c2", content=(TextPart("two, "), TextPart("parts")), is_error=True
            ),
        ),
    )
    assert payload(messages=(message,))["messages"] == [
        {"role": "tool", "tool_call_id": "c1", "content": "one"},
        {"role": "tool", "tool_call_id": "c2", "content": "two, parts"},
    ]


def test_build_payload_image_in_tool_result_raises() -> None:
    result = ToolResultPart(
        tool_call_id="c1", content=(TextPart("see"), ImagePart(url="https://x/y.png"))
    )
    with pytest.raises(GatewayConfigError) as info:
        payload(messages=(Message(role="tool", parts=(result,)),))
    message = str(info.value)
    assert "images in tool results are not supported on endpoint 'chat_completions'" in message
    assert "endpoint 'messages'" in message and "'responses'" in message
    assert "user message" in message


def test_build_payload_empty_tool_message_raises() -> None:
    with pytest.raises(GatewayConfigError, match="at least one ToolResultPart"):
        payload(messages=(Message(role="tool", parts=()),))


@pytest.mark.parametrize(
    ("role", "part", "hint"),
    [
        ("system", ImagePart(url="https://x/y.png"), "put the image in a user message"),
        ("assistant", ImagePart(url="https://x/y.png"), "put the image in a user message"),
        ("user", ToolResultPart(tool_call_id="c", content="r"), "Message(role='tool'"),
        ("user", ToolCallPart(id="c", name="f", arguments={}), "assistant messages"),
        ("user", ReasoningPart(text="r"), "assistant messages"),
        ("assistant", ToolResultPart(tool_call_id="c", content="r"), "Message(role='tool'"),
        ("tool", TextPart("r"), "ToolResultPart"),
        ("system", ReasoningPart(text="r"), "another endpoint"),
    ],
)
def test_build_payload_unsupported_part_raises(role: Role, part: Part, hint: str) -> None:
    with pytest.raises(GatewayConfigError) as info:
        payload(messages=(Message(role=role, parts=(part,)),))
    assert type(part).__name__ in str(info.value)
    assert f"{role!r} message" in str(info.value)
    assert hint in str(info.value)


def test_build_payload_unknown_role_raises() -> None:
    message = Message(role="developer", parts=(TextPart("x"),))  # type: ignore[arg-type]
    with pytest.raises(GatewayConfigError, match="role 'developer' is not supported"):
        payload(messages=(message,))


# --------------------------------------------------------------------------- replies


def test_parse_response_a4_deepseek_reasoning_and_cached_tokens() -> None:
    response = parse_response(load("a4_deepseek.json"))
    assert response.parts == (
        ReasoningPart(
            text='We are asked: "What is the capital of France?" This is a straightforward '
            "factual question. The answer is Paris. I should respond with just that."
        ),
        TextPart("The capital of France is **Paris**."),
    )
    assert response.id == "chatcmpl-130c261b00a14fffa8f3e238ad0fc2c1"
    assert response.model == "deepseek/deepseek-v4-pro"
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "stop"
    assert response.usage == Usage(
        input_tokens=11, output_tokens=41, total_tokens=52, cache_read_tokens=10
    )
    assert response.provider_details == {"gatewayMetadata": {"keySource": "Unified"}}
    assert response.gateway is None


def test_parse_response_a5_gpt41() -> None:
    response = parse_response(load("a5_gpt41.json"))
    assert response.parts == (TextPart("Certainly! The **three laws of thermodynamics** are «…»"),)
    assert response.id == "chatcmpl-DVnUz3cM4bgGfNijU6O2Bjr5zBIE8"
    assert response.model == "gpt-4.1-2025-04-14"
    assert response.finish_reason == "stop"
    assert response.usage == Usage(
        input_tokens=16,
        output_tokens=319,
        total_tokens=335,
        cache_read_tokens=0,
        reasoning_tokens=0,
    )
    assert response.provider_details == {
        "gatewayMetadata": {"keySource": "Unified"},
        "system_fingerprint": "fp_464203d4c6",
        "service_tier": "default",
    }


def test_parse_response_a9_glm_reply_tool_call_with_neurons_ignored() -> None:
    response = parse_response(load("a9_glm_reply.json"))
    assert response.parts == (
        ReasoningPart(text="The user wants 2 + 3."),
        ToolCallPart(id="call_538", name="add", arguments={"a": 2, "b": 3}),
    )
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=175, output_tokens=17, total_tokens=192)
    assert response.id is None
    assert response.provider_details == {}


def test_parse_response_accepts_result_wrapper() -> None:
    body = load("a4_deepseek.json")
    wrapped = {"result": body, "success": True, "errors": [], "messages": []}
    assert parse_response(wrapped) == parse_response(body)


def test_parse_response_accepts_doubly_nested_run_envelope() -> None:
    body = load("a4_deepseek.json")
    expected = parse_response(body)
    del body["gatewayMetadata"]
    wrapped = {
        "success": True,
        "result": {"result": body, "gatewayMetadata": {"keySource": "BYOK"}},
        "errors": [],
        "messages": [],
    }
    response = parse_response(wrapped)
    assert response.parts == expected.parts
    assert response.usage == expected.usage
    assert response.id == expected.id
    assert response.provider_details == {"gatewayMetadata": {"keySource": "BYOK"}}


def test_parse_response_inner_gateway_metadata_wins_over_envelope() -> None:
    body = {"result": {"result": load("a4_deepseek.json"), "gatewayMetadata": {"keySource": "X"}}}
    assert parse_response(body).provider_details["gatewayMetadata"] == {"keySource": "Unified"}


def test_parse_response_refusal_is_kept_as_text_and_detail() -> None:
    response = parse_response(load("refusal_reply.json"))
    assert response.text == "I'm sorry, I can't help with that."
    assert response.provider_details["refusal"] == "I'm sorry, I can't help with that."
    assert "annotations" not in response.provider_details


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, ""),
        ("plain", "plain"),
        (42, "42"),
        (1.5, "1.5"),
        ([{"type": "text", "text": "a"}, "b", {"text": "c"}, {"type": "image_url"}], "abc"),
        ([{"type": "text", "text": None}], ""),
        ({"name": "India"}, '{"name": "India"}'),
    ],
)
def test_parse_response_content_shapes(content: object, text: str) -> None:
    body = {"choices": [{"message": {"content": content}, "finish_reason": "stop"}]}
    assert parse_response(body).text == text


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_parse_response_reasoning_keys(key: str) -> None:
    body = {"choices": [{"message": {key: "think", "content": "ok"}}]}
    assert parse_response(body).parts == (ReasoningPart(text="think"), TextPart("ok"))


def test_parse_response_tool_call_argument_shapes() -> None:
    calls = [
        {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},
        {"type": "function", "function": {"name": "g", "arguments": {"y": [1, 2]}}},
        {"id": "c", "function": {"name": "h", "arguments": '{"x": '}},
        {"id": "d", "function": {"name": "i"}},
        {"id": "e", "function": {"name": "j", "arguments": "[1]"}},
        {"name": "legacy", "arguments": {"lat": "51.5"}},
        "not a call",
    ]
    body = {"choices": [{"message": {"content": None, "tool_calls": calls}}]}
    parts = parse_response(body).parts
    assert parts[0] == ToolCallPart(id="a", name="f", arguments={"x": 1})
    assert parts[1] == ToolCallPart(id="call_1", name="g", arguments={"y": [1, 2]})
    assert isinstance(parts[2], ToolCallPart)
    assert parts[2].arguments == {}
    assert parts[2].raw_arguments == '{"x": '
    assert parts[2].error is not None
    assert parts[3] == ToolCallPart(id="d", name="i", arguments={})
    assert isinstance(parts[4], ToolCallPart)
    assert parts[4].raw_arguments == "[1]"
    assert parts[4].error is not None
    assert parts[5] == ToolCallPart(id="call_5", name="legacy", arguments={"lat": "51.5"})
    assert len(parts) == 6


def test_parse_response_missing_ids_are_deterministic() -> None:
    body = {"choices": [{"message": {"tool_calls": [{"function": {"name": "f"}}]}}]}
    assert (
        parse_response(body).tool_calls[0].id == parse_response(body).tool_calls[0].id == "call_0"
    )


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("model_length", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("content_filter", "content_filter"),
        ("error", "error"),
        ("eos_token", "other"),
    ],
)
def test_parse_response_finish_reasons(raw: str, normalised: str) -> None:
    response = parse_response({"choices": [{"message": {"content": "x"}, "finish_reason": raw}]})
    assert response.finish_reason == normalised
    assert response.raw_finish_reason == raw


@pytest.mark.parametrize("raw", [None, "", 3])
def test_parse_response_missing_finish_reason(raw: object) -> None:
    response = parse_response({"choices": [{"message": {"content": "x"}, "finish_reason": raw}]})
    assert response.finish_reason is None
    assert response.raw_finish_reason is None


def test_parse_response_usage_total_computed_and_odd_values_tolerated() -> None:
    body = {
        "choices": [{"message": {"content": "x"}}],
        "usage": {
            "prompt_tokens": 10.0,
            "completion_tokens": True,
            "neurons": 0.25,
            "prompt_tokens_details": {"cached_tokens": None},
            "completion_tokens_details": "n/a",
        },
    }
    assert parse_response(body).usage == Usage(input_tokens=10, output_tokens=0, total_tokens=10)


def test_parse_response_empty_choices_and_odd_message() -> None:
    assert parse_response({"choices": []}) == ChatResponse()
    assert parse_response({"choices": ["x"]}).parts == ()
    assert parse_response({"choices": [{"message": "x"}], "usage": "none"}).usage is None


def test_parse_response_keeps_annotations() -> None:
    annotations = [{"type": "url_citation", "url_citation": {"url": "https://example.com"}}]
    body = {"choices": [{"message": {"content": "x", "annotations": annotations}}]}
    assert parse_response(body).provider_details == {"annotations": annotations}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"result": {"response": "Hello"}, "success": True}, "keys errors, result, success"),
        ({"data": [[0.1]], "shape": [1, 1]}, "keys data, shape"),
        ({"result": {"result": {"image": "https://x"}}}, "keys result"),
        ([1, 2], "a JSON list"),
        ({}, "(none)"),
        ({"result": {"result": {"result": {"choices": []}}}}, "keys result"),
    ],
)
def test_parse_response_rejects_non_chat_bodies(body: Any, fragment: str) -> None:
    if isinstance(body, dict) and "success" in body:
        body["errors"] = []
    with pytest.raises(GatewayError) as info:
        parse_response(body)
    assert type(info.value) is GatewayError
    assert "not a chat completion" in str(info.value)
    assert fragment in str(info.value)


# --------------------------------------------------------------------------- streams


def test_decoder_a5_stream() -> None:
    events = decode("a5_gpt41_stream.sse")
    assert events == [
        ResponseStart("chatcmpl-DVnV8rG1ILDUR9r3HsKDVd4dbGH0A", "gpt-4.1-2025-04-14"),
        TextDelta("**"),
        UsageUpdate(
            Usage(
                input_tokens=17,
                output_tokens=440,
                total_tokens=457,
                cache_read_tokens=0,
                reasoning_tokens=0,
            )
        ),
    ]


@pytest.mark.parametrize("size", [None, 1, 2, 7, 64])
def test_decoder_text_stream_in_any_chunking(size: int | None) -> None:
    response = fold(decode("text_stream.sse", size))
    assert response.text == "The capital of France is **Paris**."
    assert response.finish_reason == "stop"
    assert response.usage == Usage(
        input_tokens=14,
        output_tokens=9,
        total_tokens=23,
        cache_read_tokens=8,
        reasoning_tokens=0,
    )


def test_decoder_text_stream_event_order() -> None:
    events = decode("text_stream.sse")
    assert [type(e).__name__ for e in events] == [
        "ResponseStart",
        "TextDelta",
        "TextDelta",
        "TextDelta",
        "Finish",
        "UsageUpdate",
    ]
    assert events[4] == Finish("stop", "stop")


@pytest.mark.parametrize("size", [None, 1, 13])
def test_decoder_streamed_tool_calls_assemble(size: int | None) -> None:
    response = fold(decode("tool_calls_stream.sse", size))
    assert response.parts == (
        ToolCallPart(id="call_Wq3pA", name="get_weather", arguments={"location": "Paris"}),
        ToolCallPart(
            id="call_Xr4qB", name="get_time", arguments={"tz": "Europe/Paris", "24h": True}
        ),
    )
    assert response.finish_reason == "tool_calls"
    assert all(call.error is None for call in response.tool_calls)


@pytest.mark.parametrize("size", [None, 1, 5])
def test_decoder_a9_glm_reasoning_tool_call_and_trailer_usage(size: int | None) -> None:
    events = decode("a9_glm_stream.sse", size)
    assert events == [
        ReasoningDelta("The user wants "),
        ReasoningDelta("2 + 3."),
        ToolCallDelta(0, "call_538", "add", ""),
        ToolCallDelta(0, None, None, '{"a": 2'),
        ToolCallDelta(0, None, None, ', "b": 3}'),
        Finish("tool_calls", "tool_calls"),
        UsageUpdate(Usage(input_tokens=175, output_tokens=17, total_tokens=192)),
    ]
    response = fold(events)
    assert response.reasoning == "The user wants 2 + 3."
    assert response.tool_calls == (
        ToolCallPart(id="call_538", name="add", arguments={"a": 2, "b": 3}),
    )
    assert response.usage == Usage(input_tokens=175, output_tokens=17, total_tokens=192)


def test_decoder_zero_usage_is_not_reported() -> None:
    events = feed_data({"choices": [], "usage": {"prompt_tokens": 0, "completion_tokens": 0}})
    assert events == []


def test_decoder_a9_kimi_trailer_is_last_usage() -> None:
    events = decode("a9_kimi_trailer.sse")
    assert events[0] == ResponseStart("chatcmpl-bd0d3b78506f9517", "@cf/moonshotai/kimi-k2.5")
    usages = [e.usage for e in events if isinstance(e, UsageUpdate)]
    assert usages == [
        Usage(input_tokens=1386, output_tokens=1306, total_tokens=2692),
        Usage(input_tokens=1386, output_tokens=1306, total_tokens=2692, cache_read_tokens=0),
    ]
    assert fold(events).usage == usages[-1]


def test_decoder_a10_reasoning_stream_cumulative_usage() -> None:
    decoder = ChunkDecoder()
    raw = chunked(fixture_bytes(API, "a10_reasoning_stream.sse"), 3)
    events = [e for sse in sse_events(raw) for e in decoder.feed(sse)]
    starts = [e for e in events if isinstance(e, ResponseStart)]
    assert starts == [
        ResponseStart(
            "chatcmpl-edc8406714f74cca9cff55f929272d9a", "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
        )
    ]
    response = fold(events)
    assert response.reasoning == "Okay"
    assert response.text == "A"
    assert response.usage == Usage(input_tokens=13, output_tokens=1022, total_tokens=1035)
    assert response.finish_reason is None
    assert response.id == "chatcmpl-edc8406714f74cca9cff55f929272d9a"
    # The fixture is an excerpt: neither [DONE] nor a finish_reason, so the stream was cut.
    with pytest.raises(StreamError, match=r"ended before \[DONE\] or a finish_reason"):
        decoder.close()


def test_decoder_a10_native_tool_calls() -> None:
    events = decode("a10_native_tool_calls.sse")
    assert events == [
        ToolCallDelta(0, "call123", "get_weather", '{"location": "London"}'),
        Finish("tool_calls", "tool_calls"),
    ]
    assert fold(events).tool_calls == (
        ToolCallPart(id="call123", name="get_weather", arguments={"location": "London"}),
    )


def test_decoder_numeric_content_tokens_are_text() -> None:
    response = fold(decode("numeric_content_stream.sse", 4))
    assert response.text == "2 + 2 = 40.5"
    assert response.finish_reason == "stop"


def test_decoder_error_frame_raises_stream_error() -> None:
    sse_events = SSEDecoder().feed(fixture_bytes(API, "error_stream.sse"))
    assert len(sse_events) == 2
    decoder = ChunkDecoder()
    events = decoder.feed(sse_events[0])
    with pytest.raises(StreamError) as info:
        decoder.feed(sse_events[1])
    assert "The server had an error while processing your request" in str(info.value)
    assert isinstance(info.value.body, dict)
    assert fold(events).text == "Partial"


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        ({"error": "model overloaded"}, "model overloaded"),
        ({"error": {"message": "bad", "code": 3040}}, "(code 3040): bad"),
        ({"error": [{"code": 2003, "message": "Rate limited"}]}, "(code 2003): Rate limited"),
    ],
)
def test_decoder_error_frame_shapes(frame: dict[str, Any], fragment: str) -> None:
    with pytest.raises(StreamError, match="the stream reported an error") as info:
        feed_data(frame)
    assert fragment in str(info.value)


def test_decoder_error_event_type_raises() -> None:
    with pytest.raises(StreamError, match="Overloaded"):
        feed_data({"message": "Overloaded"}, event="error")
    with pytest.raises(StreamError, match="upstream died"):
        feed_data("upstream died", event="error")


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "42"])
def test_decoder_non_json_or_non_object_data_raises(data: str) -> None:
    with pytest.raises(StreamError, match="not a JSON object"):
        feed_data(data)


def test_decoder_blank_data_and_spaced_done_are_tolerated() -> None:
    decoder = ChunkDecoder()
    assert decoder.feed(ServerSentEvent(data="")) == []
    assert decoder.feed(ServerSentEvent(data=" [DONE] ")) == []
    assert decoder.feed(ServerSentEvent(data='{"response": "late"}')) == []


def test_decoder_ignores_events_after_done() -> None:
    events = feed_data({"response": "a"}, "[DONE]", {"response": "b"})
    assert events == [TextDelta("a")]


def test_decoder_close_returns_nothing_pending() -> None:
    decoder = ChunkDecoder()
    decoder.feed(ServerSentEvent(data=json.dumps({"choices": [{"delta": {"content": "x"}}]})))
    with pytest.raises(StreamError, match="incomplete"):
        decoder.close()
    decoder.feed(ServerSentEvent(data="[DONE]"))
    assert decoder.close() == []
    finished = ChunkDecoder()
    finished.feed(ServerSentEvent(data=json.dumps({"choices": [{"finish_reason": "length"}]})))
    assert finished.close() == []


def test_decoder_v4_error_envelope_mid_stream_raises_with_its_code() -> None:
    decoder = ChunkDecoder()
    decoder.feed(ServerSentEvent(data=json.dumps({"choices": [{"delta": {"content": "x"}}]})))
    envelope = {"success": False, "errors": [{"code": 2041, "message": "Spend limit reached"}]}
    with pytest.raises(StreamError, match=r"code 2041.*Spend limit") as info:
        decoder.feed(ServerSentEvent(data=json.dumps(envelope)))
    assert info.value.code == 2041


def test_decoder_finish_emitted_once_and_start_once() -> None:
    events = feed_data(
        {"id": "a", "choices": [{"delta": {"content": "x"}, "finish_reason": "stop"}]},
        {"id": "b", "model": "m", "choices": [{"delta": {}, "finish_reason": "length"}]},
        {"finish_reason": "stop"},
    )
    assert events == [ResponseStart("a", None), TextDelta("x"), Finish("stop", "stop")]


def test_decoder_unknown_finish_reason_is_other() -> None:
    events = feed_data({"choices": [{"delta": {}, "finish_reason": "eos"}]})
    assert events == [Finish("other", "eos")]


def test_decoder_reasoning_key_refusal_and_padding() -> None:
    events = feed_data(
        {"choices": [{"delta": {"reasoning": "hmm"}}], "p": "abc", "obfuscation": "x"},
        {"choices": [{"delta": {"refusal": "No."}}]},
        {"choices": [{"delta": {"content": [{"type": "text", "text": "part"}]}}]},
        {"choices": [{"delta": {"content": ""}}]},
        {"choices": [{"delta": None}]},
        {"choices": ["odd"]},
        {"choices": "odd"},
        {"choices": [], "p": "abdefgh"},
    )
    assert events == [ReasoningDelta("hmm"), TextDelta("No."), TextDelta("part")]


def test_decoder_only_first_choice_is_read() -> None:
    events = feed_data(
        {"choices": [{"index": 1, "delta": {"content": "other"}, "finish_reason": "stop"}]},
        {"choices": [{"index": 0, "delta": {"content": "mine"}}]},
    )
    assert events == [TextDelta("mine")]


def test_decoder_native_frames_text_and_json_mode_object() -> None:
    events = feed_data(
        {"response": "New", "p": "abcdefghijklmnopqrstuvwxyz0123456789ab"},
        {"response": 7},
        {"response": {"name": "India"}},
        {"response": "", "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}},
    )
    assert events == [
        TextDelta("New"),
        TextDelta("7"),
        TextDelta('{"name": "India"}'),
        UsageUpdate(Usage(input_tokens=3, output_tokens=2, total_tokens=5)),
    ]


def test_decoder_tool_call_fragments_with_missing_index_and_null_finalisation() -> None:
    events = feed_data(
        # Legacy complete calls without index or id, in separate frames and in one frame.
        {"tool_calls": [{"name": "first", "arguments": {"a": 1}}]},
        {"tool_calls": [{"name": "second", "arguments": {"b": 2}}]},
        {"tool_calls": [{"name": "third"}, {"name": "fourth", "arguments": "{}"}]},
        # A continuation without index goes to the latest call.
        {"tool_calls": [{"function": {"arguments": '{"c": 3}'}}]},
        # Null finalisation and junk carry nothing.
        {"tool_calls": [{"id": None, "type": None, "index": 0, "function": {"name": None}}]},
        {"tool_calls": ["junk", {"index": True, "function": None}]},
        {"tool_calls": {"not": "a list"}},
    )
    assert events == [
        ToolCallDelta(0, None, "first", '{"a": 1}'),
        ToolCallDelta(1, None, "second", '{"b": 2}'),
        ToolCallDelta(2, None, "third", ""),
        ToolCallDelta(3, None, "fourth", "{}"),
        ToolCallDelta(3, None, None, '{"c": 3}'),
    ]
    calls = fold(events).tool_calls
    assert [(c.id, c.name) for c in calls] == [
        ("call_0", "first"),
        ("call_1", "second"),
        ("call_2", "third"),
        ("call_3", "fourth"),
    ]
    assert calls[3].error is not None  # "{}" + '{"c": 3}' is not one JSON object


# --------------------------------------------------------------------------- stream == JSON


@pytest.mark.parametrize(
    ("stream", "reply"),
    [
        ("text_stream.sse", "text_reply.json"),
        ("tool_calls_stream.sse", "tool_calls_reply.json"),
        ("a9_glm_stream.sse", "a9_glm_reply.json"),
    ],
)
@pytest.mark.parametrize("size", [None, 1])
def test_stream_folds_to_parse_response(stream: str, reply: str, size: int | None) -> None:
    streamed = fold(decode(stream, size))
    parsed = parse_response(load(reply))
    assert streamed.parts == parsed.parts
    assert streamed.usage == parsed.usage
    assert streamed.finish_reason == parsed.finish_reason
    assert streamed.raw_finish_reason == parsed.raw_finish_reason
    assert streamed.id == parsed.id
    assert streamed.model == parsed.model


def test_stream_refusal_folds_like_parse_response() -> None:
    body = load("refusal_reply.json")
    refusal = body["choices"][0]["message"]["refusal"]
    events = feed_data(
        {"id": body["id"], "model": body["model"], "choices": [{"delta": {"refusal": refusal}}]},
        {"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": body["usage"]},
    )
    assert fold(events).parts == parse_response(body).parts
