"""Pure conversions: LlamaIndex messages/blocks/tools -> neutral values, neutral replies and
stream events -> LlamaIndex responses, tool selections."""

from __future__ import annotations

import base64

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    CitationBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from cf_gateway_core import (
    ChatResponse,
    Finish,
    GatewayConfigError,
    GatewayError,
    GatewayMetadata,
    ImagePart,
    InvalidToolCallError,
    Message,
    ReasoningDelta,
    ReasoningPart,
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
from llamaindex_cf_gateway._convert import to_messages, to_tool_choice, to_tool_specs
from llamaindex_cf_gateway._results import (
    keep_first_tool_call,
    to_chat_response,
    to_tool_selections,
)
from llamaindex_cf_gateway._streaming import ChatStream
from tests._helpers import run_stream

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# ------------------------------------------------------------------------------- to_messages


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (MessageRole.SYSTEM, "system"),
        (MessageRole.DEVELOPER, "system"),
        (MessageRole.USER, "user"),
        (MessageRole.ASSISTANT, "assistant"),
        (MessageRole.CHATBOT, "assistant"),
        (MessageRole.MODEL, "assistant"),
    ],
)
def test_to_messages_maps_roles(role: MessageRole, expected: str) -> None:
    (message,) = to_messages([ChatMessage(role=role, content="hi")])
    assert message == Message(role=expected, parts=(TextPart("hi"),))  # type: ignore[arg-type]


def test_to_messages_keeps_text_and_image_order() -> None:
    blocks = [
        TextBlock(text="What is in"),
        ImageBlock(url="https://example.com/cat.png", detail="low"),
        TextBlock(text="this picture?"),
    ]
    (message,) = to_messages([ChatMessage(role="user", blocks=blocks)])
    assert message.parts == (
        TextPart("What is in"),
        ImagePart(url="https://example.com/cat.png", detail="low"),
        TextPart("this picture?"),
    )


def test_to_messages_inlines_image_bytes_as_a_data_url() -> None:
    (message,) = to_messages([ChatMessage(role="user", blocks=[ImageBlock(image=PNG)])])
    (part,) = message.parts
    assert isinstance(part, ImagePart)
    assert part.url == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_to_messages_reads_an_image_path(tmp_path) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    (message,) = to_messages([ChatMessage(role="user", blocks=[ImageBlock(path=path)])])
    (part,) = message.parts
    assert isinstance(part, ImagePart)
    assert part.url.startswith("data:image/png;base64,iVBOR")


def test_to_messages_rejects_an_image_without_media_type() -> None:
    block = ImageBlock(image=b"not an image at all")
    with pytest.raises(GatewayConfigError, match="image_mimetype"):
        to_messages([ChatMessage(role="user", blocks=[block])])


@pytest.mark.parametrize(
    "block",
    [
        VideoBlock(video=b"\x00\x00\x00\x18ftypmp42", video_mimetype="video/mp4"),
        CitationBlock(
            cited_content=TextBlock(text="quote"),
            source="s",
            title="t",
            additional_location_info={},
        ),
    ],
)
def test_to_messages_rejects_unsupported_blocks(block: object) -> None:
    with pytest.raises(GatewayConfigError, match=type(block).__name__):
        to_messages([ChatMessage(role="user", blocks=[block])])


def test_to_messages_maps_assistant_reasoning_text_and_tool_calls() -> None:
    message = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="plan", additional_information={"signature": "SIG"}),
            TextBlock(text="Let me add."),
            ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs={"a": 1}),
            ToolCallBlock(tool_call_id="c2", tool_name="mul", tool_kwargs='{"b": 2}'),
        ],
    )
    (converted,) = to_messages([message])
    assert converted.parts == (
        ReasoningPart(text="plan", signature="SIG"),
        TextPart("Let me add."),
        ToolCallPart(id="c1", name="add", arguments={"a": 1}),
        ToolCallPart(id="c2", name="mul", arguments={"b": 2}),
    )


