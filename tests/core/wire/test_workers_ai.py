from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pytest

from cf_gateway_core.errors import (
    APIStatusError,
    BadRequestError,
    ContextOverflowError,
    GatewayConfigError,
    GatewayError,
    RateLimitError,
    StreamError,
)
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
    GatewayMetadata,
    Message,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from cf_gateway_core.routing import Endpoint, resolve_route
from cf_gateway_core.wire import get_format, workers_ai
from cf_gateway_core.wire.workers_ai import ChunkDecoder, build_payload, parse_response
from tests.core.wire._helpers import (
    chunked,
    decode_bytes,
    feed,
    fixture_bytes,
    fold,
    load_fixture,
    sse_events,
)

API = "workers_ai"
LLAMA = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)


def load(name: str) -> Any:
    return load_fixture(API, name)


def sse_bytes(name: str) -> bytes:
    return fixture_bytes(API, name)


def decode(chunks: Iterable[bytes]) -> list[StreamEvent]:
    """Bytes -> SSEDecoder -> workers_ai.ChunkDecoder, as the client does."""
    return decode_bytes(ChunkDecoder(), chunks)


def decode_fixture(name: str) -> list[StreamEvent]:
    return decode([sse_bytes(name)])


def request(model: str = LLAMA, **kwargs: Any) -> ChatRequest:
    kwargs.setdefault("messages", (Message.system("Be brief."), Message.user("Hi")))
    return ChatRequest(model=model, **kwargs)


def run_route(model: str = LLAMA) -> Any:
    return resolve_route(model, "run")


# --------------------------------------------------------------------------- payloads: native


def test_format_is_registered_for_the_run_endpoint() -> None:
    assert get_format(Endpoint.RUN) is workers_ai.FORMAT
    with pytest.raises(StreamError, match=r"ended before \[DONE\]"):
        workers_ai.FORMAT.new_decoder().close()


def test_build_payload_native_has_no_model_and_no_stream_options() -> None:
    req = request(temperature=0.2, top_p=0.9, max_tokens=64, stream=True)
    route = run_route()
    assert route.native
    assert route.path == f"ai/run/{LLAMA}"
    assert build_payload(req, route) == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "stream": True,
    }


def test_build_payload_native_without_stream_sends_no_stream_flag() -> None:
    assert build_payload(request(), run_route()) == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
    }


def test_build_payload_native_tools_in_openai_form() -> None:
    req = request(tools=(WEATHER,), tool_choice=ToolChoice(mode="auto"))
    payload = build_payload(req, run_route())
    assert payload["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    assert payload["tool_choice"] == "auto"
    assert "model" not in payload


def test_build_payload_native_tool_round_trip_messages() -> None:
    call = ToolCallPart(id="call_1", name="get_weather", arguments={"city": "Paris"})
    messages = (
        Message.user("Weather in Paris?"),
        Message(role="assistant", parts=(call,)),
        Message(role="tool", parts=(ToolResultPart(tool_call_id="call_1", content="sunny"),)),
    )
    payload = build_payload(request(messages=messages), run_route())
    assert payload["messages"] == [
        {"role": "user", "content": "Weather in Paris?"},
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
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]


def test_build_payload_native_json_schema_is_the_bare_schema() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    fmt = ResponseFormat(type="json_schema", name="person", schema=schema, strict=True)
    payload = build_payload(request(response_format=fmt), run_route())
    assert payload["response_format"] == {"type": "json_schema", "json_schema": schema}


def test_build_payload_native_json_object() -> None:
    payload = build_payload(
        request(response_format=ResponseFormat(type="json_object")), run_route()
    )
    assert payload["response_format"] == {"type": "json_object"}


def test_build_payload_native_json_schema_without_schema_is_a_config_error() -> None:
    with pytest.raises(GatewayConfigError, match="needs a schema"):
        build_payload(request(response_format=ResponseFormat(type="json_schema")), run_route())


def test_build_payload_native_merges_extra_body_last() -> None:
    req = request(
        stream=True,
        max_tokens=10,
        extra_body={
            "options": {"rejectIfBusy": True},
            "max_tokens": 20,
            "stream_options": {"include_usage": True},
        },
    )
    assert build_payload(req, run_route()) == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "max_tokens": 20,
        "stream": True,
        "options": {"rejectIfBusy": True},
        "stream_options": {"include_usage": True},
    }


