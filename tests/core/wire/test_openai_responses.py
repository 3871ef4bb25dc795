"""The OpenAI Responses wire format: payloads, reply parsing and stream decoding, on fixtures."""

from __future__ import annotations

import dataclasses
import json
import random
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
    ImagePart,
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
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire import get_format
from cf_gateway_core.wire.openai_responses import (
    FORMAT,
    ChunkDecoder,
    build_payload,
    parse_response,
)
from tests.core.wire._helpers import (
    chunked,
    decode_events,
    fixture_bytes,
    fold,
    frame,
    load_fixture,
    sse_events,
)

API = "openai_responses"
ROUTE = resolve_route("openai/gpt-4.1", "responses")
STREAMS = ["text", "function_call", "reasoning", "reasoning_text", "incomplete"]

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)


def load_json(name: str) -> Any:
    return load_fixture(API, f"{name}.json")


def sse_bytes(name: str) -> bytes:
    return fixture_bytes(API, f"{name}.sse")


def decode(sse: list[ServerSentEvent]) -> list[StreamEvent]:
    return decode_events(ChunkDecoder(), sse)


def feed_only(sse: list[ServerSentEvent]) -> list[StreamEvent]:
    """The events ``sse`` yields, without closing the decoder (a stream still open)."""
    decoder = ChunkDecoder()
    return [item for event in sse for item in decoder.feed(event)]


def frames(*payloads: dict[str, Any]) -> list[ServerSentEvent]:
    return [frame(p, p.get("type", "message")) for p in payloads]


def request(*messages: Message, **fields: Any) -> ChatRequest:
    return ChatRequest(model="openai/gpt-4.1", messages=messages, **fields)


def response(output: list[Any], status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "model": "gpt-4.1", "status": status,
            "output": output, **extra}  # fmt: skip


def message_item(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "content": list(content)}


# --------------------------------------------------------------------------- build_payload


def test_format_is_registered_for_the_responses_endpoint() -> None:
    assert get_format(Endpoint.RESPONSES) is FORMAT
    assert FORMAT.build_payload is build_payload
    assert FORMAT.parse_response is parse_response
    assert isinstance(FORMAT.new_decoder(), ChunkDecoder)


def test_build_payload_multi_turn_with_instructions() -> None:
    req = request(
        Message.system("You are terse."),
        Message.user("Hi"),
        Message.assistant("Hello."),
        Message.system("Answer in French."),
        Message.user("Bye"),
    )
    assert build_payload(req, ROUTE) == {
        "model": "openai/gpt-4.1",
        "instructions": "You are terse.\n\nAnswer in French.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Hello."}]},
            {"role": "user", "content": [{"type": "input_text", "text": "Bye"}]},
        ],
    }


def test_build_payload_images_with_and_without_detail() -> None:
    parts = (
        TextPart("What is in these?"),
        ImagePart(url="https://example.com/cat.png", detail="low"),
        ImagePart(url="data:image/png;base64,iVBORw0KGgo="),
    )
    payload = build_payload(request(Message(role="user", parts=parts)), ROUTE)
    assert payload["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is in these?"},
                {
                    "type": "input_image",
                    "image_url": "https://example.com/cat.png",
                    "detail": "low",
                },
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
            ],
        }
    ]
    assert "instructions" not in payload


def test_build_payload_tool_call_and_function_call_output() -> None:
    assistant = Message(
        role="assistant",
        parts=(
            ReasoningPart(text="The user wants weather.", signature="sig"),
            TextPart("Checking."),
            ToolCallPart(id="call_1", name="get_weather", arguments={"city": "Tōkyō", "n": 1}),
            ToolCallPart(id="call_2", name="get_weather", arguments={"city": "Paris"}),
        ),
    )
    results = (
        Message(role="tool", parts=(ToolResultPart(tool_call_id="call_1", content="12°C"),)),
        Message(
            role="tool",
            parts=(
                ToolResultPart(
                    tool_call_id="call_2", content=(TextPart("18"), TextPart("°C")), is_error=True
                ),
            ),
        ),
    )
    payload = build_payload(request(Message.user("Weather?"), assistant, *results), ROUTE)
    assert payload["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city":"Tōkyō","n":1}',
        },
        {
            "type": "function_call",
            "call_id": "call_2",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "12°C"},
        {"type": "function_call_output", "call_id": "call_2", "output": "18°C"},
    ]