def test_to_messages_keeps_unparsable_tool_arguments_as_written() -> None:
    block = ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs='{"a": 1')
    (converted,) = to_messages([ChatMessage(role="assistant", blocks=[block])])
    (part,) = converted.parts
    assert isinstance(part, ToolCallPart)
    assert part.arguments == {}
    assert part.raw_arguments == '{"a": 1'
    assert part.error is not None


def test_to_messages_keeps_redacted_thinking() -> None:
    block = ThinkingBlock(content="", additional_information={"redacted_data": "opaque"})
    (converted,) = to_messages([ChatMessage(role="assistant", blocks=[block])])
    assert converted.parts == (ReasoningPart(text="", redacted_data="opaque"),)


@pytest.mark.parametrize(
    "call",
    [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}},
        {"id": "c1", "type": "tool_use", "name": "add", "input": {"a": 1}},
    ],
)
def test_to_messages_reads_legacy_additional_kwargs_tool_calls(call: dict[str, object]) -> None:
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [call]})
    (converted,) = to_messages([message])
    assert converted.parts[-1] == ToolCallPart(id="c1", name="add", arguments={"a": 1})


def test_to_messages_maps_tool_results() -> None:
    message = ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "c1"})
    (converted,) = to_messages([message])
    assert converted == Message(
        role="tool", parts=(ToolResultPart(tool_call_id="c1", content="42"),)
    )


def test_to_messages_maps_tool_results_with_images() -> None:
    message = ChatMessage(
        role="tool",
        blocks=[TextBlock(text="chart:"), ImageBlock(url="https://example.com/c.png")],
        additional_kwargs={"tool_call_id": "c1", "name": "plot"},
    )
    (converted,) = to_messages([message])
    (part,) = converted.parts
    assert part == ToolResultPart(
        tool_call_id="c1",
        content=(TextPart("chart:"), ImagePart(url="https://example.com/c.png")),
        name="plot",
    )


def test_to_messages_requires_a_tool_call_id_on_tool_messages() -> None:
    with pytest.raises(GatewayConfigError, match="tool_call_id"):
        to_messages([ChatMessage(role="tool", content="42")])


# --------------------------------------------------------------------------- tools and choice


class Weather(BaseModel):
    """Weather for a city."""

    city: str


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny in {city}"


def test_to_tool_specs_describes_function_tools() -> None:
    (spec,) = to_tool_specs([FunctionTool.from_defaults(fn=get_weather)])
    assert spec.name == "get_weather"
    assert "Current weather for a city." in spec.description
    assert spec.parameters["properties"]["city"]["type"] == "string"
    assert spec.parameters["required"] == ["city"]


def test_to_tool_specs_passes_neutral_specs_through() -> None:
    spec = ToolSpec(name="x")
    assert to_tool_specs([spec]) == (spec,)


@pytest.mark.parametrize(
    ("value", "required", "expected"),
    [
        (None, False, None),
        (None, True, ToolChoice(mode="required")),
        ("auto", True, ToolChoice(mode="auto")),
        ("none", False, ToolChoice(mode="none")),
        ("required", False, ToolChoice(mode="required")),
        ("any", False, ToolChoice(mode="required")),
        ("get_weather", False, ToolChoice(mode="tool", name="get_weather")),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            False,
            ToolChoice(mode="tool", name="get_weather"),
        ),
        (
            {"type": "tool", "name": "get_weather"},
            False,
            ToolChoice(mode="tool", name="get_weather"),
        ),
        ({"type": "any"}, False, ToolChoice(mode="required")),
        (ToolChoice(mode="none"), True, ToolChoice(mode="none")),
    ],
)
def test_to_tool_choice_normalises(
    value: object, required: bool, expected: ToolChoice | None
) -> None:
    assert to_tool_choice(value, tool_required=required) == expected


@pytest.mark.parametrize("value", [{"type": "weird"}, 3])
def test_to_tool_choice_rejects_unknown_values(value: object) -> None:
    with pytest.raises(GatewayConfigError, match="tool_choice"):
        to_tool_choice(value)


# ------------------------------------------------------------------------- to_chat_response