def test_build_payload_native_hf_model() -> None:
    model = "@hf/nousresearch/hermes-2-pro-mistral-7b"
    route = run_route(model)
    assert route.native
    assert "model" not in build_payload(request(model), route)


# --------------------------------------------------------------------------- payloads: universal


def test_build_payload_universal_openai_inner_body() -> None:
    model = "openai/gpt-4.1"
    route = run_route(model)
    assert not route.native
    assert route.path == "ai/run"
    req = request(model, max_tokens=512, stream=True, extra_body={"seed": 7})
    assert build_payload(req, route) == {
        "model": "openai/gpt-4.1",
        "input": {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
            ],
            # The REST API page's /ai/run example for openai/gpt-4.1 spells max_tokens
            # (docs/gateway-2026.md), unlike /ai/v1/chat/completions.
            "max_tokens": 512,
            "stream": True,
            "stream_options": {"include_usage": True},
            "seed": 7,
        },
    }


def test_build_payload_universal_extra_body_can_still_send_max_completion_tokens() -> None:
    req = request("openai/gpt-5.5", extra_body={"max_completion_tokens": 3})
    inner = build_payload(req, run_route("openai/gpt-5.5"))["input"]
    assert inner["max_completion_tokens"] == 3
    assert "max_tokens" not in inner


def test_build_payload_universal_third_party_without_stream() -> None:
    req = request("google/gemini-3-flash", messages=(Message.user("Hi"),), max_tokens=8)
    assert build_payload(req, run_route("google/gemini-3-flash")) == {
        "model": "google/gemini-3-flash",
        "input": {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8},
    }


def test_build_payload_universal_anthropic_inner_body() -> None:
    model = "anthropic/claude-sonnet-4.5"
    req = request(model, max_tokens=256, stream=True, extra_body={"thinking": {"type": "adaptive"}})
    assert build_payload(req, run_route(model)) == {
        "model": "anthropic/claude-sonnet-4.5",
        "input": {
            "max_tokens": 256,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
            "stream": True,
            "thinking": {"type": "adaptive"},
        },
    }


def test_build_payload_universal_extra_body_model_key_survives_in_input() -> None:
    req = request("openai/gpt-4.1", extra_body={"model": "override"})
    payload = build_payload(req, run_route("openai/gpt-4.1"))
    assert payload["model"] == "openai/gpt-4.1"
    assert payload["input"]["model"] == "override"


# --------------------------------------------------------------------------- replies: legacy


def test_parse_response_a1_legacy_text() -> None:
    response = parse_response(load("a1_text.json"))
    assert response.text.startswith("Hello, World first appeared in 1974 at Bell Labs")
    assert response.parts == (TextPart(response.text),)
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason is None
    assert response.usage is None
    assert response.id is None
    assert response.provider_details == {}


def test_parse_response_a17_legacy_tool_call_gets_a_stable_id() -> None:
    response = parse_response(load("a17_legacy_tool_calls.json"))
    (call,) = response.tool_calls
    assert call.name == "getWeather"
    assert call.arguments == {"latitude": "51.5074", "longitude": "-0.1278"}
    assert call.error is None
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id)
    assert parse_response(load("a17_legacy_tool_calls.json")).tool_calls[0].id == call.id
    assert response.text == ""
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=42, output_tokens=2, total_tokens=44)


def test_parse_response_stable_ids_depend_on_position_name_and_arguments() -> None:
    def ids(calls: list[dict[str, Any]]) -> list[str]:
        return [c.id for c in parse_response({"result": {"tool_calls": calls}}).tool_calls]

    same = {"name": "f", "arguments": {"a": 1, "b": 2}}
    first, second = ids([same, same])
    assert first != second  # position
    assert ids([{"name": "f", "arguments": {"b": 2, "a": 1}}])[0] == first  # key order
    assert ids([{"name": "g", "arguments": {"a": 1, "b": 2}}])[0] != first
    assert ids([{"name": "f", "arguments": {"a": 1, "b": 3}}])[0] != first


