"""Pure conversions, no I/O: LangChain -> neutral (_convert), neutral -> LangChain (_results)."""

from __future__ import annotations

import functools
import json
import operator
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from cf_gateway_core import (
    ChatResponse,
    Finish,
    GatewayConfigError,
    GatewayMetadata,
    ImagePart,
    Message,
    ProviderTool,
    ReasoningDelta,
    ReasoningPart,
    ResponseFormat,
    ResponseStart,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
    UsageUpdate,
)
from langchain_cf_gateway._convert import to_messages
from langchain_cf_gateway._results import to_ai_message, to_usage_metadata
from langchain_cf_gateway._streaming import StreamConverter
from langchain_cf_gateway._tool_specs import to_response_format, to_tool_choice, to_tool_spec
from tests._helpers import run_stream

PNG = "iVBORw0KGgo="
DATA_URL = f"data:image/png;base64,{PNG}"

# --------------------------------------------------------------------------- messages in


def test_to_messages_system_human_and_name() -> None:
    got = to_messages([SystemMessage("be brief"), HumanMessage("hi", name="ann")])
    assert got == (
        Message(role="system", parts=(TextPart("be brief"),)),
        Message(role="user", parts=(TextPart("hi"),), name="ann"),
    )


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "image_url", "image_url": {"url": DATA_URL}}, ImagePart(url=DATA_URL)),
        (
            {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}},
            ImagePart(url="https://x/a.png", detail="low"),
        ),
        ({"type": "image_url", "image_url": "https://x/a.png"}, ImagePart(url="https://x/a.png")),
        ({"type": "image", "url": "https://x/a.png"}, ImagePart(url="https://x/a.png")),
        ({"type": "image", "base64": PNG, "mime_type": "image/png"}, ImagePart(url=DATA_URL)),
        (
            {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
            ImagePart(url=DATA_URL),
        ),
        (
            {"type": "image", "source_type": "url", "url": "https://x/a.png"},
            ImagePart(url="https://x/a.png"),
        ),
        (
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": PNG},
            },
            ImagePart(url=DATA_URL),
        ),
    ],
)
def test_to_messages_image_blocks(block: dict[str, Any], expected: ImagePart) -> None:
    (message,) = to_messages([HumanMessage(content=[{"type": "text", "text": "see"}, block])])
    assert message.parts == (TextPart("see"), expected)


@pytest.mark.parametrize(
    ("block", "match"),
    [
        ({"type": "image", "base64": PNG}, "mime_type"),
        ({"type": "image", "file_id": "file-1"}, "file ids"),
        ({"type": "image_url", "image_url": {}}, "image_url.url"),
        ({"type": "video", "base64": "AAAA", "mime_type": "video/mp4"}, "'video'"),
        ({"type": "file", "mime_type": "application/pdf"}, "'base64'"),
        ({"type": "audio", "url": "https://x/a.wav"}, "audio URLs"),
        ({"type": "text"}, "string 'text'"),
    ],
)
def test_to_messages_unsupported_block_raises(block: dict[str, Any], match: str) -> None:
    with pytest.raises(GatewayConfigError, match=match):
        to_messages([HumanMessage(content=[block])])


def test_to_messages_system_image_raises() -> None:
    with pytest.raises(GatewayConfigError, match="system messages hold text only"):
        to_messages([SystemMessage(content=[{"type": "image", "url": "https://x/a.png"}])])


def test_to_messages_ai_text_and_tool_calls_in_order() -> None:
    message = AIMessage(
        content=[
            {"type": "text", "text": "let me check"},
            {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}},
        ],
        tool_calls=[{"name": "f", "args": {"a": 1}, "id": "t1"}],
    )
    (got,) = to_messages([message])
    assert got == Message(
        role="assistant",
        parts=(TextPart("let me check"), ToolCallPart(id="t1", name="f", arguments={"a": 1})),
    )


def test_to_messages_ai_invalid_tool_call_is_sent_back_raw() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[{"name": "f", "args": '{"a": ', "id": "t9", "error": "bad json"}],
    )
    (got,) = to_messages([message])
    assert got.parts == (
        ToolCallPart(id="t9", name="f", arguments={}, raw_arguments='{"a": ', error="bad json"),
    )


