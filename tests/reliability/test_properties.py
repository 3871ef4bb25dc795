"""Property-based robustness: whatever the gateway sends, every parser and the error classifier
return a value or raise a ``GatewayError`` subclass — never another exception — and payload
builders given arbitrary neutral requests build JSON-serialisable payloads or raise
``GatewayConfigError``. (Chunking independence of the SSE decoder: tests/core/test_sse.py.)
"""

from __future__ import annotations

import contextlib
import json
import math
import pickle
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cf_gateway_core import (
    APIStatusError,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    Endpoint,
    GatewayClient,
    GatewayConfigError,
    GatewayError,
    ImagePart,
    Message,
    ReasoningPart,
    ResponseFormat,
    RetryPolicy,
    StreamAccumulator,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    resolve_route,
)
from cf_gateway_core.errors import error_from_response
from cf_gateway_core.routing import embeddings_route
from cf_gateway_core.sse import ServerSentEvent
from cf_gateway_core.wire import embeddings, get_format
from tests.reliability.conftest import ACCOUNT, TOKEN
from tests.reliability.strategies import arguments, json_objects, json_values, texts, words

CHAT_ENDPOINTS = [Endpoint.CHAT_COMPLETIONS, Endpoint.MESSAGES, Endpoint.RESPONSES, Endpoint.RUN]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _shaped(key: str, inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda extra, value: {**extra, key: value}, json_objects, inner)


# Bodies shaped like each API's reply, with random insides.
reply_bodies = st.one_of(
    json_values,
    _shaped("choices", st.lists(_shaped("message", json_objects) | json_values, max_size=3)),
    _shaped("content", st.lists(_shaped("type", words) | json_objects, max_size=4)),
    _shaped("output", st.lists(_shaped("type", words) | json_objects, max_size=4)),
    _shaped("result", json_objects | _shaped("result", json_objects)),
    _shaped("data", st.lists(json_values | _shaped("embedding", json_values), max_size=4)),
)


@contextlib.contextmanager
def _value_or_gateway_error() -> Iterator[None]:
    """Pass on success or a GatewayError; fail on any other exception."""
    with contextlib.suppress(GatewayError):
        yield


def _assert_value_or_gateway_error(call: Any, *args: Any) -> Any:
    with _value_or_gateway_error():
        return call(*args)
    return None


# --- parsers ----------------------------------------------------------------------------------


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=reply_bodies)
def test_property_every_parser_returns_a_value_or_gateway_error(body: Any) -> None:
    for endpoint in CHAT_ENDPOINTS:
        result = _assert_value_or_gateway_error(get_format(endpoint).parse_response, body)
        assert result is None or isinstance(result, ChatResponse), endpoint
    vectors = _assert_value_or_gateway_error(embeddings.parse_response, body)
    if vectors is not None:
        assert all(isinstance(x, float) for vector in vectors.vectors for x in vector)


sse_data = st.one_of(
    json_values.map(json.dumps),
    _shaped("type", words).map(json.dumps),
    _shaped("choices", st.lists(_shaped("delta", json_objects), max_size=2)).map(json.dumps),
    st.just("[DONE]"),
    st.text(max_size=20),
)
sse_events = st.builds(
    ServerSentEvent,
    data=sse_data,
    event=st.just("message") | words,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(sse_events, max_size=12))
def test_property_every_chunk_decoder_yields_events_or_gateway_error(
    events: list[ServerSentEvent],
) -> None:
    for endpoint in CHAT_ENDPOINTS:
        decoder = get_format(endpoint).new_decoder()
        accumulator = StreamAccumulator()
        with _value_or_gateway_error():
            for event in events:
                for out in decoder.feed(event):
                    accumulator.add(out)
            for out in decoder.close():
                accumulator.add(out)
        assert isinstance(accumulator.result(), ChatResponse), endpoint


# --- the error classifier and the retry policy ------------------------------------------------

header_values = st.one_of(
    st.text(st.characters(codec="ascii"), max_size=30),
    st.sampled_from(
        ["0", "-10", "inf", "nan", "1e400", "121", "0.5", "Wed, 21 Oct 2015 07:28:00 GMT",
         "Zun, 01 Jan 100000 00:00:00 GMT", "9" * 40, ""]
    ),
)  # fmt: skip
error_headers = st.dictionaries(
    st.sampled_from(["retry-after", "retry-after-ms", "cf-ray", "cf-aig-log-id", "content-type"]),
    header_values,
)
error_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    reply_bodies.map(lambda v: json.dumps(v).encode()),
    st.builds(
        lambda code, message: json.dumps(
            {"success": False, "errors": [{"code": code, "message": message}]}
        ).encode(),
        json_values,
        json_values,
    ),
    st.text(max_size=200).map(lambda t: f"error code: {t}".encode()),
)