def test_parse_response_legacy_tool_call_forms() -> None:
    body = {
        "result": {
            "response": "",
            "tool_calls": [
                "not a call",
                {"id": "call_x", "function": {"name": "add", "arguments": '{"a": 1}'}},
                {"name": "broken", "arguments": "{not json"},
                {"name": "listy", "arguments": [1, 2]},
                {"name": "none", "arguments": None},
            ],
        }
    }
    calls = parse_response(body).tool_calls
    assert [c.name for c in calls] == ["add", "broken", "listy", "none"]
    assert calls[0].id == "call_x"
    assert calls[0].arguments == {"a": 1}
    assert calls[1].error is not None
    assert calls[1].raw_arguments == "{not json"
    assert calls[1].arguments == {}
    assert calls[2].raw_arguments == "[1,2]"
    assert calls[2].error == "arguments must be a JSON object, got list"
    assert calls[3].arguments == {}
    assert calls[3].error is None


def test_parse_response_json_mode_object_becomes_json_text() -> None:
    response = parse_response(load("a17_json_mode.json"))
    expected = {"name": "India", "capital": "New Delhi", "languages": ["Hindi", "English"]}
    assert json.loads(response.text) == expected
    assert response.text == json.dumps(expected, ensure_ascii=False)
    assert response.finish_reason == "stop"


@pytest.mark.parametrize(
    ("value", "text"),
    [(42, "42"), (1.5, "1.5"), (True, "true"), ([1, "a"], '[1, "a"]'), (None, "")],
)
def test_parse_response_non_string_response_is_coerced(value: Any, text: str) -> None:
    assert parse_response({"result": {"response": value}}).text == text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("length", "length"), ("model_length", "length"), ("error", "error"), ("weird", "other")],
)
def test_parse_response_legacy_finish_reason_from_the_body(raw: str, reason: str) -> None:
    response = parse_response({"result": {"response": "x", "finish_reason": raw}})
    assert response.finish_reason == reason
    assert response.raw_finish_reason == raw


def test_parse_response_legacy_usage_details_and_garbage() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 5.0,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": "many"},
        "neurons": 0.3,
    }
    response = parse_response({"result": {"response": "x", "usage": usage}})
    assert response.usage == Usage(
        input_tokens=10, output_tokens=5, total_tokens=15, cache_read_tokens=4, reasoning_tokens=0
    )
    assert parse_response({"result": {"response": "x", "usage": "n/a"}}).usage is None


def test_parse_response_bare_legacy_body_and_state_details() -> None:
    assert parse_response({"response": "bare"}).text == "bare"
    body = {
        "state": "Completed",
        "result": {"response": "hi"},
        "gatewayMetadata": {"keySource": "Unified"},
    }
    response = parse_response(body)
    assert response.text == "hi"
    assert response.provider_details == {
        "state": "Completed",
        "gatewayMetadata": {"keySource": "Unified"},
    }


# --------------------------------------------------------------------------- replies: delegated


def test_parse_response_native_openai_chat_completion() -> None:
    response = parse_response(load("native_openai_completion.json"))
    assert response.id == "chatcmpl-3b7a1f0e9c2d4e8f"
    assert response.model == "@cf/moonshotai/kimi-k2.6"
    assert response.reasoning == "Need the weather tool."
    assert response.text == "Let me check."
    assert response.tool_calls == (
        ToolCallPart(id="functions.get_weather:0", name="get_weather", arguments={"city": "Paris"}),
    )
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(
        input_tokens=30, output_tokens=12, total_tokens=42, cache_read_tokens=8
    )