def test_to_messages_tool_call_without_id_raises() -> None:
    message = AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": None}])
    with pytest.raises(GatewayConfigError, match="has no id"):
        to_messages([message])


def test_to_messages_ai_reasoning_from_additional_kwargs() -> None:
    message = AIMessage("answer", additional_kwargs={"reasoning_content": "thinking…"})
    (got,) = to_messages([message])
    assert got.parts == (ReasoningPart(text="thinking…"), TextPart("answer"))


def test_to_messages_ai_signed_reasoning_blocks_win_over_v1_content() -> None:
    blocks = [
        {"type": "thinking", "thinking": "step 1", "signature": "sig-1"},
        {"type": "redacted_thinking", "data": "opaque"},
    ]
    message = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "step 1"},
            {"type": "text", "text": "done"},
        ],
        additional_kwargs={"reasoning_content": "step 1", "reasoning_blocks": blocks},
    )
    (got,) = to_messages([message])
    assert got.parts == (
        ReasoningPart(text="step 1", signature="sig-1"),
        ReasoningPart(text="", redacted_data="opaque"),
        TextPart("done"),
    )


@pytest.mark.parametrize("bad", [[{"type": "text", "text": "x"}], ["thinking"], [{"type": 3}]])
def test_to_messages_malformed_reasoning_blocks_raise(bad: list[Any]) -> None:
    message = AIMessage("a", additional_kwargs={"reasoning_blocks": bad})
    with pytest.raises(GatewayConfigError, match="reasoning_blocks"):
        to_messages([message])


@pytest.mark.parametrize(
    "block",
    [
        {"type": "reasoning", "reasoning": "hmm", "extras": {"signature": "s"}},
        {"type": "thinking", "thinking": "hmm", "signature": "s"},
    ],
)
def test_to_messages_ai_reasoning_content_blocks(block: dict[str, Any]) -> None:
    (got,) = to_messages([AIMessage(content=[block, {"type": "text", "text": "ok"}])])
    assert got.parts == (ReasoningPart(text="hmm", signature="s"), TextPart("ok"))


def test_to_messages_tool_message_status_and_content() -> None:
    got = to_messages(
        [
            ToolMessage("boom", tool_call_id="t1", name="f", status="error"),
            ToolMessage(
                content=[{"type": "text", "text": "see"}, {"type": "image", "url": "https://x"}],
                tool_call_id="t2",
            ),
        ]
    )
    assert got == (
        Message(
            role="tool",
            parts=(ToolResultPart(tool_call_id="t1", content="boom", name="f", is_error=True),),
        ),
        Message(
            role="tool",
            parts=(
                ToolResultPart(
                    tool_call_id="t2", content=(TextPart("see"), ImagePart(url="https://x"))
                ),
            ),
        ),
    )


def test_to_messages_chat_message_roles() -> None:
    got = to_messages(
        [ChatMessage(role="developer", content="rules"), ChatMessage(role="user", content="q")]
    )
    assert [m.role for m in got] == ["system", "user"]
    with pytest.raises(GatewayConfigError, match="ChatMessage role 'critic'"):
        to_messages([ChatMessage(role="critic", content="no")])


def test_to_messages_function_message_raises() -> None:
    with pytest.raises(GatewayConfigError, match="FunctionMessage is not supported"):
        to_messages([FunctionMessage(name="f", content="x")])


def test_to_messages_accepts_merged_chunks() -> None:
    chunk = AIMessageChunk(content="hi") + AIMessageChunk(content=" there")
    assert to_messages([chunk]) == (Message(role="assistant", parts=(TextPart("hi there"),)),)


# --------------------------------------------------------------------------- tools, formats


class Person(BaseModel):
    """A person."""

    name: str = Field(description="The name.")
    age: int


class PersonDict(TypedDict):
    """A person as a dict."""

    name: str


@tool
def lookup(city: str) -> str:
    """Look a city up."""
    return city


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


_PERSON_PARAMS = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The name."},
        "age": {"type": "integer"},
    },
    "required": ["name", "age"],
}