def test_build_payload_keeps_part_order_around_tool_calls() -> None:
    assistant = Message(
        role="assistant",
        parts=(
            TextPart("a"),
            ToolCallPart(id="c", name="f", arguments={}),
            TextPart("b"),
        ),
    )
    user = Message(
        role="user", parts=(ToolResultPart(tool_call_id="c", content="ok"), TextPart("go"))
    )
    assert build_payload(request(assistant, user), ROUTE)["input"] == [
        {"role": "assistant", "content": [{"type": "output_text", "text": "a"}]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "b"}]},
        {"type": "function_call_output", "call_id": "c", "output": "ok"},
        {"role": "user", "content": [{"type": "input_text", "text": "go"}]},
    ]


def test_build_payload_reasoning_only_assistant_message_sends_nothing() -> None:
    assistant = Message(role="assistant", parts=(ReasoningPart(text="hmm"),))
    assert build_payload(request(assistant, Message.user("x")), ROUTE)["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "x"}]}
    ]


def test_build_payload_invalid_tool_call_sends_raw_arguments() -> None:
    call = ToolCallPart(
        id="c", name="f", arguments={}, raw_arguments='{"a":', error="not valid JSON"
    )
    payload = build_payload(request(Message(role="assistant", parts=(call,))), ROUTE)
    assert payload["input"] == [
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": '{"a":'}
    ]


def test_build_payload_flat_tools_and_tool_choice_by_name() -> None:
    strict = ToolSpec(name="lookup", parameters={"type": "object"}, strict=True)
    req = request(
        Message.user("x"),
        tools=(WEATHER, strict),
        tool_choice=ToolChoice(mode="tool", name="get_weather"),
        parallel_tool_calls=False,
    )
    payload = build_payload(req, ROUTE)
    assert payload["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
        {
            "type": "function",
            "name": "lookup",
            "description": "",
            "parameters": {"type": "object"},
            "strict": True,
        },
    ]
    assert payload["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert payload["parallel_tool_calls"] is False


@pytest.mark.parametrize("mode", ["auto", "none", "required"])
def test_build_payload_tool_choice_modes(mode: Any) -> None:
    req = request(Message.user("x"), tools=(WEATHER,), tool_choice=ToolChoice(mode=mode))
    assert build_payload(req, ROUTE)["tool_choice"] == mode


def test_build_payload_tool_choice_tool_without_name_is_a_config_error() -> None:
    req = request(Message.user("x"), tools=(WEATHER,), tool_choice=ToolChoice(mode="tool"))
    with pytest.raises(GatewayConfigError, match="name"):
        build_payload(req, ROUTE)


def test_build_payload_sampling_reasoning_effort_and_stream() -> None:
    req = request(
        Message.user("x"),
        max_tokens=256,
        temperature=0.2,
        top_p=0.9,
        reasoning_effort="high",
        stream=True,
    )
    assert build_payload(req, ROUTE) == {
        "model": "openai/gpt-4.1",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "x"}]}],
        "max_output_tokens": 256,
        "temperature": 0.2,
        "top_p": 0.9,
        "reasoning": {"effort": "high"},
        "stream": True,
    }


def test_build_payload_json_schema_format_with_default_name() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    req = request(
        Message.user("x"), response_format=ResponseFormat(type="json_schema", schema=schema)
    )
    assert build_payload(req, ROUTE)["text"] == {
        "format": {"type": "json_schema", "name": "response", "schema": schema}
    }


def test_build_payload_json_schema_format_with_name_and_strict() -> None:
    fmt = ResponseFormat(type="json_schema", name="Answer", schema={"type": "object"}, strict=True)
    assert build_payload(request(Message.user("x"), response_format=fmt), ROUTE)["text"] == {
        "format": {
            "type": "json_schema",
            "name": "Answer",
            "schema": {"type": "object"},
            "strict": True,
        }
    }


def test_build_payload_json_object_format() -> None:
    req = request(Message.user("x"), response_format=ResponseFormat(type="json_object"))
    assert build_payload(req, ROUTE)["text"] == {"format": {"type": "json_object"}}


def test_build_payload_json_schema_without_schema_is_a_config_error() -> None:
    req = request(Message.user("x"), response_format=ResponseFormat(type="json_schema"))
    with pytest.raises(GatewayConfigError, match="schema"):
        build_payload(req, ROUTE)