def test_parse_response_universal_doubly_nested_openai() -> None:
    response = parse_response(load("universal_openai_doubly_nested.json"))
    assert response.id == "chatcmpl-130c261b00a14fffa8f3e238ad0fc2c1"
    assert response.model == "deepseek/deepseek-v4-pro"
    assert response.text == "The capital of France is **Paris**."
    assert response.reasoning.startswith('We are asked: "What is the capital of France?"')
    assert isinstance(response.parts[0], ReasoningPart)
    assert response.finish_reason == "stop"
    assert response.usage == Usage(
        input_tokens=11, output_tokens=41, total_tokens=52, cache_read_tokens=10
    )
    assert response.provider_details["gatewayMetadata"] == {"keySource": "Unified"}


def test_parse_response_universal_plain_result_openai() -> None:
    response = parse_response(load("universal_openai_plain_result.json"))
    assert response.text == "The capital of France is **Paris**."
    assert "gatewayMetadata" not in response.provider_details


def test_parse_response_universal_doubly_nested_anthropic() -> None:
    response = parse_response(load("universal_anthropic_doubly_nested.json"))
    assert response.id == "msg_01UPuL7ZtkoyKHmCsNtxyamj"
    assert response.model == "claude-opus-4-8"
    assert response.text == "# The Three Laws of Thermodynamics\n\n«…»"
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "end_turn"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (20, 493)
    assert response.provider_details["gatewayMetadata"] == {"keySource": "BYOK"}
    assert response.gateway == GatewayMetadata(key_source="BYOK")


def test_parse_response_universal_bare_anthropic() -> None:
    response = parse_response(load("universal_anthropic_bare.json"))
    assert response.text == "# The Three Laws of Thermodynamics\n\n«…»"
    assert response.finish_reason == "stop"


# --------------------------------------------------------------------------- replies: not chat


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("a8_tts_raw.json", "keys: audio"),
        ("a8_image_raw.json", "keys: image"),
        ("a8_homeflare_envelope.json", "keys: answers, model, usage"),
        ("a16_completed.json", "keys: image"),
    ],
)
def test_parse_response_non_chat_run_outputs_raise(name: str, keys: str) -> None:
    with pytest.raises(GatewayError, match=keys) as info:
        parse_response(load(name))
    assert not isinstance(info.value, APIStatusError)


def test_parse_response_queued_request_is_not_supported() -> None:
    with pytest.raises(GatewayError, match="queued") as info:
        parse_response(load("queued.json"))
    assert "8b1c5d1e-3f6a-4f3e-9b9a-2f0d4c1e7a55" in str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("text", "got str"),
        ([], "got list"),
        ({"result": None, "success": True}, "got NoneType"),
        ({}, r"keys: none"),
    ],
)
def test_parse_response_unreadable_bodies(body: Any, message: str) -> None:
    with pytest.raises(GatewayError, match=message):
        parse_response(body)


@pytest.mark.parametrize(
    ("name", "cls", "code"),
    [
        ("a12_daily_allocation.json", RateLimitError, 4006),
        ("a12_context_length.json", ContextOverflowError, 8007),
        ("a12_max_retries.json", BadRequestError, 3050),
        ("a12_model_not_found_7001.json", BadRequestError, 7001),
        ("a11_rate_limited_2003.json", RateLimitError, 2003),
        ("a11_byok_alias_2040.json", BadRequestError, 2040),
    ],
)
def test_parse_response_error_envelope_with_2xx_raises_typed_error(
    name: str, cls: type[APIStatusError], code: int
) -> None:
    with pytest.raises(cls) as info:
        parse_response(load(name))
    assert info.value.code == code
    assert info.value.status_code == 200
    assert info.value.body == load(name)


def test_parse_response_failed_run_state_raises() -> None:
    with pytest.raises(BadRequestError, match="All providers for this model") as info:
        parse_response(load("a16_failed.json"))
    assert info.value.code is None


def test_parse_response_nested_failure_is_found() -> None:
    body = {"result": {"success": False, "errors": [{"code": 3040, "message": "busy"}]}}
    with pytest.raises(RateLimitError):
        parse_response(body)


# --------------------------------------------------------------------------- streams: native


def test_stream_a2_native_text() -> None:
    events = decode_fixture("a2_stream.sse")
    assert events == [
        TextDelta("New"),
        TextDelta(" York"),
        TextDelta(" is"),
        TextDelta(" located"),
        TextDelta(" in"),
        TextDelta(" the"),
        Finish("stop"),
    ]