@pytest.mark.parametrize(
    ("value", "name", "description"),
    [
        (Person, "Person", "A person."),
        (PersonDict, "PersonDict", "A person as a dict."),
        (lookup, "lookup", "Look a city up."),
        (add, "add", "Add two integers."),
        (
            {"title": "Person", "description": "A person.", **_PERSON_PARAMS},
            "Person",
            "A person.",
        ),
        (
            {"name": "Person", "description": "A person.", "input_schema": _PERSON_PARAMS},
            "Person",
            "A person.",
        ),
        (
            {
                "type": "function",
                "function": {
                    "name": "Person",
                    "description": "A person.",
                    "parameters": _PERSON_PARAMS,
                },
            },
            "Person",
            "A person.",
        ),
    ],
)
def test_to_tool_spec_accepts_langchain_tool_shapes(
    value: Any, name: str, description: str
) -> None:
    spec = to_tool_spec(value)
    assert (spec.name, spec.description) == (name, description)
    assert spec.parameters["type"] == "object"


def test_to_tool_spec_reads_openai_dicts_as_they_are() -> None:
    spec = to_tool_spec(
        {
            "type": "function",
            "function": {"name": "p", "parameters": _PERSON_PARAMS, "strict": True},
        }
    )
    assert spec == ToolSpec(name="p", description="", parameters=_PERSON_PARAMS, strict=True)


def test_to_tool_spec_no_parameters_gets_empty_object() -> None:
    spec = to_tool_spec({"type": "function", "function": {"name": "now"}})
    assert spec.parameters == {"type": "object", "properties": {}}


def test_to_tool_spec_provider_tools_and_json_schemas() -> None:
    assert to_tool_spec({"type": "web_search_preview"}) == ProviderTool(
        api="responses", spec={"type": "web_search_preview"}
    )
    server = {"type": "web_search_20250305", "name": "web_search"}
    assert to_tool_spec(server) == ProviderTool(api="anthropic", spec=server)
    schema = {"title": "Joke", "type": "object", "properties": {"setup": {"type": "string"}}}
    spec = to_tool_spec(schema)
    assert isinstance(spec, ToolSpec) and spec.name == "Joke"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (False, None),
        ("auto", ToolChoice(mode="auto")),
        ("none", ToolChoice(mode="none")),
        ("any", ToolChoice(mode="required")),
        ("required", ToolChoice(mode="required")),
        (True, ToolChoice(mode="required")),
        ("lookup", ToolChoice(mode="tool", name="lookup")),
        (
            {"type": "function", "function": {"name": "lookup"}},
            ToolChoice(mode="tool", name="lookup"),
        ),
        ({"type": "tool", "name": "lookup"}, ToolChoice(mode="tool", name="lookup")),
        ({"type": "any"}, ToolChoice(mode="required")),
        (ToolChoice(mode="auto"), ToolChoice(mode="auto")),
    ],
)
def test_to_tool_choice_table(value: Any, expected: ToolChoice | None) -> None:
    assert to_tool_choice(value) == expected


def test_to_tool_choice_rejects_other_values() -> None:
    with pytest.raises(GatewayConfigError, match="tool_choice 3"):
        to_tool_choice(3)


def test_to_response_format_shapes() -> None:
    assert to_response_format({"type": "json_object"}) == ResponseFormat(type="json_object")
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "P", "schema": _PERSON_PARAMS, "strict": True},
    }
    assert to_response_format(fmt) == ResponseFormat(
        type="json_schema", name="P", schema=_PERSON_PARAMS, strict=True
    )
    same = ResponseFormat(type="json_object")
    assert to_response_format(same) is same
    with pytest.raises(GatewayConfigError, match="response_format"):
        to_response_format({"type": "json_schema"})


# --------------------------------------------------------------------------- results out


def test_to_usage_metadata_details() -> None:
    assert to_usage_metadata(None) is None
    assert to_usage_metadata(Usage(input_tokens=3, output_tokens=2, total_tokens=5)) == {
        "input_tokens": 3,
        "output_tokens": 2,
        "total_tokens": 5,
    }
    usage = Usage(
        input_tokens=100,
        output_tokens=40,
        total_tokens=140,
        cache_read_tokens=80,
        cache_creation_tokens=10,
        reasoning_tokens=30,
    )
    assert to_usage_metadata(usage) == {
        "input_tokens": 100,
        "output_tokens": 40,
        "total_tokens": 140,
        "input_token_details": {"cache_read": 80, "cache_creation": 10},
        "output_token_details": {"reasoning": 30},
    }


