"""SSEDecoder: WHATWG event-stream parsing, chunking independence (property tests)."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given, settings, strategies as st

from cf_gateway_core.sse import ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def decode_bytewise(stream: bytes) -> list[ServerSentEvent]:
    return decode(*(stream[i : i + 1] for i in range(len(stream))))


def test_sse_single_data_event() -> None:
    assert decode(b'data: {"response":"New"}\n\n') == [ServerSentEvent('{"response":"New"}')]


def test_sse_workers_ai_native_stream_a2() -> None:
    stream = (
        b'data: {"response":"New"}\n\n'
        b'data: {"response":" York"}\n\n'
        b'data: {"response":"","usage":{"prompt_tokens":418,"completion_tokens":41}}\n\n'
        b"data: [DONE]\n\n"
    )
    events = decode(stream)
    assert [e.data for e in events] == [
        '{"response":"New"}',
        '{"response":" York"}',
        '{"response":"","usage":{"prompt_tokens":418,"completion_tokens":41}}',
        "[DONE]",
    ]
    assert all(e.event == "message" and e.id is None and e.retry is None for e in events)
    assert decode_bytewise(stream) == events


def test_sse_frame_split_mid_json_a2() -> None:
    # docs/wire-notes.md A2: "data: {"response":" such","p' | '":"abc…"}'
    events = decode(b'data: {"response":" such","p', b'":"abcdefghi"}\n', b"\n")
    assert events == [ServerSentEvent('{"response":" such","p":"abcdefghi"}')]


def test_sse_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(b"data: first\ndata: second\ndata:third\n\n") == [
        ServerSentEvent("first\nsecond\nthird")
    ]


def test_sse_empty_data_lines() -> None:
    assert decode(b"data\n\n") == [ServerSentEvent("")]
    assert decode(b"data:\n\n") == [ServerSentEvent("")]
    assert decode(b"data:\ndata:\n\n") == [ServerSentEvent("\n")]


def test_sse_only_one_leading_space_is_stripped() -> None:
    assert decode(b"data:  two spaces \n\n") == [ServerSentEvent(" two spaces ")]
    assert decode(b"data:no space\n\n") == [ServerSentEvent("no space")]


def test_sse_comments_are_ignored() -> None:
    events = decode(b": keep-alive\n\n:another\ndata: x\n: inside\n\n")
    assert events == [ServerSentEvent("x")]


def test_sse_event_field_names_the_event_and_resets() -> None:
    events = decode(
        b"event: message_start\ndata: {}\n\ndata: plain\n\nevent: content_block_delta\ndata: {}\n\n"
    )
    assert [e.event for e in events] == ["message_start", "message", "content_block_delta"]


def test_sse_event_without_data_is_not_dispatched() -> None:
    assert decode(b"event: ping\n\n") == []
    # ...and its type does not leak into the next event.
    assert decode(b"event: ping\n\ndata: x\n\n") == [ServerSentEvent("x")]


def test_sse_id_persists_until_changed() -> None:
    events = decode(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == ["1", "1", "2", ""]


def test_sse_id_with_null_is_ignored() -> None:
    assert decode(b"id: 7\ndata: a\n\nid: x\x00y\ndata: b\n\n")[1].id == "7"


def test_sse_id_set_by_event_without_data_still_applies() -> None:
    assert decode(b"id: 9\n\ndata: a\n\n") == [ServerSentEvent("a", id="9")]


def test_sse_retry_field() -> None:
    events = decode(b"retry: 3000\ndata: a\n\ndata: b\n\n")
    assert [e.retry for e in events] == [3000, None]


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1.5", b"", b"\xc2\xb2", b"9" * 40])
def test_sse_retry_field_ignores_non_ascii_digits(value: bytes) -> None:
    assert decode(b"retry: " + value + b"\ndata: a\n\n") == [ServerSentEvent("a")]


def test_sse_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\ndata: a\nbaz\n\n") == [ServerSentEvent("a")]


def test_sse_field_name_is_case_sensitive() -> None:
    assert decode(b"Data: a\n\n") == []


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_sse_every_line_ending(eol: bytes) -> None:
    stream = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    expected = [ServerSentEvent("a\nb", event="e"), ServerSentEvent("c")]
    assert decode(stream) == expected
    assert decode_bytewise(stream) == expected


def test_sse_mixed_line_endings() -> None:
    assert decode(b"data: a\r\ndata: b\rdata: c\n\r\n") == [ServerSentEvent("a\nb\nc")]


def test_sse_crlf_split_across_chunks_is_one_line_break() -> None:
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [ServerSentEvent("a\nb")]


def test_sse_cr_then_chunk_without_newline() -> None:
    assert decode(b"data: a\r", b"data: b\r\r") == [ServerSentEvent("a\nb")]


def test_sse_utf8_split_inside_a_multibyte_character() -> None:
    text = 'data: {"response":"héllo ☃ 🚀"}\n\n'.encode()
    for cut in range(len(text)):
        assert decode(text[:cut], text[cut:]) == [ServerSentEvent('{"response":"héllo ☃ 🚀"}')]


def test_sse_cr_pending_across_an_incomplete_multibyte_chunk() -> None:
    snowman = "☃".encode()
    whole = b"data: a\r\ndata: " + snowman + b"\r\n\r\n"
    expected = [ServerSentEvent("a\n☃")]
    assert decode(whole) == expected
    assert decode(b"data: a\r", b"", b"\ndata: " + snowman[:1], snowman[1:] + b"\r", b"\r\n") == (
        expected
    )


def test_sse_unicode_line_separators_are_not_line_breaks() -> None:
    data = 'data: {"t":"a\u2028b\u2029c\x85d"}\n\n'.encode()
    assert decode(data) == [ServerSentEvent('{"t":"a\u2028b\u2029c\x85d"}')]


def test_sse_invalid_utf8_is_replaced_not_raised() -> None:
    assert decode(b"data: \xff\xfe ok\n\n") == [ServerSentEvent("\ufffd\ufffd ok")]


def test_sse_leading_bom_is_ignored_once() -> None:
    bom = "\ufeff".encode()
    assert decode(bom + b"data: a\n\n") == [ServerSentEvent("a")]
    assert decode(bom[:2], bom[2:] + b"data: a\n\n") == [ServerSentEvent("a")]
    assert decode(bom, b"data: a\n\n") == [ServerSentEvent("a")]
    # A second BOM is content: it makes the field name unknown.
    assert decode(bom + bom + b"data: a\n\n") == []


def test_sse_flush_discards_a_final_event_without_blank_line() -> None:
    # WHATWG: an event cut off before its blank line is not dispatched (the body was cut short).
    assert decode(b"data: [DONE]") == []
    assert decode(b"data: a\ndata: b\n") == []
    assert decode(b"data: a\r") == []
    assert decode(b"data: a\n\ndata: b\n") == [ServerSentEvent("a")]


def test_sse_flush_with_nothing_pending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n") == [ServerSentEvent("a")]
    assert decoder.flush() == []
    assert SSEDecoder().flush() == []


def test_sse_flush_of_an_unterminated_comment_or_bom_only() -> None:
    assert decode(b": only a comment") == []
    assert decode("\ufeff".encode()) == []


def test_sse_flush_discards_a_truncated_multibyte_char() -> None:
    assert decode(b"data: \xe2\x98") == []
    decoder = SSEDecoder()
    decoder.feed(b"data: \xe2\x98")
    assert decoder.flush() == []
    assert decoder.feed(b"data: b\n\n") == [ServerSentEvent("b")]  # nothing left over


def test_sse_feed_empty_chunk() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == [ServerSentEvent("a")]


def test_sse_long_line_in_tiny_chunks_is_linear() -> None:
    # No quadratic re-copying of a long unterminated line.
    payload = b"x" * 400_000
    decoder = SSEDecoder()
    start = time.perf_counter()
    decoder.feed(b"data: ")
    for i in range(0, len(payload), 16):
        assert decoder.feed(payload[i : i + 16]) == []
    events = decoder.feed(b"\n\n")
    assert time.perf_counter() - start < 5.0
    assert events == [ServerSentEvent("x" * 400_000)]


# --- property tests: chunking never changes the events ---------------------------------------

_line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
_field_line = st.one_of(
    st.builds(lambda v: f"data: {v}", _line_text),
    st.builds(lambda v: f"data:{v}", _line_text),
    st.just("data"),
    st.builds(lambda v: f"event: {v}", _line_text),
    st.builds(lambda v: f"id: {v}", _line_text),
    st.builds(lambda v: f"retry: {v}", st.integers(0, 10**6).map(str) | _line_text),
    st.builds(lambda v: f":{v}", _line_text),
    st.builds(lambda v: f"{v}", _line_text),
    st.just(""),
)
_eol = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(_field_line, _eol), max_size=25))
    text = "".join(line + eol for line, eol in lines)
    if draw(st.booleans()):
        text += draw(_field_line)  # an unterminated last line
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode()


@st.composite
def chunkings(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), stream=sse_streams())
def test_sse_any_chunking_yields_the_same_events(data: st.DataObject, stream: bytes) -> None:
    whole = decode(stream)
    assert decode(*data.draw(chunkings(stream))) == whole
    assert decode_bytewise(stream) == whole


@settings(max_examples=150, deadline=None)
@given(data=st.data(), stream=st.binary(max_size=200))
def test_sse_any_chunking_of_arbitrary_bytes_yields_the_same_events(
    data: st.DataObject, stream: bytes
) -> None:
    whole = decode(stream)
    assert decode(*data.draw(chunkings(stream))) == whole


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_characters="\r\n")),
        min_size=1,
        max_size=5,
    )
)
def test_sse_data_lines_round_trip(values: list[str]) -> None:
    stream = "".join(f"data: {v}\n" for v in values) + "\n"
    assert decode(stream.encode()) == [ServerSentEvent("\n".join(values))]


def test_sse_event_value_semantics() -> None:
    import copy
    import dataclasses
    import pickle

    event = ServerSentEvent("x", "ping", "7", 10)
    assert event == ServerSentEvent(data="x", event="ping", id="7", retry=10)
    assert event != ServerSentEvent("x", "ping", "7")
    assert event != ("x", "ping", "7", 10)
    assert hash(event) == hash(ServerSentEvent("x", "ping", "7", 10))
    assert ServerSentEvent("y") == ServerSentEvent("y", "message", None, None)
    assert repr(event) == "ServerSentEvent(data='x', event='ping', id='7', retry=10)"
    assert copy.copy(event) == event
    assert pickle.loads(pickle.dumps(event)) == event
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "z"  # type: ignore[misc]
    match event:
        case ServerSentEvent(data, kind):
            assert (data, kind) == ("x", "ping")