def test_stream_a2_usage_trailer_wins_and_zero_usage_is_not_reported() -> None:
    events = decode_fixture("a2_stream_usage_trailer.sse")
    assert events == [
        TextDelta("Hello"),
        TextDelta(" there"),
        UsageUpdate(Usage(input_tokens=418, output_tokens=41, total_tokens=459)),
        Finish("stop"),
    ]


@pytest.mark.parametrize("bytewise", [False, True])
def test_stream_a2_padding_split_mid_json(bytewise: bool) -> None:
    chunks = [c.encode() for c in load("a2_padding_split.json")]
    if bytewise:
        joined = b"".join(chunks)
        chunks = chunked(joined, 1)
    events = decode(chunks)
    assert events == [TextDelta(" of"), TextDelta(" such"), Finish("stop")]


def test_stream_a10_native_tool_call_fragment() -> None:
    events = decode_fixture("a10_native_tool_call.sse")
    assert events == [
        ToolCallDelta(0, "call123", "get_weather", '{"location": "London"}'),
        Finish("tool_calls", "tool_calls"),
    ]
    response = fold(events)
    assert response.tool_calls == (
        ToolCallPart(id="call123", name="get_weather", arguments={"location": "London"}),
    )


def test_stream_native_fragments_without_id_get_the_stable_id() -> None:
    response = fold(decode_fixture("native_fragments_without_id.sse"))
    (call,) = response.tool_calls
    assert call.name == "add"
    assert call.arguments == {"a": 2, "b": 3}
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id)
    equivalent = {"result": {"tool_calls": [{"name": "add", "arguments": {"b": 3, "a": 2}}]}}
    assert parse_response(equivalent).tool_calls[0].id == call.id
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=20, output_tokens=9, total_tokens=29)