def _reply() -> ChatResponse:
    return ChatResponse(
        parts=(
            ReasoningPart(text="think ", signature="sig-a"),
            ReasoningPart(text="", redacted_data="opaque"),
            TextPart("Checking."),
            ToolCallPart(id="c1", name="lookup", arguments={"city": "Paris"}),
            ToolCallPart(id="c2", name="lookup", arguments={}, raw_arguments="{oops", error="bad"),
        ),
        id="msg_1",
        model="claude-sonnet-4-5-20250929",
        finish_reason="tool_calls",
        raw_finish_reason="tool_use",
        usage=Usage(input_tokens=10, output_tokens=5, total_tokens=15),
        gateway=GatewayMetadata(log_id="L1", cache_status="MISS", key_source="unified"),
    )


def test_to_ai_message_maps_every_part() -> None:
    message = to_ai_message(_reply(), "anthropic/claude-sonnet-4.5")
    assert message.content == "Checking."
    assert message.id == "msg_1"
    assert message.additional_kwargs == {
        "reasoning_content": "think ",
        "reasoning_blocks": [
            {"type": "thinking", "thinking": "think ", "signature": "sig-a"},
            {"type": "redacted_thinking", "data": "opaque"},
        ],
    }
    assert message.tool_calls == [
        {"name": "lookup", "args": {"city": "Paris"}, "id": "c1", "type": "tool_call"}
    ]
    assert message.invalid_tool_calls == [
        {"name": "lookup", "args": "{oops", "id": "c2", "error": "bad", "type": "invalid_tool_call"}
    ]
    assert message.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    assert message.response_metadata == {
        "model_name": "anthropic/claude-sonnet-4.5",
        "finish_reason": "tool_calls",
        "raw_finish_reason": "tool_use",
        "served_model": "claude-sonnet-4-5-20250929",
        "gateway": {"log_id": "L1", "cache_status": "MISS", "key_source": "unified"},
    }
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": "think "}


def test_to_ai_message_plain_text_has_no_extras() -> None:
    message = to_ai_message(
        ChatResponse(parts=(TextPart("hi"),), finish_reason="stop", raw_finish_reason="stop"), "m/x"
    )
    assert message.additional_kwargs == {}
    assert message.response_metadata == {
        "model_name": "m/x",
        "finish_reason": "stop",
        "gateway": {},
    }
    assert message.usage_metadata is None


def test_to_ai_message_round_trips_through_to_messages() -> None:
    message = to_ai_message(_reply(), "anthropic/claude-sonnet-4.5")
    (back,) = to_messages([message])
    assert back.parts == (
        ReasoningPart(text="think ", signature="sig-a"),
        ReasoningPart(text="", redacted_data="opaque"),
        TextPart("Checking."),
        ToolCallPart(id="c1", name="lookup", arguments={"city": "Paris"}),
        ToolCallPart(id="c2", name="lookup", arguments={}, raw_arguments="{oops", error="bad"),
    )


# --------------------------------------------------------------------------- streams

_META = GatewayMetadata(log_id="L2")

STREAMS: dict[str, list[StreamEvent]] = {
    "text": [
        ResponseStart("r1", "gpt-x"),
        TextDelta("Hel"),
        TextDelta(""),
        TextDelta("lo"),
        UsageUpdate(Usage()),
        UsageUpdate(Usage(input_tokens=4, output_tokens=2, total_tokens=6)),
        Finish("stop", "stop"),
    ],
    "anthropic_thinking_and_tools": [
        ResponseStart("msg_9", "claude"),
        UsageUpdate(Usage(input_tokens=20, output_tokens=1, total_tokens=21, cache_read_tokens=15)),
        ReasoningDelta("Let me ", None, 0),
        ReasoningDelta("think.", None, 0),
        ReasoningDelta("", "sig-xyz", 0),
        TextDelta("Sure."),
        ToolCallDelta(2, "toolu_1", "lookup", ""),
        ToolCallDelta(2, None, None, '{"city": '),
        ToolCallDelta(2, None, None, '"Paris"}'),
        ToolCallDelta(3, "toolu_2", "add", '{"a": 1, "b": 2}'),
        UsageUpdate(
            Usage(input_tokens=20, output_tokens=30, total_tokens=50, cache_read_tokens=15)
        ),
        Finish("tool_calls", "tool_use"),
    ],
    "workers_ai_repeats_names_and_late_ids": [
        ReasoningDelta("hmm"),
        ToolCallDelta(0, None, "lookup", '{"city":'),
        ToolCallDelta(0, None, "lookup", '"Oslo"}'),
        ToolCallDelta(1, None, "add", ""),
        ToolCallDelta(0, "call_stable", None, ""),
        UsageUpdate(Usage(input_tokens=5, output_tokens=5, total_tokens=10, reasoning_tokens=3)),
        Finish("tool_calls", "tool_calls"),
    ],
    "empty": [],
}