@settings(max_examples=100, deadline=None)
@given(status=st.integers(100, 599), headers=error_headers, content=error_bodies)
def test_property_error_classifier_always_returns_a_status_error(
    status: int, headers: dict[str, str], content: bytes
) -> None:
    error = error_from_response(status, headers, content)
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert isinstance(str(error), str) and isinstance(repr(error), str)
    assert error.code is None or isinstance(error.code, int)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    policy = RetryPolicy(max_retries=10**6)
    for attempt in (0, 1, 3, 10, 1_100, 999_999):  # 2.0 ** 1100 used to overflow
        delay = policy.next_delay(attempt, error)
        assert delay is None or 0.0 <= delay <= max(policy.max_delay, policy.max_retry_after)
        assert delay is None or math.isfinite(delay)


# --- the whole client: any status, content type and body -------------------------------------

content_types = st.sampled_from(
    ["application/json", "text/event-stream", "text/event-stream; charset=utf-8", "text/html",
     "text/plain", ""]
)  # fmt: skip
sse_bodies = st.lists(sse_data, max_size=8).map(
    lambda frames: "".join(f"data: {f}\n\n" for f in frames).encode()
)
response_bodies = st.one_of(st.binary(max_size=300), error_bodies, sse_bodies)


def _client(status: int, content_type: str, body: bytes) -> GatewayClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-type": content_type}, content=body)

    return GatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


CLIENT_ROUTES = [
    ("openai/gpt-5.5", "auto"),
    ("anthropic/claude-sonnet-4.5", "auto"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([200, 200, 200, 201, 400, 429, 500]),
    content_type=content_types,
    body=response_bodies,
)
def test_property_client_turns_any_reply_into_a_value_or_gateway_error(
    status: int, content_type: str, body: bytes
) -> None:
    client = _client(status, content_type, body)
    for model, endpoint in CLIENT_ROUTES:
        request = ChatRequest(model=model, messages=(Message.user("hi"),))
        with _value_or_gateway_error():
            assert isinstance(client.chat(request, endpoint=endpoint), ChatResponse)
        with _value_or_gateway_error(), client.stream(request, endpoint=endpoint) as events:
            for _ in events:
                pass


@SETTINGS
@given(status=st.sampled_from([200, 200, 400, 500]), body=response_bodies)
def test_property_embed_turns_any_reply_into_vectors_or_gateway_error(
    status: int, body: bytes
) -> None:
    client = _client(status, "application/json", body)
    with contextlib.suppress(GatewayError):
        client.embed(EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=["a", "b"]))


# --- payload builders given arbitrary neutral requests ----------------------------------------

urls = st.one_of(
    st.just("https://example.com/cat.png"),
    st.builds(lambda t, d: f"data:{t};base64,{d}", st.sampled_from(
        ["image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf", "text/plain", ""]
    ), st.sampled_from(["iVBORw0KGgo=", "", "!!not base64"])),
    texts,
)  # fmt: skip
image_parts = st.builds(ImagePart, url=urls, detail=st.none() | st.sampled_from(["low", "high"]))
tool_calls = st.builds(
    ToolCallPart,
    id=texts,
    name=texts,
    arguments=arguments,
    raw_arguments=st.none() | texts,
    error=st.none() | texts,
)
tool_results = st.builds(
    ToolResultPart,
    tool_call_id=texts,
    content=texts | st.tuples(st.builds(TextPart, texts) | image_parts),
    name=st.none() | texts,
    is_error=st.booleans(),
)
reasoning_parts = st.builds(
    ReasoningPart, text=texts, signature=st.none() | texts, redacted_data=st.none() | texts
)
parts = st.one_of(
    st.builds(TextPart, texts), image_parts, tool_calls, tool_results, reasoning_parts
)
messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool"]),
    parts=st.lists(parts, max_size=3).map(tuple),
    name=st.none() | texts,
)
tool_specs = st.builds(
    ToolSpec,
    name=texts,
    description=texts,
    parameters=st.just({"type": "object", "properties": {}}) | json_objects,
    strict=st.none() | st.booleans(),
)
tool_choices = st.builds(
    ToolChoice,
    mode=st.sampled_from(["auto", "none", "required", "tool"]),
    name=st.none() | texts,
)
response_formats = st.builds(
    ResponseFormat,
    type=st.sampled_from(["json_object", "json_schema"]),
    name=st.none() | texts,
    schema=st.none() | json_objects,
    strict=st.none() | st.booleans(),
)
finite = st.floats(min_value=-10, max_value=10, allow_nan=False)