def test_stream_native_fragments_without_index() -> None:
    decoder = ChunkDecoder()
    events = feed(decoder, {"tool_calls": [{"id": "c1", "function": {"name": "f"}}]})
    events += feed(decoder, {"tool_calls": [{"function": {"arguments": '{"x":'}}]})
    events += feed(decoder, {"tool_calls": [{"function": {"arguments": "1}"}}]})
    events += feed(decoder, {"tool_calls": [{"function": {"name": "g", "arguments": ""}}]})
    events += feed(decoder, "[DONE]")
    events += decoder.close()
    response = fold(events)
    assert [(c.id, c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("c1", "f", {"x": 1}),
        (response.tool_calls[1].id, "g", {}),
    ]
    assert response.tool_calls[1].id.startswith("call_")
    assert response.finish_reason == "tool_calls"


def test_stream_fragment_without_index_as_first_frame_starts_call_zero() -> None:
    decoder = ChunkDecoder()
    assert feed(decoder, {"tool_calls": [{"function": {"arguments": "{}"}}]}) == [
        ToolCallDelta(0, None, None, "{}")
    ]


@pytest.mark.parametrize("bytewise", [False, True])
def test_stream_legacy_complete_tool_calls_equal_non_stream(bytewise: bool) -> None:
    raw = sse_bytes("a17_legacy_tool_calls_stream.sse")
    chunks = chunked(raw, 1 if bytewise else None)
    streamed = fold(decode(chunks))
    assert streamed == parse_response(load("a17_legacy_tool_calls.json"))
    assert streamed.tool_calls[0].id.startswith("call_")


def test_stream_text_with_usage_equals_non_stream() -> None:
    streamed = fold(decode_fixture("a2_stream_usage_trailer.sse"))
    body = {
        "result": {
            "response": "Hello there",
            "usage": {"prompt_tokens": 418, "completion_tokens": 41, "total_tokens": 459},
        },
        "success": True,
        "errors": [],
        "messages": [],
    }
    assert streamed == parse_response(body)


def test_stream_two_complete_tool_calls_in_separate_frames_equal_non_stream() -> None:
    calls = [
        {"name": "f", "arguments": {"q": "a"}},
        {"name": "f", "arguments": {"q": "a"}},
    ]
    decoder = ChunkDecoder()
    events = feed(decoder, {"response": "Calling.", "tool_calls": [calls[0]]})
    events += feed(decoder, {"tool_calls": [calls[1]], "p": "xyz"})
    events += feed(decoder, "[DONE]")
    events += decoder.close()
    non_stream = parse_response({"result": {"response": "Calling.", "tool_calls": calls}})
    assert fold(events) == non_stream
    assert non_stream.tool_calls[0].id != non_stream.tool_calls[1].id


def test_stream_native_non_string_tokens_and_finish_reason() -> None:
    decoder = ChunkDecoder()
    events = feed(decoder, {"response": 1})
    events += feed(decoder, {"response": {"a": 1}})
    events += feed(decoder, {"response": "", "finish_reason": "length"})
    events += decoder.close()
    assert events == [TextDelta("1"), TextDelta('{"a": 1}'), Finish("length", "length")]


def test_stream_ignores_empty_and_non_object_frames_and_frames_after_done() -> None:
    decoder = ChunkDecoder()
    assert feed(decoder, "") == []
    assert feed(decoder, "5") == []
    assert feed(decoder, {"p": "padding", "neurons": 0.1}) == []
    assert feed(decoder, "[DONE]") == []
    assert feed(decoder, {"response": "late"}) == []
    assert decoder.close() == [Finish("stop")]


def test_stream_cut_before_done_raises() -> None:
    raw = sse_bytes("a2_stream.sse")
    truncated = raw[: raw.index(b"data: [DONE]")]
    decoder = ChunkDecoder()
    events = [e for sse in sse_events([truncated]) for e in decoder.feed(sse)]
    assert fold(events).text == "New York is located in the"
    with pytest.raises(StreamError, match="incomplete"):
        decoder.close()


def test_stream_cut_before_done_after_tool_calls_raises() -> None:
    decoder = ChunkDecoder()
    feed(decoder, {"tool_calls": [{"name": "f", "arguments": {}}]})
    with pytest.raises(StreamError, match="incomplete"):
        decoder.close()


# --------------------------------------------------------------------------- streams: delegated


def test_stream_a9_openai_chunks_on_the_native_path_with_usage_trailer() -> None:
    events = decode_fixture("a9_glm_openai_stream.sse")
    usages = [e.usage for e in events if isinstance(e, UsageUpdate)]
    assert usages == [Usage(input_tokens=175, output_tokens=17, total_tokens=192)]
    response = fold(events)
    assert response.reasoning == "The user wants 2 + 3."
    assert response.text == ""
    assert response.tool_calls == (
        ToolCallPart(id="call_538", name="add", arguments={"a": 2, "b": 3}),
    )
    assert response.finish_reason == "tool_calls"
    assert sum(isinstance(e, Finish) for e in events) == 1


def test_stream_a9_kimi_usage_chunk_then_trailer() -> None:
    events = decode_fixture("a9_kimi_trailer.sse")
    assert events[0] == ResponseStart("chatcmpl-bd0d3b78506f9517", "@cf/moonshotai/kimi-k2.5")
    response = fold(events)
    assert response.usage == Usage(
        input_tokens=1386, output_tokens=1306, total_tokens=2692, cache_read_tokens=0
    )
    assert response.finish_reason == "stop"
    assert events[-1] == Finish("stop")


def test_stream_a10_reasoning_stream_with_cumulative_usage() -> None:
    decoder = ChunkDecoder()
    events = [
        e for sse in sse_events([sse_bytes("a10_reasoning_stream.sse")]) for e in decoder.feed(sse)
    ]
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [ReasoningDelta("Okay")]
    response = fold(events)
    assert response.id == "chatcmpl-edc8406714f74cca9cff55f929272d9a"
    assert response.model == "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
    assert response.reasoning == "Okay"
    assert response.text == "A"
    assert response.usage == Usage(input_tokens=13, output_tokens=1022, total_tokens=1035)
    # The fixture (an excerpt) has neither a finish_reason nor [DONE]: reported as cut short.
    assert response.finish_reason is None
    with pytest.raises(StreamError, match="incomplete"):
        decoder.close()


def test_stream_universal_openai_chunks() -> None:
    response = fold(decode_fixture("universal_openai_stream.sse"))
    assert response.id == "chatcmpl-DVnV8rG1ILDUR9r3HsKDVd4dbGH0A"
    assert response.text == "**"
    assert response.finish_reason == "stop"
    assert response.usage == Usage(
        input_tokens=17,
        output_tokens=440,
        total_tokens=457,
        cache_read_tokens=0,
        reasoning_tokens=0,
    )


def test_stream_universal_anthropic_events() -> None:
    events = decode_fixture("universal_anthropic_stream.sse")
    response = fold(events)
    assert response.id == "msg_01NE3P8zwFrzpbFfPc6mV1FW"
    assert response.text == "Hello world"
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "end_turn"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (22, 12)
    assert sum(isinstance(e, Finish) for e in events) == 1


def test_stream_delegated_close_does_not_override_an_earlier_finish() -> None:
    decoder = ChunkDecoder()
    feed(decoder, {"type": "message_start", "message": {"id": "m", "usage": {}}})
    assert feed(decoder, {"finish_reason": "tool_calls"}) == [Finish("tool_calls", "tool_calls")]
    assert decoder.close() == []


def test_stream_delegated_anthropic_events_without_message_stop_raise() -> None:
    decoder = ChunkDecoder()
    feed(decoder, {"type": "message_start", "message": {"id": "m", "usage": {}}})
    feed(
        decoder,
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}},
    )
    with pytest.raises(StreamError, match="incomplete"):
        decoder.close()
    stopped = ChunkDecoder()
    feed(stopped, {"type": "message_start", "message": {"id": "m", "usage": {}}})
    feed(stopped, {"type": "message_stop"})
    assert stopped.close() == [Finish("stop")]