def _merge_stream(events: list[StreamEvent], model: str) -> tuple[AIMessageChunk, ChatResponse]:
    converter = StreamConverter(model)
    chunks, folded = run_stream(events, converter.chunk, converter.last, gateway=_META)
    messages: list[AIMessageChunk] = []
    for chunk in chunks:
        assert isinstance(chunk.message, AIMessageChunk)
        messages.append(chunk.message)
    assert messages[-1].chunk_position == "last"
    return functools.reduce(operator.add, messages), folded


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_converter_merges_to_the_invoke_message(name: str) -> None:
    full, folded = _merge_stream(STREAMS[name], "m/x")
    expected = to_ai_message(folded, "m/x")
    assert full.content == expected.content
    assert full.additional_kwargs == expected.additional_kwargs
    assert full.tool_calls == expected.tool_calls
    assert full.invalid_tool_calls == expected.invalid_tool_calls
    assert full.usage_metadata == expected.usage_metadata
    assert full.response_metadata == expected.response_metadata
    assert full.id == expected.id


def test_stream_converter_sends_usage_and_metadata_once() -> None:
    converter = StreamConverter("m/x")
    chunks = [converter.chunk(e) for e in STREAMS["anthropic_thinking_and_tools"]]
    messages = [c.message for c in chunks if c is not None]
    assert all(isinstance(m, AIMessageChunk) and m.usage_metadata is None for m in messages)
    assert all(m.response_metadata == {} for m in messages)


def test_stream_converter_holds_tool_calls_until_the_reply_is_complete() -> None:
    # LangChain parses merged fragments with parse_partial_json: a fragment handed over early
    # would become a callable call with guessed arguments if the stream stopped there.
    converter = StreamConverter("m/x")
    chunks = [converter.chunk(e) for e in STREAMS["workers_ai_repeats_names_and_late_ids"]]
    assert all(
        c is None or (isinstance(c.message, AIMessageChunk) and not c.message.tool_call_chunks)
        for c in chunks
    )


def test_stream_converter_cut_off_call_is_invalid_never_guessed() -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(0, "c1", "transfer", '{"amount": 10'),
        ToolCallDelta(1, "c2", "note", '{"text": "hi"}'),
        Finish("length", "length"),
    ]
    full, folded = _merge_stream(events, "m/x")
    invoked = to_ai_message(folded, "m/x")
    assert (
        full.tool_calls
        == invoked.tool_calls
        == [{"name": "note", "args": {"text": "hi"}, "id": "c2", "type": "tool_call"}]
    )
    (streamed_bad,) = full.invalid_tool_calls
    (invoked_bad,) = invoked.invalid_tool_calls
    assert (streamed_bad["id"], streamed_bad["name"]) == (invoked_bad["id"], invoked_bad["name"])
    assert invoked_bad["args"] == '{"amount": 10'
    assert invoked_bad["error"] and "not valid JSON" in invoked_bad["error"]
    assert json.loads(streamed_bad["args"] or "") == '{"amount": 10'  # the raw text, as a string
    assert full.response_metadata["finish_reason"] == invoked.response_metadata["finish_reason"]


def test_stream_converter_parallel_calls_merge_in_index_order() -> None:
    # Fragments arrive interleaved and the higher index first; invoke orders calls by index.
    events: list[StreamEvent] = [
        ToolCallDelta(1, "b", "second", '{"n":'),
        ToolCallDelta(0, "a", "first", '{"n":'),
        ToolCallDelta(1, None, None, " 2}"),
        ToolCallDelta(0, None, None, " 1}"),
        Finish("tool_calls", "tool_calls"),
    ]
    full, folded = _merge_stream(events, "m/x")
    assert [c["id"] for c in full.tool_calls] == ["a", "b"]
    assert full.tool_calls == to_ai_message(folded, "m/x").tool_calls