def test_build_payload_stop_is_a_config_error() -> None:
    with pytest.raises(GatewayConfigError, match="stop") as info:
        build_payload(request(Message.user("x"), stop=("\n",)), ROUTE)
    assert "Responses API" in str(info.value)
    assert "chat_completions" in str(info.value)


def test_build_payload_empty_stop_is_not_an_error() -> None:
    assert "stop" not in build_payload(request(Message.user("x"), stop=()), ROUTE)


def test_build_payload_image_in_tool_output_is_an_output_array() -> None:
    result = ToolResultPart(tool_call_id="c", content=(ImagePart(url="https://x/y.png"),))
    payload = build_payload(request(Message(role="tool", parts=(result,))), ROUTE)
    assert payload["input"] == [
        {
            "type": "function_call_output",
            "call_id": "c",
            "output": [{"type": "input_image", "image_url": "https://x/y.png"}],
        }
    ]


@pytest.mark.parametrize(
    ("role", "part", "expected"),
    [
        ("system", ImagePart(url="https://x/y.png"), "system messages"),
        ("assistant", ImagePart(url="https://x/y.png"), "assistant messages"),
        ("tool", TextPart("loose text"), "tool messages"),
        ("user", ToolCallPart(id="c", name="f", arguments={}), "user messages"),
    ],
)
def test_build_payload_unsupported_part_for_role_is_a_config_error(
    role: Any, part: Any, expected: str
) -> None:
    with pytest.raises(GatewayConfigError, match=expected) as info:
        build_payload(request(Message(role=role, parts=(part,))), ROUTE)
    assert type(part).__name__ in str(info.value)


def test_build_payload_extra_body_is_merged_last() -> None:
    req = request(
        Message.user("x"),
        reasoning_effort="low",
        temperature=0.5,
        extra_body={"reasoning": {"summary": "auto"}, "temperature": 1.0, "store": False},
    )
    payload = build_payload(req, ROUTE)
    assert payload["reasoning"] == {"effort": "low", "summary": "auto"}
    assert payload["temperature"] == 1.0
    assert payload["store"] is False
    assert list(payload)[-1] == "store"


def test_build_payload_is_json_serializable_and_fresh_per_call() -> None:
    req = request(Message.user("x"), tools=(WEATHER,))
    first = build_payload(req, ROUTE)
    first["tools"][0]["parameters"]["mutated"] = True
    second = build_payload(req, ROUTE)
    assert "mutated" not in second["tools"][0]["parameters"]
    assert json.loads(json.dumps(second)) == second


# --------------------------------------------------------------------------- parse_response


def test_parse_response_appendix_a6_web_search() -> None:
    reply = parse_response(load_json("a6_web_search"))
    assert reply.id == "resp_0fdf05943aa0606d016a398f3d52b48198b359c259da57fcf2"
    assert reply.model == "gpt-4.1-2025-04-14"
    assert len(reply.parts) == 1
    assert isinstance(reply.parts[0], TextPart)
    assert reply.text.startswith("Here are the top news stories about Cloudflare this week:")
    assert reply.finish_reason == "stop"
    assert reply.raw_finish_reason == "completed"
    assert reply.usage == Usage(
        input_tokens=320,
        output_tokens=343,
        total_tokens=663,
        cache_read_tokens=0,
        reasoning_tokens=0,
    )
    assert reply.provider_details == {
        "status": "completed",
        "gatewayMetadata": {"keySource": "Unified"},
    }
    assert reply.tool_calls == ()


def test_parse_response_text() -> None:
    reply = parse_response(load_json("text"))
    assert reply.parts == (TextPart("Hello! How can I help you today?"),)
    assert reply.id == "resp_68c1f0a1e9c88190b7d2a5f4c3e1d0b90c55d1e2f3a4b5c6"
    assert (reply.finish_reason, reply.raw_finish_reason) == ("stop", "completed")
    assert reply.usage == Usage(
        input_tokens=9, output_tokens=10, total_tokens=19, cache_read_tokens=0, reasoning_tokens=0
    )