REPLY = ChatResponse(
    parts=(
        ReasoningPart(text="thinking", signature="SIG"),
        TextPart("Paris."),
        ToolCallPart(id="c1", name="lookup", arguments={"q": "Paris"}),
    ),
    id="r1",
    model="m1",
    finish_reason="tool_calls",
    raw_finish_reason="tool_use",
    usage=Usage(input_tokens=5, output_tokens=3, total_tokens=8, cache_read_tokens=2),
    gateway=GatewayMetadata(log_id="L1", cache_status="MISS"),
)


def test_to_chat_response_builds_blocks_in_canonical_order() -> None:
    response = to_chat_response(REPLY)
    thinking, text, call = response.message.blocks
    assert response.message.role == MessageRole.ASSISTANT
    assert thinking == ThinkingBlock(
        content="thinking", additional_information={"signature": "SIG"}
    )
    assert text == TextBlock(text="Paris.")
    assert call == ToolCallBlock(tool_call_id="c1", tool_name="lookup", tool_kwargs={"q": "Paris"})
    assert response.message.content == "Paris."


def test_to_chat_response_reports_usage_and_gateway_metadata() -> None:
    response = to_chat_response(REPLY)
    usage = {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8, "cache_read_tokens": 2}
    assert response.raw == {
        "id": "r1",
        "model": "m1",
        "finish_reason": "tool_calls",
        "raw_finish_reason": "tool_use",
        "usage": usage,
        "gateway": {"log_id": "L1", "cache_status": "MISS"},
    }
    extra = response.additional_kwargs
    assert extra["gateway"] == {"log_id": "L1", "cache_status": "MISS"}
    assert extra["usage"] == usage
    assert (extra["prompt_tokens"], extra["completion_tokens"], extra["total_tokens"]) == (5, 3, 8)


def test_to_chat_response_mirrors_tool_calls_in_additional_kwargs() -> None:
    # llama-index-core's streaming structured output and chat engines look there.
    message = to_chat_response(REPLY).message
    assert message.additional_kwargs["tool_calls"] == [
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": "Paris"}'},
        }
    ]
    assert (
        "tool_calls"
        not in to_chat_response(ChatResponse(parts=(TextPart("x"),))).message.additional_kwargs
    )


def test_keep_first_tool_call_trims_blocks_and_mirror() -> None:
    calls = tuple(ToolCallPart(id=f"c{i}", name="f", arguments={"i": i}) for i in range(3))
    message = to_chat_response(ChatResponse(parts=(TextPart("x"), *calls))).message
    keep_first_tool_call(message)
    assert [type(b).__name__ for b in message.blocks] == ["TextBlock", "ToolCallBlock"]
    assert [c["id"] for c in message.additional_kwargs["tool_calls"]] == ["c0"]


def test_to_chat_response_without_usage_or_gateway() -> None:
    response = to_chat_response(ChatResponse(parts=(TextPart("hi"),)))
    assert response.raw["usage"] is None
    assert response.additional_kwargs["gateway"] == {}
    assert "prompt_tokens" not in response.additional_kwargs


def test_to_chat_response_keeps_invalid_tool_arguments_as_text() -> None:
    bad = ToolCallPart(id="c1", name="f", arguments={}, raw_arguments="{oops", error="bad JSON")
    response = to_chat_response(ChatResponse(parts=(bad,)))
    (block,) = response.message.blocks
    assert block == ToolCallBlock(tool_call_id="c1", tool_name="f", tool_kwargs="{oops")


def test_round_trip_reply_to_message_and_back() -> None:
    message = to_chat_response(REPLY).message
    (converted,) = to_messages([message])
    assert converted.parts == REPLY.parts


# ---------------------------------------------------------------------------------- ChatStream

EVENTS: list[StreamEvent] = [
    ResponseStart("r1", "m1"),
    ReasoningDelta("thin"),
    ReasoningDelta("king"),
    ReasoningDelta("", signature="SIG"),
    TextDelta("Par"),
    TextDelta("is."),
    ToolCallDelta(0, "c1", "lookup", ""),
    ToolCallDelta(0, None, None, '{"q": "Paris", "n'),
    ToolCallDelta(0, None, None, '": 1}'),
    UsageUpdate(Usage(input_tokens=5, output_tokens=3, total_tokens=8)),
    Finish("tool_calls", "tool_use"),
]