# --------------------------------------------------------------------------- streams: errors


def test_stream_error_frame_raises_with_partial_text() -> None:
    decoder = ChunkDecoder()
    feed(decoder, {"response": "Hel"})
    frame = {"errors": [{"code": 3040, "message": "Capacity temporarily exceeded"}]}
    with pytest.raises(StreamError, match=r"code 3040.*Capacity") as info:
        feed(decoder, frame)
    assert info.value.partial_text == "Hel"


def test_stream_anthropic_error_event_raises() -> None:
    decoder = ChunkDecoder()
    frame = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(StreamError, match="Overloaded"):
        feed(decoder, frame, event="error")


def test_stream_sse_error_event_raises() -> None:
    with pytest.raises(StreamError, match="reported an error"):
        feed(ChunkDecoder(), {"message": "boom"}, event="error")


def test_stream_text_frame_under_an_error_event_still_raises() -> None:
    # {"response": …} is the fast-path shape; the SSE event type must still be honoured.
    decoder = ChunkDecoder()
    feed(decoder, {"response": "Hel", "p": "abc"})
    with pytest.raises(StreamError) as info:
        feed(decoder, {"response": "lo"}, event="error")
    assert info.value.partial_text == "Hel"


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ({"response": "a", "p": "xyz"}, [TextDelta("a")]),
        ({"response": "", "p": "xyz"}, []),
        ({"p": "xyz"}, []),
        ({"response": None}, []),
        ({"response": 42}, [TextDelta("42")]),
        (
            {"response": "a", "finish_reason": "length"},
            [TextDelta("a"), Finish("length", "length")],
        ),
    ],
)
def test_stream_native_text_frames_and_their_neighbours(
    frame: dict[str, Any], expected: list[StreamEvent]
) -> None:
    assert feed(ChunkDecoder(), frame) == expected


def test_stream_invalid_json_raises_with_partial_text() -> None:
    decoder = ChunkDecoder()
    feed(decoder, {"response": "ok"})
    with pytest.raises(StreamError, match="not JSON") as info:
        feed(decoder, '{"response": "tru')
    assert info.value.partial_text == "ok"


def test_module_exports() -> None:
    assert workers_ai.__all__ == ["FORMAT", "ChunkDecoder", "build_payload", "parse_response"]