def test_parse_response_function_calls() -> None:
    reply = parse_response(load_json("function_call"))
    assert reply.parts == (
        ToolCallPart(
            id="call_kN4tQ2wX8rYb1ZcV5mJ7pL3s",
            name="get_weather",
            arguments={"city": "Paris", "unit": "c"},
        ),
        ToolCallPart(
            id="call_P0dH6sG9aT2uW4eR8yQ1xM5n",
            name="get_weather",
            arguments={"city": "Tōkyō", "unit": "c"},
        ),
    )
    assert (reply.finish_reason, reply.raw_finish_reason) == ("tool_calls", "completed")


def test_parse_response_reasoning_summary_in_canonical_order() -> None:
    reply = parse_response(load_json("reasoning"))
    assert [type(p) for p in reply.parts] == [ReasoningPart, TextPart]
    assert reply.reasoning == (
        "**Comparing numbers**\n\nThe user asks which is larger: 9.11 or 9.9. Comparing the "
        "decimal parts, 0.9 is greater than 0.11.\n\n**Answering concisely**\n\n"
        "I'll state that 9.9 is larger."
    )
    assert reply.text == "9.9 is larger than 9.11."
    assert reply.usage is not None
    assert reply.usage.reasoning_tokens == 192
    assert reply.provider_details["gatewayMetadata"] == {"keySource": "BYOK"}


def test_parse_response_raw_reasoning_text() -> None:
    reply = parse_response(load_json("reasoning_text"))
    assert reply.reasoning == "The user wants a haiku about autumn. Five-seven-five syllables."
    assert reply.text == "Crisp leaves drift and fall\n…"
    assert reply.model == "@cf/openai/gpt-oss-120b"
    assert "gatewayMetadata" not in reply.provider_details


def test_parse_response_reasoning_content_then_summary() -> None:
    item = {
        "type": "reasoning",
        "content": [{"type": "reasoning_text", "text": "raw"}],
        "summary": [{"type": "summary_text", "text": ""}, {"type": "summary_text", "text": "sum"}],
    }
    empty = {"type": "reasoning", "summary": [], "encrypted_content": "gAAAA"}
    reply = parse_response(response([item, empty]))
    assert reply.parts == (ReasoningPart(text="raw\n\nsum"),)


def test_parse_response_incomplete_max_output_tokens() -> None:
    reply = parse_response(load_json("incomplete"))
    assert reply.text == "Once upon a time, in a quiet"
    assert (reply.finish_reason, reply.raw_finish_reason) == ("length", "max_output_tokens")
    assert reply.provider_details["status"] == "incomplete"


@pytest.mark.parametrize(
    ("status", "details", "finish", "raw"),
    [
        ("incomplete", {"reason": "content_filter"}, "content_filter", "content_filter"),
        ("incomplete", {"reason": "something_new"}, "other", "something_new"),
        ("incomplete", None, "other", "incomplete"),
        ("cancelled", None, "other", "cancelled"),
        ("queued", None, None, "queued"),
        ("in_progress", None, None, "in_progress"),
        ("brand_new", None, "other", "brand_new"),
    ],
)
def test_parse_response_finish_reason_table(
    status: str, details: Any, finish: Any, raw: str
) -> None:
    reply = parse_response(response([], status, incomplete_details=details))
    assert (reply.finish_reason, reply.raw_finish_reason) == (finish, raw)


def test_parse_response_missing_status_reads_as_completed() -> None:
    body = {"id": "r", "output": [message_item({"type": "output_text", "text": "hi"})]}
    reply = parse_response(body)
    assert (reply.finish_reason, reply.raw_finish_reason) == ("stop", "completed")
    assert reply.provider_details == {}


def test_parse_response_failed_raises_gateway_error() -> None:
    with pytest.raises(GatewayError) as info:
        parse_response(load_json("failed"))
    assert not isinstance(info.value, StreamError)
    assert "The model produced invalid content" in str(info.value)
    assert "server_error" in str(info.value)


def test_parse_response_failed_without_error_details() -> None:
    with pytest.raises(GatewayError, match="no error details"):
        parse_response(response([], "failed", error=None))
    with pytest.raises(GatewayError, match="no message was given"):
        parse_response(response([], "failed", error={"code": None}))


@pytest.mark.parametrize(
    "wrap",
    [
        lambda b: {"result": b},
        lambda b: {"result": b, "success": True, "errors": [], "messages": []},
        lambda b: {
            "success": True,
            "result": {"result": b, "gatewayMetadata": b.pop("gatewayMetadata")},
        },
    ],
)
def test_parse_response_result_wrappers(wrap: Any) -> None:
    bare = parse_response(load_json("text"))
    assert parse_response(wrap(load_json("text"))) == bare