@st.composite
def chat_requests(draw: st.DrawFn, model: str) -> ChatRequest:
    return ChatRequest(
        model=model,
        messages=tuple(draw(st.lists(messages, max_size=4))),
        tools=tuple(draw(st.lists(tool_specs, max_size=2))),
        tool_choice=draw(st.none() | tool_choices),
        parallel_tool_calls=draw(st.none() | st.booleans()),
        response_format=draw(st.none() | response_formats),
        temperature=draw(st.none() | finite),
        max_tokens=draw(st.none() | st.integers(-5, 200_000)),
        top_p=draw(st.none() | finite),
        stop=draw(st.none() | st.lists(texts, max_size=3).map(tuple)),
        reasoning_effort=draw(st.none() | st.sampled_from(["low", "medium", "high"]) | texts),
        stream=draw(st.booleans()),
        extra_body=draw(st.dictionaries(st.text(max_size=6), json_values, max_size=2)),
    )


ROUTES = [
    ("openai/gpt-5.5", Endpoint.CHAT_COMPLETIONS),
    ("@cf/meta/llama-3.1-8b-instruct", Endpoint.CHAT_COMPLETIONS),
    ("anthropic/claude-sonnet-4.5", Endpoint.MESSAGES),
    ("openai/gpt-5.5", Endpoint.RESPONSES),
    ("@cf/meta/llama-3.1-8b-instruct", Endpoint.RUN),
    ("openai/gpt-5.5", Endpoint.RUN),
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=chat_requests("any/model"))
def test_property_build_payload_is_valid_json_or_config_error(request: ChatRequest) -> None:
    for model, endpoint in ROUTES:
        route = resolve_route(model, endpoint)
        try:
            payload = get_format(endpoint).build_payload(replace(request, model=model), route)
        except GatewayConfigError as exc:
            message = str(exc)  # a message that says what to do
            assert message
            continue
        assert isinstance(payload, dict)
        json.dumps(payload, allow_nan=False)


@SETTINGS
@given(
    texts=st.lists(st.text(max_size=10), max_size=120),
    dimensions=st.none() | st.integers(-3, 4096),
)
def test_property_embeddings_payload_is_valid_or_config_error(
    texts: list[str], dimensions: int | None
) -> None:
    model = "@cf/baai/bge-base-en-v1.5"
    for endpoint in ("auto", "run"):
        request = EmbeddingRequest(model=model, texts=texts, dimensions=dimensions)
        try:
            payload = embeddings.build_payload(request, embeddings_route(model, endpoint))
        except GatewayConfigError:
            assert not texts or len(texts) > embeddings.MAX_BATCH or dimensions is not None
            continue
        json.dumps(payload, allow_nan=False)


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        (Endpoint.MESSAGES, {"type": "message", "content": [{"type": ["text"]}]}),
        (Endpoint.RESPONSES, {"object": "response", "output": [{"type": ["message"]}]}),
    ],
    ids=["anthropic_reply.parse_response", "responses_stream._item_events"],
)
def test_property_parse_response_with_list_type_is_a_value_or_gateway_error(
    endpoint: Endpoint, body: dict[str, Any]
) -> None:
    # A non-string "type" is read leniently: the item is ignored (a value) or the body is
    # rejected as unreadable (a GatewayError) — never a bare TypeError from a table lookup.
    _assert_value_or_gateway_error(get_format(endpoint).parse_response, body)


@pytest.mark.parametrize(
    "endpoint",
    [Endpoint.MESSAGES, Endpoint.RESPONSES, Endpoint.RUN],
    ids=["anthropic_stream.feed", "responses_stream.feed", "workers_ai_stream._dispatch"],
)
def test_property_chunk_decoder_with_list_type_yields_nothing_or_gateway_error(
    endpoint: Endpoint,
) -> None:
    decoder = get_format(endpoint).new_decoder()
    with contextlib.suppress(GatewayError):
        decoder.feed(ServerSentEvent('{"type": ["message_start"]}'))
        decoder.close()