def _run_stream() -> tuple[list, ChatResponse]:
    stream = ChatStream()
    return run_stream(EVENTS, stream.on_event, stream.final)


def test_chat_stream_yields_cumulative_content_and_deltas() -> None:
    out, _ = _run_stream()
    assert [r.delta for r in out] == ["", "", "Par", "is.", "", "", "", ""]
    assert [r.message.content for r in out[2:4]] == ["Par", "Paris."]
    assert [r.additional_kwargs.get("thinking_delta") for r in out[:2]] == ["thin", "king"]
    assert "".join(r.delta or "" for r in out) == "Paris."


def test_chat_stream_yields_partial_tool_calls() -> None:
    out, _ = _run_stream()
    partial = out[5].message.blocks[-1]
    assert partial == ToolCallBlock(
        tool_call_id="c1", tool_name="lookup", tool_kwargs='{"q": "Paris", "n'
    )
    # A call whose arguments have not all arrived is no selection yet (never a guessed one).
    assert to_tool_selections(out[5], error_on_no_tool_call=False) == []
    (selection,) = to_tool_selections(out[-1])
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "c1",
        "lookup",
        {"q": "Paris", "n": 1},
    )
    assert out[-1].message.blocks[-1].tool_kwargs == {"q": "Paris", "n": 1}


def test_chat_stream_final_equals_the_complete_reply() -> None:
    out, result = _run_stream()
    final = out[-1]
    assert final.delta == ""
    assert final.message == to_chat_response(result).message
    assert final.raw["usage"] == {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8}
    assert final.additional_kwargs["finish_reason"] == "tool_calls"


def test_chat_stream_ignores_bookkeeping_events() -> None:
    stream = ChatStream()
    assert stream.on_event(ResponseStart("r", "m")) is None
    assert stream.on_event(UsageUpdate(Usage())) is None
    assert stream.on_event(Finish("stop")) is None
    assert stream.on_event(ReasoningDelta("", signature="S")) is None


# -------------------------------------------------------------------------- to_tool_selections


def test_to_tool_selections_reads_tool_call_blocks() -> None:
    selections = to_tool_selections(to_chat_response(REPLY))
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections] == [
        ("c1", "lookup", {"q": "Paris"})
    ]


def test_to_tool_selections_without_calls() -> None:
    response = to_chat_response(ChatResponse(parts=(TextPart("no tools"),)))
    assert to_tool_selections(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="Expected at least one tool call"):
        to_tool_selections(response)


def test_to_tool_selections_refuses_a_cut_off_call() -> None:
    bad = ToolCallPart(
        id="c1", name="transfer", arguments={}, raw_arguments='{"amount": 10', error="bad"
    )
    good = ToolCallPart(id="c2", name="note", arguments={"text": "hi"})
    reply = to_chat_response(ChatResponse(parts=(bad, good), finish_reason="length"))
    assert reply.message.additional_kwargs["invalid_tool_calls"] == [
        {"id": "c1", "name": "transfer", "args": '{"amount": 10', "error": "bad"}
    ]
    with pytest.raises(InvalidToolCallError, match="max_tokens") as info:
        to_tool_selections(reply, error_on_no_tool_call=False)
    assert isinstance(info.value, GatewayError) and isinstance(info.value, ValueError)
    assert info.value.finish_reason == "length"
    assert info.value.tool_calls[0]["args"] == '{"amount": 10'


@pytest.mark.parametrize("partial", ['{"amount": 10', '{"a": 1,, }', '{"a": [1, 2', ""])
def test_to_tool_selections_skips_in_progress_calls_of_a_streamed_response(partial: str) -> None:
    stream = ChatStream()
    response = stream.on_event(ToolCallDelta(0, "c1", "transfer", partial))
    assert response is not None
    assert to_tool_selections(response, error_on_no_tool_call=False) == []