@pytest.mark.parametrize(
    "body",
    [None, [], "text", {"result": None}, {"errors": []}, {"result": {"result": {"result": {}}}}],
)
def test_parse_response_unreadable_body_raises_gateway_error(body: Any) -> None:
    with pytest.raises(GatewayError, match="cannot read the Responses reply"):
        parse_response(body)


def test_parse_response_object_without_output_is_empty() -> None:
    reply = parse_response({"object": "response", "id": "r", "status": "completed"})
    assert reply.parts == ()
    assert reply.finish_reason == "stop"


def test_parse_response_invalid_arguments_become_invalid_tool_call() -> None:
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f",
            "arguments": '{"city": "Par'}  # fmt: skip
    (part,) = parse_response(response([call])).tool_calls
    assert part.id == "call_1"
    assert part.arguments == {}
    assert part.raw_arguments == '{"city": "Par'
    assert part.error is not None
    assert "not valid JSON" in part.error


def test_parse_response_tool_call_leniency() -> None:
    calls = [
        {"type": "function_call", "id": "fc_1", "name": "f", "arguments": {"a": 1}},
        {"type": "function_call", "call_id": "call_2", "name": "g", "arguments": None},
        {"type": "function_call"},
    ]
    reply = parse_response(response(calls))
    assert reply.tool_calls == (
        ToolCallPart(id="fc_1", name="f", arguments={"a": 1}),
        ToolCallPart(id="call_2", name="g", arguments={}),
        ToolCallPart(id="call_2", name="", arguments={}),
    )
    assert reply.finish_reason == "tool_calls"


def test_parse_response_refusal_is_text_and_detail() -> None:
    item = message_item({"type": "refusal", "refusal": "I can't help with that."})
    reply = parse_response(response([item]))
    assert reply.text == "I can't help with that."
    assert reply.provider_details["refusal"] == "I can't help with that."


def test_parse_response_joins_texts_and_ignores_unknown_items() -> None:
    output = [
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        message_item({"type": "output_text", "text": "a"}, {"type": "output_text", "text": "b"}),
        "junk",
        message_item({"type": "output_text", "text": "c"}, {"type": "mystery", "text": 1}),
    ]
    assert parse_response(response(output)).parts == (TextPart("abc"),)


def test_parse_response_usage_leniency() -> None:
    usage = {"input_tokens": "12", "output_tokens": 3.0, "output_tokens_details": None}
    reply = parse_response(response([], usage=usage))
    assert reply.usage == Usage(input_tokens=12, output_tokens=3, total_tokens=15)
    assert parse_response(response([], usage=None)).usage is None
    bad = {"input_tokens": True, "output_tokens": "n/a", "total_tokens": 0}
    assert parse_response(response([], usage=bad)).usage == Usage()


# --------------------------------------------------------------------------- ChunkDecoder


@pytest.mark.parametrize("name", STREAMS)
def test_stream_folds_to_the_parsed_json_reply(name: str) -> None:
    streamed = fold(decode(sse_events([sse_bytes(name)])))
    parsed = parse_response(load_json(name))
    assert streamed == dataclasses.replace(parsed, provider_details={})
    assert streamed.parts  # a fixture that folds to nothing would prove nothing


@pytest.mark.parametrize("name", STREAMS)
def test_stream_survives_awkward_chunkings(name: str) -> None:
    raw = sse_bytes(name)
    expected = decode(sse_events([raw]))
    assert decode(sse_events(chunked(raw, 1))) == expected
    crlf = raw.replace(b"\n", b"\r\n")
    assert decode(sse_events(chunked(crlf, 2))) == expected
    rng = random.Random(name)
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(raw)), 40))
        chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=False)]
        assert decode(sse_events(chunks)) == expected


def test_stream_text_events() -> None:
    events = decode(sse_events([sse_bytes("text")]))
    assert events[0] == ResponseStart(
        "resp_68c1f0a1e9c88190b7d2a5f4c3e1d0b90c55d1e2f3a4b5c6", "gpt-4.1-2025-04-14"
    )
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert texts == ["Hello", "!", " How", " can", " I", " help", " you", " today", "?"]
    assert isinstance(events[-2], UsageUpdate)
    assert events[-2].usage.total_tokens == 19
    assert events[-1] == Finish("stop", "completed")


