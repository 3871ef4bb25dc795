"""StreamAccumulator, events_from_response and parse_tool_arguments."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest
from hypothesis import given, settings, strategies as st

from cf_gateway_core.events import (
    Finish,
    ReasoningDelta,
    ResponseStart,
    StreamAccumulator,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
    events_from_response,
    parse_tool_arguments,
)
from cf_gateway_core.messages import (
    ChatResponse,
    GatewayMetadata,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
)


def fold(events: list[StreamEvent], gateway: GatewayMetadata | None = None) -> ChatResponse:
    acc = StreamAccumulator(gateway=gateway)
    for event in events:
        acc.add(event)
    return acc.result()


def test_accumulator_empty_stream() -> None:
    assert fold([]) == ChatResponse()


def test_accumulator_joins_text_into_one_part() -> None:
    acc = StreamAccumulator()
    for piece in ["New", " York", "", " is"]:
        acc.add(TextDelta(piece))
    assert acc.text == "New York is"
    result = acc.result()
    assert result.parts == (TextPart("New York is"),)
    assert result.text == "New York is"


def test_accumulator_response_start_sets_id_and_model_keeping_earlier_values() -> None:
    result = fold(
        [
            ResponseStart("chatcmpl-1", None),
            ResponseStart(None, "openai/gpt-5.5"),
            ResponseStart(None, None),
        ]
    )
    assert (result.id, result.model) == ("chatcmpl-1", "openai/gpt-5.5")


def test_accumulator_multiple_tool_calls_by_index_with_fragmented_arguments() -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(0, "call_a", "get_weather", ""),
        ToolCallDelta(1, "call_b", "get_time", '{"tz"'),
        ToolCallDelta(0, None, None, '{"city":'),
        ToolCallDelta(1, None, None, ':"UTC"}'),
        ToolCallDelta(0, None, None, ' "Paris"}'),
    ]
    calls = fold(events).tool_calls
    assert calls == (
        ToolCallPart(id="call_a", name="get_weather", arguments={"city": "Paris"}),
        ToolCallPart(id="call_b", name="get_time", arguments={"tz": "UTC"}),
    )


def test_accumulator_tool_calls_ordered_by_index_not_arrival() -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(2, "c2", "second", "{}"),
        ToolCallDelta(1, "c1", "first", "{}"),
    ]
    assert [c.name for c in fold(events).tool_calls] == ["first", "second"]


def test_accumulator_tool_id_and_name_arriving_late() -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(0, arguments='{"q":'),
        ToolCallDelta(0, name="search"),
        ToolCallDelta(0, arguments='"x"}'),
        ToolCallDelta(0, id="toolu_01"),
    ]
    assert fold(events).tool_calls == (
        ToolCallPart(id="toolu_01", name="search", arguments={"q": "x"}),
    )


def test_accumulator_tool_id_and_name_only_in_first_fragment_are_kept() -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(0, "call_1", "f", ""),
        ToolCallDelta(0, "", "", '{"a":1}'),
        ToolCallDelta(0, None, None, ""),
    ]
    assert fold(events).tool_calls == (ToolCallPart(id="call_1", name="f", arguments={"a": 1}),)


def test_accumulator_tool_without_id_or_name_gets_placeholders() -> None:
    (call,) = fold([ToolCallDelta(3, arguments="{}")]).tool_calls
    assert (call.id, call.name, call.arguments) == ("call_3", "", {})


def test_accumulator_tool_without_arguments_gets_empty_mapping() -> None:
    (call,) = fold([ToolCallDelta(0, "c", "noargs")]).tool_calls
    assert call.arguments == {}
    assert call.error is None
    assert call.raw_arguments is None


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ('{"city": "Par', "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('"text"', "must be a JSON object, got str"),
        ("null", "must be a JSON object, got NoneType"),
    ],
)
def test_accumulator_invalid_arguments_become_error_and_raw(raw: str, error: str) -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(0, "c", "f", raw[:3]),
        ToolCallDelta(0, None, None, raw[3:]),
    ]
    (call,) = fold(events).tool_calls
    assert call.arguments == {}
    assert call.raw_arguments == raw
    assert call.error is not None
    assert error in call.error


def test_accumulator_reasoning_with_signature() -> None:
    events: list[StreamEvent] = [
        ReasoningDelta("Let me ", index=0),
        ReasoningDelta("think.", index=0),
        ReasoningDelta(signature="sig-abc", index=0),
        TextDelta("Answer"),
    ]
    result = fold(events)
    assert result.parts == (
        ReasoningPart(text="Let me think.", signature="sig-abc"),
        TextPart("Answer"),
    )
    assert result.reasoning == "Let me think."


def test_accumulator_reasoning_blocks_by_index_and_redacted() -> None:
    events: list[StreamEvent] = [
        ReasoningDelta("b", index=2),
        ReasoningDelta(redacted_data="opaque", index=5),
        ReasoningDelta("a", index=0, signature="s0"),
    ]
    assert fold(events).parts == (
        ReasoningPart(text="a", signature="s0"),
        ReasoningPart(text="b"),
        ReasoningPart(text="", redacted_data="opaque"),
    )


def test_accumulator_canonical_part_order() -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(0, "c", "f", "{}"),
        TextDelta("text"),
        ReasoningDelta("why"),
    ]
    parts = fold(events).parts
    assert [type(p) for p in parts] == [ReasoningPart, TextPart, ToolCallPart]


def test_accumulator_last_non_zero_usage_wins() -> None:
    first = Usage(input_tokens=10, output_tokens=1, total_tokens=11)
    last = Usage(input_tokens=10, output_tokens=5, total_tokens=15, reasoning_tokens=2)
    events: list[StreamEvent] = [
        UsageUpdate(first),
        UsageUpdate(last),
        UsageUpdate(Usage()),  # a zero frame after the real usage does not erase it
    ]
    assert fold(events).usage == last


def test_accumulator_zero_usage_before_trailer() -> None:
    # Workers AI sends a zero usage frame before its real usage trailer (docs/wire-notes.md §5.2).
    trailer = Usage(input_tokens=418, output_tokens=41, total_tokens=459)
    assert fold([UsageUpdate(Usage()), TextDelta("x"), UsageUpdate(trailer)]).usage == trailer


def test_accumulator_only_zero_usage_is_kept() -> None:
    assert fold([UsageUpdate(Usage())]).usage == Usage()


def test_accumulator_no_usage_is_none() -> None:
    assert fold([TextDelta("x")]).usage is None


def test_accumulator_finish_last_wins() -> None:
    result = fold([Finish("length", "max_tokens"), Finish("tool_calls", "tool_use")])
    assert (result.finish_reason, result.raw_finish_reason) == ("tool_calls", "tool_use")
    assert fold([TextDelta("x")]).finish_reason is None


def test_accumulator_carries_gateway_metadata() -> None:
    gateway = GatewayMetadata(log_id="01J", cache_status="MISS")
    assert fold([TextDelta("x")], gateway).gateway == gateway


def test_accumulator_result_can_be_taken_mid_stream() -> None:
    acc = StreamAccumulator()
    acc.add(TextDelta("Hel"))
    assert acc.result().text == "Hel"
    acc.add(TextDelta("lo"))
    assert acc.result().text == "Hello"


FULL = ChatResponse(
    parts=(
        ReasoningPart(text="thinking…", signature="sig"),
        ReasoningPart(text="", redacted_data="opaque"),
        TextPart("The capital of France is **Paris**."),
        ToolCallPart(id="call_1", name="lookup", arguments={"q": "Paris", "n": [1, 2]}),
        ToolCallPart(id="call_2", name="noargs", arguments={}),
        ToolCallPart(
            id="call_3",
            name="broken",
            arguments={},
            raw_arguments='{"q": ',
            error=parse_tool_arguments('{"q": ')[1],
        ),
    ),
    id="chatcmpl-130c261b00a14fffa8f3e238ad0fc2c1",
    model="deepseek/deepseek-v4-pro",
    finish_reason="tool_calls",
    raw_finish_reason="tool_calls",
    usage=Usage(input_tokens=11, output_tokens=41, total_tokens=52, cache_read_tokens=10),
    gateway=GatewayMetadata(key_source="Unified", log_id="log-1"),
)


@pytest.mark.parametrize(
    "response",
    [
        FULL,
        ChatResponse(),
        ChatResponse(
            parts=(TextPart("only text"),), finish_reason="stop", raw_finish_reason="stop"
        ),
        ChatResponse(parts=(ToolCallPart(id="c", name="f", arguments={"ü": "☃"}),)),
    ],
)
def test_events_from_response_round_trip(response: ChatResponse) -> None:
    events = events_from_response(response)
    assert events[0] == ResponseStart(response.id, response.model)
    assert isinstance(events[-1], Finish)
    assert fold(events, response.gateway) == response


def test_events_from_response_event_sequence() -> None:
    response = ChatResponse(
        parts=(
            ReasoningPart(text="r"),
            TextPart("t"),
            ToolCallPart(id="a", name="f", arguments={"x": 1}),
            ToolCallPart(id="b", name="g", arguments={}),
        ),
        usage=Usage(input_tokens=1, output_tokens=2, total_tokens=3),
        finish_reason="tool_calls",
        raw_finish_reason="tool_calls",
    )
    events = events_from_response(response)
    assert events[1:] == [
        ReasoningDelta("r", None, 1, None),
        TextDelta("t"),
        ToolCallDelta(0, "a", "f", '{"x":1}'),
        ToolCallDelta(1, "b", "g", "{}"),
        UsageUpdate(Usage(input_tokens=1, output_tokens=2, total_tokens=3)),
        Finish("tool_calls", "tool_calls"),
    ]


def test_events_from_response_accepts_read_only_mapping_arguments() -> None:
    part = ToolCallPart(id="c", name="f", arguments=MappingProxyType({"a": 1}))
    events = events_from_response(ChatResponse(parts=(part,)))
    assert ToolCallDelta(0, "c", "f", '{"a":1}') in events


def test_parse_tool_arguments() -> None:
    assert parse_tool_arguments('{"a": 1, "b": [true, null]}') == (
        {"a": 1, "b": [True, None]},
        None,
    )
    assert parse_tool_arguments("") == ({}, None)
    assert parse_tool_arguments("  \n") == ({}, None)
    value, error = parse_tool_arguments("{bad")
    assert value == {}
    assert error is not None
    assert error.startswith("arguments are not valid JSON")
    assert parse_tool_arguments("3") == ({}, "arguments must be a JSON object, got int")


def test_parse_tool_arguments_deep_nesting_is_an_error_not_a_crash() -> None:
    assert parse_tool_arguments("[" * 100_000) == ({}, "arguments are nested too deeply to parse")


# --- property tests -------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(
    arguments=st.lists(st.dictionaries(st.text(max_size=6), _json_values, max_size=4), max_size=4),
    cuts=st.lists(st.integers(1, 5), min_size=1, max_size=4),
)
def test_accumulator_tool_arguments_survive_any_fragmentation(
    arguments: list[dict[str, object]], cuts: list[int]
) -> None:
    events: list[StreamEvent] = []
    for index, args in enumerate(arguments):
        raw = json.dumps(args)
        events.append(ToolCallDelta(index, f"id{index}", f"tool{index}", ""))
        position, turn = 0, 0
        while position < len(raw):
            size = cuts[turn % len(cuts)]
            events.append(ToolCallDelta(index, None, None, raw[position : position + size]))
            position, turn = position + size, turn + 1
    calls = fold(events).tool_calls
    assert [dict(c.arguments) for c in calls] == arguments
    assert all(c.error is None for c in calls)
