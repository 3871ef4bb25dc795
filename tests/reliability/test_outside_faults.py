"""README promises checked the way an outside tester checks them: a fault server in a separate
process speaking raw HTTP/1.1 (``fault_process``), every case through the core clients and both
adapters, sync and async (the async core on its default aiohttp path and on httpx). See
docs/reliability.md."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from cf_gateway_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    GatewayError,
    InternalServerError,
    StreamError,
)
from tests.reliability.outside import (
    ADAPTERS,
    EMBEDDERS,
    MODELS,
    SURFACES,
    Call,
    FaultProcess,
    fault_process,
)

_tags = itertools.count()

# Every case runs through all seven surfaces on Chat Completions; the other wire formats (whose
# end signals live in the shared core decoders) run through a sync core and an async adapter.
_OTHER_WIRES = [w for w in MODELS if w != "chat_completions"]
WIRE_SURFACES = [("chat_completions", s) for s in SURFACES] + [
    (w, s) for w in _OTHER_WIRES for s in ("core-sync", "langchain-async", "llamaindex-async")
]


@pytest.fixture(scope="module")
def server() -> Iterator[FaultProcess]:
    with fault_process() as running:
        yield running


def _call(server: FaultProcess, fault: str, wire: str, stream: bool, **kw: float) -> Call:
    # A fresh account id per case keeps the server's attempt counts apart.
    return Call(server.base_url, f"{fault}-{next(_tags)}", wire, stream, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- streams (13.2)


@pytest.mark.parametrize(("wire", "surface"), WIRE_SURFACES)
def test_a_good_stream_and_reply_say_hello(server: FaultProcess, wire: str, surface: str) -> None:
    # The control case: the same server, unfaulted, is read in full.
    for stream in (False, True):
        assert SURFACES[surface](_call(server, "ok", wire, stream)) == "Hello"


@pytest.mark.parametrize(("wire", "surface"), WIRE_SURFACES)
@pytest.mark.parametrize("fault", ["no_end", "dies", "no_blank"])
def test_a_stream_without_its_end_signal_raises_with_the_partial_text(
    server: FaultProcess, fault: str, wire: str, surface: str
) -> None:
    call = _call(server, fault, wire, True)
    with pytest.raises(StreamError) as info:
        SURFACES[surface](call)
    assert info.value.partial_text == "Hello"
    assert server.count(call.account) == 1  # nothing is retried after the first byte


@pytest.mark.parametrize(("wire", "surface"), WIRE_SURFACES)
@pytest.mark.parametrize("fault", ["end_then_cut", "end_then_stall"])
def test_a_break_after_the_end_signal_keeps_the_complete_reply(
    server: FaultProcess, fault: str, wire: str, surface: str
) -> None:
    # [DONE] / message_stop / response.completed arrived: the reply is complete, and a body
    # that is then cut, or stalls past the timeout, must not turn it into a StreamError.
    call = _call(server, fault, wire, True, timeout=0.3)
    assert SURFACES[surface](call) == "Hello"
    assert server.count(call.account) == 1


@pytest.mark.parametrize(("wire", "surface"), WIRE_SURFACES)
def test_a_v4_error_envelope_mid_stream_raises_its_code(
    server: FaultProcess, wire: str, surface: str
) -> None:
    with pytest.raises(StreamError, match="Capacity exceeded") as info:
        SURFACES[surface](_call(server, "v4_mid", wire, True))
    assert info.value.code == 3040
    assert info.value.partial_text == "Hello"


# --------------------------------------------------------------------------- bodies (13.3)

# fault -> (error class, retried?)
_BODY_FAULTS: dict[str, tuple[type[GatewayError], bool]] = {
    "cut_body": (APIConnectionError, True),
    "stall_body": (APITimeoutError, True),
    "bad_gzip": (APIConnectionError, True),
    "bad_gzip_500": (InternalServerError, True),
    "bad_deflate": (APIConnectionError, True),
    "bad_chunk": (APIConnectionError, True),
    "deep_json": (GatewayError, False),
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream-answered-with-json"])
@pytest.mark.parametrize("surface", ["core-sync", "core-async", "core-async-httpx"])
@pytest.mark.parametrize("fault", _BODY_FAULTS)
def test_a_body_that_fails_after_good_headers_is_typed_and_retried(
    server: FaultProcess, fault: str, surface: str, stream: bool
) -> None:
    error, retried = _BODY_FAULTS[fault]
    call = _call(server, fault, "chat_completions", stream, max_retries=2, timeout=0.2)
    with pytest.raises(error) as info:
        SURFACES[surface](call)
    assert not isinstance(info.value, StreamError)
    assert server.count(call.account) == (3 if retried else 1)


@pytest.mark.parametrize(
    ("surface", "stream"),
    [(s, False) for s in ADAPTERS] + [("langchain-async", True), ("llamaindex-sync", True)],
)
@pytest.mark.parametrize("fault", _BODY_FAULTS)
def test_adapters_raise_the_same_typed_body_errors(
    server: FaultProcess, fault: str, surface: str, stream: bool
) -> None:
    error, _ = _BODY_FAULTS[fault]
    call = _call(server, fault, "chat_completions", stream, timeout=0.2)
    with pytest.raises(error):
        SURFACES[surface](call)
    assert server.count(call.account) == 1  # max_retries=0


@pytest.mark.parametrize("surface", ADAPTERS)
@pytest.mark.parametrize("fault", ["cut_body", "stall_body"])
def test_adapters_retry_a_broken_body_by_the_usual_rules(
    server: FaultProcess, fault: str, surface: str
) -> None:
    call = _call(server, fault, "chat_completions", False, max_retries=1, timeout=0.2)
    with pytest.raises(_BODY_FAULTS[fault][0]):
        SURFACES[surface](call)
    assert server.count(call.account) == 2


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("fault", "status", "says"),
    [
        ("redirect", 302, "https://elsewhere.example/v4"),
        ("no_content", 204, "no content"),
        ("not_modified", 304, "not modified"),
    ],
)
def test_statuses_without_a_reply_name_the_status(
    server: FaultProcess, fault: str, status: int, says: str, surface: str
) -> None:
    call = _call(server, fault, "chat_completions", False, max_retries=2)
    with pytest.raises(APIStatusError, match=says) as info:
        SURFACES[surface](call)
    assert info.value.status_code == status
    assert server.count(call.account) == 1  # not retried, not followed


# --------------------------------------------------------------------------- embeddings (13.4)


@pytest.mark.parametrize("surface", EMBEDDERS)
@pytest.mark.parametrize("fault", ["emb_short", "emb_extra", "emb_dup"])
def test_embeddings_that_do_not_match_their_texts_raise(
    server: FaultProcess, fault: str, surface: str
) -> None:
    call = _call(server, fault, "chat_completions", False)
    with pytest.raises(GatewayError, match="cannot be matched"):
        EMBEDDERS[surface](call, ["a", "b", "c", "d"])


@pytest.mark.parametrize("surface", EMBEDDERS)
def test_embeddings_are_checked_per_batch_of_a_large_input(
    server: FaultProcess, surface: str
) -> None:
    texts = [f"text {i}" for i in range(150)]
    good = EMBEDDERS[surface](_call(server, "ok", "chat_completions", False), texts)
    assert [v[0] for v in good] == [float(i % 100) for i in range(150)]
    with pytest.raises(GatewayError, match="cannot be matched"):
        EMBEDDERS[surface](_call(server, "emb_short", "chat_completions", False), texts)