def test_stream_function_call_events() -> None:
    events = decode(sse_events([sse_bytes("function_call")]))
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert calls[0] == ToolCallDelta(0, "call_kN4tQ2wX8rYb1ZcV5mJ7pL3s", "get_weather", "")
    assert [c.arguments for c in calls if c.index == 0][1:3] == ['{"', "city"]
    assert all(c.id is None and c.name is None for c in calls[1:] if c.index == 0)
    assert calls[len(calls) - 4] == ToolCallDelta(
        1, "call_P0dH6sG9aT2uW4eR8yQ1xM5n", "get_weather", ""
    )
    assert events[-1] == Finish("tool_calls", "completed")


def test_stream_reasoning_summary_parts_are_separated() -> None:
    events = decode(sse_events([sse_bytes("reasoning")]))
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    assert {e.index for e in reasoning} == {0}
    assert reasoning[6] == ReasoningDelta("\n\n**Answering", index=0)


def test_stream_incomplete_finishes_with_length() -> None:
    events = decode(sse_events([sse_bytes("incomplete")]))
    assert events[-1] == Finish("length", "max_output_tokens")


def test_stream_failed_raises_stream_error_with_partial_text() -> None:
    decoder = ChunkDecoder()
    *head, last = sse_events([sse_bytes("failed")])
    for event in head:
        decoder.feed(event)
    with pytest.raises(StreamError) as info:
        decoder.feed(last)
    assert "The model produced invalid content" in info.value.message
    assert "server_error" in info.value.message
    assert info.value.partial_text == "Sure, here"
    assert isinstance(info.value.body, dict)
    assert info.value.body["type"] == "response.failed"


def test_stream_error_event_raises_stream_error() -> None:
    decoder = ChunkDecoder()
    *head, last = sse_events([sse_bytes("error")])
    for event in head:
        decoder.feed(event)
    with pytest.raises(StreamError) as info:
        decoder.feed(last)
    assert "Rate limit reached for gpt-4.1" in info.value.message
    assert "rate_limit_exceeded" in info.value.message
    assert info.value.partial_text == "The answer"


def test_stream_nested_error_event_and_non_json_error_frame() -> None:
    nested = {"type": "error", "error": {"type": "server_error", "message": "boom"}}
    with pytest.raises(StreamError, match="boom"):
        decode(frames(nested))
    with pytest.raises(StreamError, match="upstream went away"):
        ChunkDecoder().feed(ServerSentEvent(data="upstream went away", event="error"))


