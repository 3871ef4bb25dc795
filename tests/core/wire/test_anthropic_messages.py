"""Anthropic Messages wire format: payloads, replies and stream decoding against fixtures."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any

import pytest

from cf_gateway_core.errors import GatewayConfigError, GatewayError, StreamError
from cf_gateway_core.events import (
    Finish,
    ReasoningDelta,
    ResponseStart,
    StreamAccumulator,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    GatewayMetadata,
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
from cf_gateway_core.sse import SSEDecoder
from cf_gateway_core.wire import get_format
from cf_gateway_core.wire.anthropic_messages import (
    FORMAT,
    ChunkDecoder,
    build_payload,
    default_max_tokens,
    parse_response,
)
from tests.core.wire._helpers import (
    built_payload,
    chunked,
    decode_bytes,
    feed,
    fixture_bytes,
    fold,
    load_fixture,
)

API = "anthropic_messages"
MODEL = "anthropic/claude-sonnet-4.5"
ROUTE = resolve_route(MODEL)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


def load(name: str) -> Any:
    return load_fixture(API, name)


def request(*messages: Message, **kwargs: Any) -> ChatRequest:
    return ChatRequest(model=kwargs.pop("model", MODEL), messages=messages, **kwargs)


def payload_for(*messages: Message, **kwargs: Any) -> dict[str, Any]:
    return built_payload(build_payload, request(*messages, **kwargs))


def decode(raw: bytes, chunk_size: int | None = None) -> list[StreamEvent]:
    return decode_bytes(ChunkDecoder(), chunked(raw, chunk_size))


def comparable(response: ChatResponse) -> ChatResponse:
    # Streams carry neither gatewayMetadata nor provider details; everything else must match.
    return dataclasses.replace(response, gateway=None, provider_details={})


# ---------------------------------------------------------------------------------------------
# build_payload


# A conversation with every kind of part, and the exact payload it must become.
_CONVERSATION = (
    Message.system("You are terse."),
    Message(
        role="user",
        parts=(
            TextPart("Weather for these two places?"),
            ImagePart(url=f"data:image/png;base64,{PNG}"),
            ImagePart(url="https://example.com/paris.jpg", detail="high"),
        ),
    ),
    Message(
        role="assistant",
        parts=(
            ReasoningPart(text="Two lookups.", signature="sig-1"),
            TextPart(""),
            ToolCallPart(id="toolu_1", name="get_weather", arguments={"city": "Paris"}),
            ToolCallPart(id="toolu_2", name="get_weather", arguments={"city": "Lyon"}),
        ),
    ),
    Message(role="tool", parts=(ToolResultPart(tool_call_id="toolu_1", content="18 C"),)),
    Message(
        role="tool",
        parts=(
            ToolResultPart(
                tool_call_id="toolu_2",
                content=(TextPart("station down"), ImagePart(url="https://example.com/e.png")),
                is_error=True,
            ),
        ),
    ),
    Message.user("Thanks. Tomorrow?"),
    Message.system("Answer in French."),
    Message.assistant("Demain : soleil."),
)
_CONVERSATION_PAYLOAD = {
    "model": "anthropic/claude-sonnet-4.5",
    "max_tokens": 64_000,
    "system": "You are terse.\n\nAnswer in French.",
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather for these two places?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
                {
                    "type": "image",
                    "source": {"type": "url", "url": "https://example.com/paris.jpg"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Two lookups.", "signature": "sig-1"},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "get_weather",
                    "input": {"city": "Lyon"},
                },
            ],
        },
        {
            # Both tool results and the next user text merged into one user turn.
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": [
                        {"type": "text", "text": "station down"},
                        {
                            "type": "image",
                            "source": {"type": "url", "url": "https://example.com/e.png"},
                        },
                    ],
                    "is_error": True,
                },
                {"type": "text", "text": "Thanks. Tomorrow?"},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Demain : soleil."}]},
    ],
}


def test_build_payload_multi_turn_conversation_exact() -> None:
    assert payload_for(*_CONVERSATION) == _CONVERSATION_PAYLOAD


def test_build_payload_roles_alternate_after_merging() -> None:
    payload = payload_for(
        Message.user("a"),
        Message.user("b"),
        Message.assistant("c"),
        Message.assistant(" "),
        Message.assistant("d"),
        Message(role="assistant", parts=(TextPart(""),)),
        Message.user("e"),
    )
    assert [(m["role"], [b["text"] for b in m["content"]]) for m in payload["messages"]] == [
        ("user", ["a", "b"]),
        ("assistant", ["c", "d"]),
        ("user", ["e"]),
    ]


def test_build_payload_empty_message_is_skipped_so_neighbours_merge() -> None:
    payload = payload_for(Message.user("a"), Message.assistant(""), Message.user("b"))
    assert payload["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]


def test_build_payload_minimal_request_has_no_optional_keys() -> None:
    assert payload_for(Message.user("hi")) == {
        "model": MODEL,
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }


def test_build_payload_system_is_omitted_when_empty() -> None:
    payload = payload_for(Message.system(""), Message.user("hi"))
    assert "system" not in payload


def test_build_payload_system_parts_join_like_message_text() -> None:
    system = Message(role="system", parts=(TextPart("a"), TextPart("b")))
    assert payload_for(system, Message.user("hi"))["system"] == "ab"


def test_build_payload_system_with_image_raises() -> None:
    system = Message(role="system", parts=(ImagePart(url="https://example.com/a.png"),))
    with pytest.raises(GatewayConfigError, match="system message may only hold text"):
        payload_for(system, Message.user("hi"))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a.png",
        "file:///tmp/a.png",
        "example.com/a.png",
        "data:image/png,iVBOR",
        "data:;base64,iVBOR",
        "data:image/png;base64,",
        "data:image/png;base64",
    ],
)
def test_build_payload_bad_image_url_raises(url: str) -> None:
    with pytest.raises(GatewayConfigError, match="http\\(s\\) URL or a 'data:"):
        payload_for(Message(role="user", parts=(ImagePart(url=url),)))


def test_build_payload_http_image_url_is_a_url_source() -> None:
    payload = payload_for(Message(role="user", parts=(ImagePart(url="http://e.com/a.gif"),)))
    assert payload["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "url", "url": "http://e.com/a.gif"}}
    ]


@pytest.mark.parametrize(
    ("role", "part"),
    [
        ("assistant", ImagePart(url="https://example.com/a.png")),
        ("assistant", ToolResultPart(tool_call_id="t", content="x")),
        ("user", ReasoningPart(text="x", signature="s")),
        ("user", ToolCallPart(id="t", name="f", arguments={})),
        ("tool", ToolCallPart(id="t", name="f", arguments={})),
    ],
)
def test_build_payload_part_not_allowed_in_role_raises(role: Any, part: Any) -> None:
    with pytest.raises(GatewayConfigError, match=f"cannot be sent in a '{role}' message"):
        payload_for(Message(role=role, parts=(part,)))


def test_build_payload_tool_result_with_unsupported_content_raises() -> None:
    bad = ToolResultPart(tool_call_id="t", content=(ReasoningPart(text="x"),))  # type: ignore[arg-type]
    with pytest.raises(GatewayConfigError, match="ReasoningPart cannot be sent in a tool result"):
        payload_for(Message(role="tool", parts=(bad,)))


def test_build_payload_tool_result_content_drops_empty_text() -> None:
    result = ToolResultPart(tool_call_id="t", content=(TextPart(""), TextPart("ok")))
    block = payload_for(Message(role="tool", parts=(result,)))["messages"][0]["content"][0]
    assert block == {
        "type": "tool_result",
        "tool_use_id": "t",
        "content": [{"type": "text", "text": "ok"}],
    }


def test_build_payload_tool_call_arguments_become_a_plain_dict() -> None:
    call = ToolCallPart(id="t", name="f", arguments=MappingProxyType({"a": 1}))
    block = payload_for(Message(role="assistant", parts=(call,)))["messages"][0]["content"][0]
    assert block["input"] == {"a": 1}
    assert type(block["input"]) is dict


def test_build_payload_thinking_round_trip_keeps_signature() -> None:
    reply = parse_response(load("stream_thinking_tool.json"))
    payload = payload_for(
        Message.user("Weather and time in Paris?"), Message(role="assistant", parts=reply.parts)
    )
    sent = payload["messages"][1]["content"]
    assert sent == load("stream_thinking_tool.json")["content"]


def test_build_payload_redacted_thinking_round_trip() -> None:
    reply = parse_response(load("a7_web_search.json"))
    payload = payload_for(Message.user("news?"), Message(role="assistant", parts=reply.parts))
    assert payload["messages"][1]["content"] == [
        {
            "type": "redacted_thinking",
            "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP",
        },
        {
            "type": "text",
            "text": "I'll search for recent Cloudflare news."
            "Here is this week's Cloudflare news: «…»",
        },
    ]


def test_build_payload_unsigned_reasoning_is_not_sent_back() -> None:
    assistant = Message(
        role="assistant", parts=(ReasoningPart(text="other provider"), TextPart("hi"))
    )
    payload = payload_for(Message.user("q"), assistant)
    assert payload["messages"][1]["content"] == [{"type": "text", "text": "hi"}]


def test_build_payload_tools_map_to_input_schema() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    tools = (
        ToolSpec(
            name="get_weather", description="Weather by city.", parameters=schema, strict=True
        ),
        ToolSpec(name="noop", strict=False),
    )
    assert payload_for(Message.user("q"), tools=tools)["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather by city.",
            "input_schema": schema,
            "strict": True,
        },
        {"name": "noop", "input_schema": {"type": "object", "properties": {}}},
    ]


TOOLS = (ToolSpec(name="get_weather"),)


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (ToolChoice(mode="auto"), None, {"type": "auto"}),
        (ToolChoice(mode="required"), None, {"type": "any"}),
        (
            ToolChoice(mode="tool", name="get_weather"),
            None,
            {"type": "tool", "name": "get_weather"},
        ),
        (ToolChoice(mode="none"), None, {"type": "none"}),
        (None, None, None),
        (None, True, None),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        (ToolChoice(mode="required"), False, {"type": "any", "disable_parallel_tool_use": True}),
        (
            ToolChoice(mode="tool", name="get_weather"),
            False,
            {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
        ),
        (ToolChoice(mode="none"), False, {"type": "none"}),
    ],
)
def test_build_payload_tool_choice_variants(
    choice: ToolChoice | None, parallel: bool | None, expected: dict[str, Any] | None
) -> None:
    payload = payload_for(
        Message.user("q"), tools=TOOLS, tool_choice=choice, parallel_tool_calls=parallel
    )
    assert payload.get("tool_choice") == expected


def test_build_payload_parallel_flag_without_tools_sends_no_tool_choice() -> None:
    assert "tool_choice" not in payload_for(Message.user("q"), parallel_tool_calls=False)


def test_build_payload_tool_choice_tool_without_name_raises() -> None:
    with pytest.raises(GatewayConfigError, match="needs the tool's name"):
        payload_for(Message.user("q"), tools=TOOLS, tool_choice=ToolChoice(mode="tool"))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("anthropic/claude-opus-4.8", 32_000),
        ("anthropic/claude-opus-4.1", 32_000),
        ("anthropic/claude-opus-5.5", 32_000),
        ("anthropic/claude-sonnet-4.5", 64_000),
        ("anthropic/claude-sonnet-4", 64_000),
        ("anthropic/claude-haiku-4.5", 64_000),
        ("claude-3-7-sonnet-latest", 64_000),
        ("anthropic/claude-3-5-sonnet-20241022", 8_192),
        ("anthropic/claude-3.5-haiku", 8_192),
        ("anthropic/claude-3-haiku-20240307", 4_096),
        ("anthropic/Claude-Opus-4.8", 32_000),
        ("openai/gpt-5.5", 4_096),
        ("anthropic/claude-fable-5", 4_096),
        ("", 4_096),
    ],
)
def test_default_max_tokens_by_family(model: str, expected: int) -> None:
    assert default_max_tokens(model) == expected


def test_build_payload_uses_default_max_tokens_for_the_route_model() -> None:
    req = request(Message.user("q"), model="anthropic/claude-opus-4.8")
    assert built_payload(build_payload, req)["max_tokens"] == 32_000
    assert payload_for(Message.user("q"), model="anthropic/unknown-model")["max_tokens"] == 4096


def test_build_payload_explicit_max_tokens_wins() -> None:
    assert payload_for(Message.user("q"), max_tokens=100)["max_tokens"] == 100


def test_build_payload_sampling_stop_stream_and_extra_body() -> None:
    payload = payload_for(
        Message.user("q"),
        temperature=0.2,
        top_p=0.9,
        stop=("END", "STOP"),
        stream=True,
        extra_body={"metadata": {"user_id": "u-1"}, "temperature": 0.0},
    )
    assert payload == {
        "model": MODEL,
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}],
        "temperature": 0.0,
        "top_p": 0.9,
        "stop_sequences": ["END", "STOP"],
        "stream": True,
        "metadata": {"user_id": "u-1"},
    }
    assert list(payload)[-1] == "metadata"


def test_build_payload_zero_temperature_is_sent() -> None:
    assert payload_for(Message.user("q"), temperature=0.0)["temperature"] == 0.0


def test_build_payload_response_format_raises() -> None:
    fmt = ResponseFormat(type="json_schema", name="x", schema={"type": "object"})
    with pytest.raises(GatewayConfigError, match=r"method='function_calling'.*chat_completions"):
        payload_for(Message.user("q"), response_format=fmt)


@pytest.mark.parametrize(
    ("model", "effort", "expected"),
    [
        (
            "anthropic/claude-opus-4.8",
            "high",
            {"thinking": {"type": "adaptive"}, "output_config": {"effort": "high"}},
        ),
        (
            "anthropic/claude-opus-5.5",
            "minimal",
            {"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}},
        ),
        (
            "anthropic/claude-sonnet-4.6",
            "medium",
            {"thinking": {"type": "adaptive"}, "output_config": {"effort": "medium"}},
        ),
        (
            "anthropic/claude-sonnet-4.5",
            "low",
            {"thinking": {"type": "enabled", "budget_tokens": 2048}},
        ),
        (
            "anthropic/claude-haiku-4.5",
            "high",
            {"thinking": {"type": "enabled", "budget_tokens": 16384}},
        ),
        (
            "anthropic/claude-sonnet-4-5-20250929",
            "medium",
            {"thinking": {"type": "enabled", "budget_tokens": 8192}},
        ),
        (
            "anthropic/claude-opus-4.1",
            "high",
            {"thinking": {"type": "enabled", "budget_tokens": 16384}},
        ),
        ("anthropic/claude-opus-4.8", "none", {"thinking": {"type": "disabled"}}),
    ],
)
def test_build_payload_reasoning_effort(model: str, effort: str, expected: dict[str, Any]) -> None:
    payload = payload_for(Message.user("q"), model=model, reasoning_effort=effort)
    assert {k: payload[k] for k in ("thinking", "output_config") if k in payload} == expected


def test_build_payload_reasoning_budget_raises_default_max_tokens_to_fit() -> None:
    payload = payload_for(
        Message.user("q"), model="anthropic/claude-3.7-sonnet", reasoning_effort="high"
    )
    assert payload["max_tokens"] == 64_000
    payload = payload_for(
        Message.user("q"), model="anthropic/claude-opus-4", reasoning_effort="high"
    )
    assert payload["max_tokens"] == 32_000 > payload["thinking"]["budget_tokens"]


def test_build_payload_reasoning_budget_keeps_larger_explicit_max_tokens() -> None:
    payload = payload_for(Message.user("q"), reasoning_effort="low", max_tokens=3000)
    assert payload["max_tokens"] == 3000
    assert payload["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_build_payload_reasoning_budget_above_explicit_max_tokens_raises() -> None:
    with pytest.raises(GatewayConfigError, match="max_tokens \\(2048\\) must be larger"):
        payload_for(Message.user("q"), reasoning_effort="low", max_tokens=2048)


def test_build_payload_unknown_reasoning_effort_raises() -> None:
    with pytest.raises(GatewayConfigError, match="reasoning_effort 'extreme' is not supported"):
        payload_for(Message.user("q"), reasoning_effort="extreme")


# ---------------------------------------------------------------------------------------------
# parse_response


def test_parse_response_a7_message() -> None:
    assert parse_response(load("a7_message.json")) == ChatResponse(
        parts=(TextPart("# The Three Laws of Thermodynamics\n\n«…»"),),
        id="msg_01UPuL7ZtkoyKHmCsNtxyamj",
        model="claude-opus-4-8",
        finish_reason="stop",
        raw_finish_reason="end_turn",
        usage=Usage(input_tokens=20, output_tokens=493, total_tokens=513),
        gateway=GatewayMetadata(key_source="Unified"),
        provider_details={"gatewayMetadata": {"keySource": "Unified"}},
    )


def test_parse_response_a7_web_search_ignores_server_tool_blocks() -> None:
    reply = parse_response(load("a7_web_search.json"))
    assert reply.parts == (
        ReasoningPart(
            text="",
            redacted_data="EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP",
        ),
        TextPart("I'll search for recent Cloudflare news.Here is this week's Cloudflare news: «…»"),
    )
    assert reply.tool_calls == ()
    assert reply.usage == Usage(input_tokens=2100, output_tokens=120, total_tokens=2220)
    assert reply.provider_details == {
        "server_tool_use": {"web_search_requests": 1},
        "gatewayMetadata": {"keySource": "Unified"},
    }


def test_parse_response_thinking_and_tools_in_canonical_order() -> None:
    body = load("stream_thinking_tool.json")
    body["content"] = [body["content"][i] for i in (2, 1, 0, 3)]  # tool, text, thinking, tool
    reply = parse_response(body)
    assert [type(p).__name__ for p in reply.parts] == [
        "ReasoningPart",
        "TextPart",
        "ToolCallPart",
        "ToolCallPart",
    ]
    assert reply.parts[0] == ReasoningPart(
        text="The user wants the weather in Paris and the local time; "
        "I can call both tools at once.",
        signature="EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
    )
    assert reply.tool_calls == (
        ToolCallPart(
            id="toolu_01T1x1fJ34qAmk2tNTrN7Up6",
            name="get_weather",
            arguments={"location": "Paris, France", "unit": "celsius"},
        ),
        ToolCallPart(
            id="toolu_01HvNsKgBTkVuQ3yYyWw5JxQ",
            name="get_time",
            arguments={"timezone": "Europe/Paris"},
        ),
    )
    assert reply.finish_reason == "tool_calls"
    assert reply.raw_finish_reason == "tool_use"


def test_parse_response_usage_counts_cache_in_input() -> None:
    reply = parse_response(load("stream_thinking_tool.json"))
    assert reply.usage == Usage(
        input_tokens=472 + 1024 + 128,
        output_tokens=219,
        total_tokens=472 + 1024 + 128 + 219,
        cache_read_tokens=1024,
        cache_creation_tokens=128,
    )


def test_parse_response_usage_ignores_null_and_bad_counts() -> None:
    body = {
        "content": [],
        "usage": {"input_tokens": 7.0, "output_tokens": None, "cache_read_input_tokens": True},
    }
    assert parse_response(body).usage == Usage(input_tokens=7, total_tokens=7)
    assert parse_response({"content": []}).usage is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "other"),
        ("model_context_window_exceeded", "length"),
        ("something_new", "other"),
        (None, None),
        (42, None),
    ],
)
def test_parse_response_stop_reasons(raw: Any, expected: str | None) -> None:
    reply = parse_response({"content": [], "stop_reason": raw})
    assert reply.finish_reason == expected
    assert reply.raw_finish_reason == (raw if isinstance(raw, str) else None)


def test_parse_response_run_envelope_doubly_nested() -> None:
    reply = parse_response(load("run_envelope.json"))
    assert reply.text == "Hello from the run path."
    assert reply.finish_reason == "length"
    assert reply.model == "claude-haiku-4-5-20251001"
    assert reply.gateway == GatewayMetadata(key_source="BYOK")
    assert reply.provider_details == {"gatewayMetadata": {"keySource": "BYOK"}}


def test_parse_response_accepts_all_envelopes_alike() -> None:
    message = load("a7_message.json")
    bare = parse_response(message)
    assert parse_response({"result": message}) == bare
    inner = dict(message)
    metadata = inner.pop("gatewayMetadata")
    nested = {"result": {"result": inner, "gatewayMetadata": metadata}, "success": True}
    assert parse_response(nested) == bare


@pytest.mark.parametrize(
    "body",
    [
        None,
        "text",
        [],
        {},
        {"result": None},
        {"result": {"result": {"response": "legacy"}}},
        {"content": "a string, not blocks"},
        {"result": {"result": {"result": {"content": []}}}},
    ],
)
def test_parse_response_not_a_message_raises(body: Any) -> None:
    with pytest.raises(GatewayError, match="expected an Anthropic message"):
        parse_response(body)


def test_parse_response_error_body_raises() -> None:
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}
    with pytest.raises(GatewayError, match="Anthropic error, not a message: bad"):
        parse_response(body)
    with pytest.raises(GatewayError, match="not a message: boom"):
        parse_response({"result": {"type": "error", "error": "boom"}})


def test_parse_response_is_lenient_about_blocks() -> None:
    body = {
        "content": [
            "not a block",
            {"type": "text", "text": 42},
            {"type": "text"},
            {"type": "mystery", "text": "ignored"},
            {"type": "tool_use", "name": "f"},
            {"type": "tool_use", "id": "t2", "name": "g", "input": '{"a": 1}'},
            {"type": "tool_use", "id": "t3", "name": "h", "input": "{oops"},
            {"type": "tool_use", "id": "t4", "name": "k", "input": [1, 2]},
        ],
        "unknown_key": True,
    }
    reply = parse_response(body)
    assert reply.text == "42"
    calls = reply.tool_calls
    assert calls[0] == ToolCallPart(id="call_4", name="f", arguments={})
    assert calls[1] == ToolCallPart(id="t2", name="g", arguments={"a": 1})
    assert calls[2].arguments == {}
    assert calls[2].raw_arguments == "{oops"
    assert calls[2].error is not None
    assert calls[3].raw_arguments == "[1, 2]"
    assert calls[3].error == "arguments must be a JSON object, got list"
    assert reply.provider_details == {}
    assert reply.gateway is None


def test_parse_response_provider_details_keep_vendor_fields() -> None:
    body = {
        "content": [],
        "stop_sequence": "END",
        "container": {"id": "c1"},
        "usage": {"input_tokens": 1, "output_tokens": 1, "service_tier": "standard"},
        "gatewayMetadata": {"keySource": 7},
    }
    reply = parse_response(body)
    assert reply.provider_details == {
        "stop_sequence": "END",
        "container": {"id": "c1"},
        "service_tier": "standard",
        "gatewayMetadata": {"keySource": 7},
    }
    assert reply.gateway is None


# ---------------------------------------------------------------------------------------------
# ChunkDecoder


def test_chunk_decoder_text_stream_events() -> None:
    events = decode(fixture_bytes(API, "stream_text.sse"))
    start_usage = Usage(
        input_tokens=22,
        output_tokens=3,
        total_tokens=25,
        cache_read_tokens=0,
        cache_creation_tokens=0,
    )
    final_usage = Usage(
        input_tokens=22,
        output_tokens=493,
        total_tokens=515,
        cache_read_tokens=0,
        cache_creation_tokens=0,
    )
    assert events == [
        ResponseStart("msg_01NE3P8zwFrzpbFfPc6mV1FW", "claude-opus-4-8"),
        UsageUpdate(start_usage),
        TextDelta("# The Three Laws"),
        TextDelta(" of Thermodynamics\n\n"),
        TextDelta("Énergie — ΔU = Q − W 🔥"),
        UsageUpdate(final_usage),
        Finish("stop", "end_turn"),
    ]


def test_chunk_decoder_thinking_and_tool_events() -> None:
    events = decode(fixture_bytes(API, "stream_thinking_tool.sse"))
    assert [e for e in events if isinstance(e, (ReasoningDelta, ToolCallDelta))] == [
        ReasoningDelta("", None, 0),
        ReasoningDelta("The user wants the weather in Paris ", index=0),
        ReasoningDelta("and the local time; I can call both tools at once.", index=0),
        ReasoningDelta(signature="EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds", index=0),
        ToolCallDelta(2, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", ""),
        ToolCallDelta(2, arguments='{"location": "Par'),
        ToolCallDelta(2, arguments='is, France", "unit": "cel'),
        ToolCallDelta(2, arguments='sius"}'),
        ToolCallDelta(3, "toolu_01HvNsKgBTkVuQ3yYyWw5JxQ", "get_time", ""),
        ToolCallDelta(3, arguments='{"timezone": "Europe/Paris"}'),
    ]


PAIRS = [
    ("stream_text.sse", "stream_text.json"),
    ("stream_thinking_tool.sse", "stream_thinking_tool.json"),
    ("stream_server_tool.sse", "a7_web_search.json"),
]


@pytest.mark.parametrize(("sse_name", "json_name"), PAIRS)
@pytest.mark.parametrize("chunk_size", [None, 1, 2, 7, 64])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_chunk_decoder_stream_equals_json_reply(
    sse_name: str, json_name: str, chunk_size: int | None, newline: bytes
) -> None:
    raw = fixture_bytes(API, sse_name).replace(b"\n", newline)
    streamed = fold(decode(raw, chunk_size))
    assert streamed == comparable(parse_response(load(json_name)))
    assert streamed.usage is not None
    assert streamed.finish_reason is not None


def test_chunk_decoder_stream_equals_replayed_json_events() -> None:
    from cf_gateway_core.events import events_from_response

    reply = parse_response(load("stream_thinking_tool.json"))
    streamed = fold(decode(fixture_bytes(API, "stream_thinking_tool.sse")))
    assert fold(events_from_response(reply)) == streamed


def test_chunk_decoder_error_event_raises_stream_error() -> None:
    raw = fixture_bytes(API, "stream_error.sse")
    sse, decoder = SSEDecoder(), ChunkDecoder()
    accumulator = StreamAccumulator()
    *events, error_event = sse.feed(raw)
    for event in events:
        for item in decoder.feed(event):
            accumulator.add(item)
    with pytest.raises(StreamError) as info:
        decoder.feed(error_event)
    assert "overloaded_error" in info.value.message
    assert "Overloaded" in info.value.message
    assert info.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert accumulator.text == "Partial ans"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"type": "error", "error": "plain"}, "reported error: plain"),
        ({"type": "error"}, "reported error: no message"),
        ({"type": "error", "error": {}}, "reported error: no message"),
        ({"error": {"type": "api_error", "message": "boom"}}, "reported api_error: boom"),
    ],
)
def test_chunk_decoder_error_shapes(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(StreamError, match=expected):
        feed(ChunkDecoder(), data)


def test_chunk_decoder_error_event_name_without_type() -> None:
    with pytest.raises(StreamError, match="overloaded_error: Overloaded"):
        feed(
            ChunkDecoder(),
            {"error": {"type": "overloaded_error", "message": "Overloaded"}},
            "error",
        )


def test_chunk_decoder_event_name_used_when_data_has_no_type() -> None:
    data = {"index": 0, "delta": {"type": "text_delta", "text": "hi"}}
    assert feed(ChunkDecoder(), data, "content_block_delta") == [TextDelta("hi")]


def test_chunk_decoder_not_json_raises() -> None:
    with pytest.raises(StreamError, match="not JSON"):
        feed(ChunkDecoder(), "{nope", "content_block_delta")


@pytest.mark.parametrize(
    "data",
    [
        "",
        "[1, 2]",
        {"type": "ping"},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_stop"},
        {"type": "something_new", "x": 1},
        {"gatewayMetadata": {"keySource": "Unified"}},
        {"type": "message_start", "message": None},
        {"type": "content_block_start", "index": 0},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "server_tool_use", "id": "s"},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ""}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": "{}"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": ""},
        },
    ],
)
def test_chunk_decoder_ignores_events_without_content(data: Any) -> None:
    assert feed(ChunkDecoder(), data) == []


def test_chunk_decoder_tool_use_started_with_input_keeps_it() -> None:
    block = {"type": "tool_use", "id": "toolu_9", "name": "f", "input": {"a": [1, "x"]}}
    events = feed(
        ChunkDecoder(), {"type": "content_block_start", "index": 5, "content_block": block}
    )
    assert events == [ToolCallDelta(5, "toolu_9", "f", '{"a": [1, "x"]}')]
    assert fold(events).tool_calls == (
        ToolCallPart(id="toolu_9", name="f", arguments={"a": [1, "x"]}),
    )


def test_chunk_decoder_message_delta_fields_override_message_start_usage() -> None:
    decoder = ChunkDecoder()
    start = {
        "type": "message_start",
        "message": {"id": "m", "usage": {"input_tokens": 10, "output_tokens": 1}},
    }
    feed(decoder, start)
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "max_tokens"},
        "usage": {
            "input_tokens": 12,
            "cache_read_input_tokens": 3,
            "output_tokens": 50,
            "cache_creation_input_tokens": None,
        },
    }
    assert feed(decoder, delta) == [
        UsageUpdate(Usage(input_tokens=15, output_tokens=50, total_tokens=65, cache_read_tokens=3)),
        Finish("length", "max_tokens"),
    ]
    assert decoder.close() == []


def test_chunk_decoder_message_delta_without_usage_or_reason() -> None:
    assert feed(ChunkDecoder(), {"type": "message_delta"}) == [Finish(None, None)]
    assert feed(ChunkDecoder(), {"type": "message_delta", "delta": {"stop_reason": 3}}) == [
        Finish(None, None)
    ]


def test_chunk_decoder_message_start_without_usage() -> None:
    decoder = ChunkDecoder()
    assert feed(decoder, {"type": "message_start", "message": {"id": "m", "model": "x"}}) == [
        ResponseStart("m", "x"),
        UsageUpdate(Usage()),
    ]
    events = feed(
        decoder,
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 4},
        },
    )
    assert events[0] == UsageUpdate(Usage(output_tokens=4, total_tokens=4))


def test_chunk_decoder_close_raises_on_a_cut_stream() -> None:
    decoder = ChunkDecoder()
    feed(
        decoder,
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "a"}},
    )
    with pytest.raises(StreamError, match="ended before message_stop"):
        decoder.close()
    # A message_delta without a stop_reason is no end signal either; message_stop is.
    feed(decoder, {"type": "message_delta", "delta": {}, "usage": {"output_tokens": 1}})
    with pytest.raises(StreamError):
        decoder.close()
    feed(decoder, {"type": "message_stop"})
    assert decoder.close() == []


def test_chunk_decoder_redacted_thinking_start() -> None:
    block = {"type": "redacted_thinking", "data": "opaque"}
    events = feed(
        ChunkDecoder(), {"type": "content_block_start", "index": 1, "content_block": block}
    )
    assert events == [ReasoningDelta(index=1, redacted_data="opaque")]


def test_format_is_registered_for_the_messages_endpoint() -> None:
    assert get_format(Endpoint.MESSAGES) is FORMAT
    assert FORMAT.build_payload is build_payload
    assert FORMAT.parse_response is parse_response
    assert isinstance(FORMAT.new_decoder(), ChunkDecoder)


@pytest.mark.parametrize(
    ("model", "budget"),
    [
        ("anthropic/claude-sonnet-4", True),
        ("anthropic/claude-sonnet-4-20250514", True),
        ("anthropic/claude-sonnet-4-5-20250929", True),
        ("anthropic/claude-opus-4.1", True),
        ("anthropic/claude-opus-4-5", True),
        ("anthropic/claude-3.7-sonnet", True),
        ("anthropic/claude-sonnet-4.6", False),
        ("anthropic/claude-opus-4.8", False),
        ("anthropic/claude-haiku-4.6", False),
    ],
)
def test_thinking_mode_follows_the_model_table(model: str, budget: bool) -> None:
    payload = payload_for(Message.user("q"), model=model, reasoning_effort="medium")
    assert (payload["thinking"]["type"] == "enabled") is budget


def test_a_registered_profile_changes_the_thinking_mode() -> None:
    # The model table is the one place that knows a model's thinking mode: a user registering
    # a new Claude model (or correcting one) changes what the wire builder sends.
    from cf_gateway_core.profiles import _reset, register_profile

    model = "anthropic/claude-sonnet-4.6"
    try:
        register_profile(model, budget_thinking=True)
        payload = payload_for(Message.user("q"), model=model, reasoning_effort="low")
        assert payload["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    finally:
        _reset()
    payload = payload_for(Message.user("q"), model=model, reasoning_effort="low")
    assert payload["thinking"] == {"type": "adaptive"}