def test_stream_ignores_unknown_events_non_json_and_non_objects() -> None:
    decoder = ChunkDecoder()
    assert decoder.feed(ServerSentEvent(data="[DONE]")) == []
    assert decoder.feed(ServerSentEvent(data="[1, 2]")) == []
    assert decoder.feed(ServerSentEvent(data='{"type": "response.in_progress"}')) == []
    assert decoder.feed(ServerSentEvent(data='{"type": "response.future_event"}')) == []
    assert decoder.feed(ServerSentEvent(data='{"type": 7}')) == []
    added = {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message"}}
    assert decoder.feed(ServerSentEvent(data=json.dumps(added))) == []


def test_stream_event_type_falls_back_to_the_sse_event_name() -> None:
    event = ServerSentEvent(
        data='{"delta": "hi", "output_index": 0}', event="response.output_text.delta"
    )
    assert ChunkDecoder().feed(event) == [TextDelta("hi")]


def test_close_raises_when_the_stream_was_cut() -> None:
    decoder = ChunkDecoder()
    decoder.feed(frames({"type": "response.output_text.delta", "delta": "par"})[0])
    with pytest.raises(StreamError, match=r"ended before response\.completed"):
        decoder.close()
    finished = ChunkDecoder()
    finished.feed(frames({"type": "response.completed", "response": response([])})[0])
    assert finished.close() == []


# Delta events (some empty or missing) followed by the done events that carry the whole value.
_DONE_EVENTS = (
    {"type": "response.created", "response": {"id": "r", "model": "m"}},
    {
        "type": "response.output_text.delta",
        "output_index": 0,
        "content_index": 0,
        "delta": "",
    },
    {
        "type": "response.output_text.done",
        "output_index": 0,
        "content_index": 0,
        "text": "Hi",
    },
    {
        "type": "response.output_text.delta",
        "output_index": 1,
        "content_index": 0,
        "delta": "A",
    },
    {
        "type": "response.output_text.done",
        "output_index": 1,
        "content_index": 0,
        "text": "A",
    },
    {"type": "response.reasoning_summary_text.done", "output_index": 2, "text": "S"},
    {"type": "response.function_call_arguments.done", "output_index": 3, "arguments": "{}"},
    {
        "type": "response.output_item.done",
        "output_index": 3,
        "item": {"type": "function_call", "call_id": "c3", "name": "f", "arguments": "{}"},
    },
    {
        "type": "response.completed",
        "response": response(
            [
                message_item({"type": "output_text", "text": "Hi"}),
                message_item({"type": "output_text", "text": "A"}),
                {"type": "reasoning", "summary": [{"text": "S"}]},
                {"type": "function_call", "call_id": "c3", "name": "f", "arguments": "{}"},
            ]
        ),
    },
)


def test_stream_done_events_fill_in_missing_deltas_without_duplicates() -> None:
    events = decode(frames(*_DONE_EVENTS))
    assert events == [
        ResponseStart("r", "m"),
        TextDelta("Hi"),
        TextDelta("A"),
        ReasoningDelta("S", index=2),
        ToolCallDelta(3, arguments="{}"),
        ToolCallDelta(3, "c3", "f", ""),
        Finish("tool_calls", "completed"),
    ]


def test_stream_with_only_a_final_response_loses_nothing() -> None:
    body = load_json("reasoning")
    events = decode(frames({"type": "response.completed", "response": body}))
    assert isinstance(events[0], ResponseStart)
    expected = dataclasses.replace(parse_response(body), provider_details={})
    assert fold(events) == expected


def test_stream_arguments_without_added_item_get_identity_later() -> None:
    events = feed_only(
        frames(
            {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": '{"a"'},
            {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": ":1}"},
            {
                "type": "response.output_item.done",
                "output_index": 1,
                "item": {
                    "type": "function_call",
                    "id": "fc_1",
                    "name": "f",
                    "arguments": '{"a":1}',
                },
            },
        )
    )
    assert events[:3] == [
        ToolCallDelta(1, arguments='{"a"'),
        ToolCallDelta(1, arguments=":1}"),
        ToolCallDelta(1, "fc_1", "f", ""),
    ]
    assert fold(events).tool_calls == (ToolCallPart(id="fc_1", name="f", arguments={"a": 1}),)


def test_stream_added_item_with_arguments_is_not_doubled() -> None:
    item = {"type": "function_call", "call_id": "c", "name": "f", "arguments": {"x": [1]}}
    events = feed_only(
        frames(
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {
                "type": "response.function_call_arguments.done",
                "output_index": 0,
                "arguments": '{"x":[1]}',
            },
            {"type": "response.output_item.done", "output_index": 0, "item": item},
        )
    )
    assert events == [ToolCallDelta(0, "c", "f", '{"x":[1]}')]


def test_stream_refusal_deltas_are_text() -> None:
    events = feed_only(
        frames(
            {
                "type": "response.refusal.delta",
                "output_index": 0,
                "content_index": 0,
                "delta": "No",
            },
            {
                "type": "response.refusal.done",
                "output_index": 0,
                "content_index": 0,
                "refusal": "No",
            },
            {
                "type": "response.refusal.done",
                "output_index": 0,
                "content_index": 1,
                "refusal": "pe",
            },
        )
    )
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("No"), TextDelta("pe")]


def test_stream_reasoning_text_then_summary_matches_parse() -> None:
    item = {
        "type": "reasoning",
        "content": [{"type": "reasoning_text", "text": "raw"}],
        "summary": [{"type": "summary_text", "text": "sum"}],
    }
    events = decode(
        frames(
            {
                "type": "response.reasoning_text.delta",
                "output_index": 0,
                "content_index": 0,
                "delta": "ra",
            },
            {
                "type": "response.reasoning_text.delta",
                "output_index": 0,
                "content_index": 0,
                "delta": "w",
            },
            {
                "type": "response.reasoning_summary_text.delta",
                "output_index": 0,
                "summary_index": 0,
                "delta": "sum",
            },
            {"type": "response.completed", "response": response([item])},
        )
    )
    assert (
        fold(events).parts
        == parse_response(response([item])).parts
        == (ReasoningPart(text="raw\n\nsum"),)
    )
