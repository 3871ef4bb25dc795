"""The emulator's default replies: every endpoint in its real wire shape, via the core client."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cf_gateway_core import (
    AuthenticationError,
    BadRequestError,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    GatewayClient,
    GatewayOptions,
    InternalServerError,
    Message,
    NotFoundError,
    RateLimitError,
    ResponseFormat,
    TextDelta,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from cf_gateway_core.emulator._answer import names_tool, synthesise
from cf_gateway_core.emulator._script import (
    ErrorScript,
    ScriptError,
    TextScript,
    ToolScript,
    parse_script,
)
from cf_gateway_core.testing import FakeGateway

ACCOUNT = "acct123"
BASE = f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/"
PROMPT = "What is Cloudflare?"
UUID_LIKE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# (model, endpoint) for every route the routing table serves.
ROUTES = [
    ("openai/gpt-5.5", "chat_completions"),
    ("@cf/meta/llama-3.1-8b-instruct", "chat_completions"),
    ("anthropic/claude-sonnet-4.5", "messages"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
    ("openai/gpt-5.5", "run"),
    ("anthropic/claude-sonnet-4.5", "run"),
]
WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a place.",
    parameters={
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
        },
        "required": ["location"],
    },
)
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def client(fake: FakeGateway) -> Iterator[GatewayClient]:
    with fake.client() as http:
        yield GatewayClient(account_id=ACCOUNT, api_token="tok", http_client=http, max_retries=0)


def ask(text: str = PROMPT, model: str = "openai/gpt-5.5", **fields: Any) -> ChatRequest:
    return ChatRequest(model=model, messages=(Message.user(text),), **fields)


def both(
    client: GatewayClient, request: ChatRequest, endpoint: str, **kw: Any
) -> tuple[ChatResponse, ChatResponse, list[Any]]:
    """The JSON reply, the folded streamed reply and the stream's events."""
    reply = client.chat(request, endpoint=endpoint, **kw)
    stream = client.stream(request, endpoint=endpoint, **kw)
    events = list(stream)
    return reply, stream.result(), events


def essentials(response: ChatResponse) -> tuple[Any, ...]:
    return response.text, response.tool_calls, response.usage, response.finish_reason


def post(
    fake: FakeGateway, path: str, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with fake.client() as http:
        return http.post(
            BASE + path, content=content, headers={"authorization": "Bearer t", **(headers or {})}
        )


def chat_body(**extra: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-5.5", "messages": [{"role": "user", "content": PROMPT}], **extra}


def sse_data(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]


# ----------------------------------------------------------------- every endpoint, JSON and SSE


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_default_reply_text_parses_on_every_endpoint(
    client: GatewayClient, model: str, endpoint: str
) -> None:
    reply, streamed, events = both(client, ask(model=model), endpoint)
    assert PROMPT in reply.text
    assert model in reply.text
    assert reply.finish_reason == "stop"
    assert reply.usage is not None and reply.usage.input_tokens > 0
    assert reply.usage.output_tokens > 0
    assert essentials(streamed) == essentials(reply)
    assert sum(isinstance(e, TextDelta) for e in events) > 5


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_default_reply_tool_call_on_every_endpoint(
    client: GatewayClient, model: str, endpoint: str
) -> None:
    request = ask("What's the weather in Paris for 3 days?", model=model, tools=(WEATHER,))
    reply, streamed, _ = both(client, request, endpoint)
    (call,) = reply.tool_calls
    assert call.name == "get_weather"
    assert dict(call.arguments) == {"location": "Paris", "unit": "celsius", "days": 3}
    assert call.id
    assert reply.finish_reason == "tool_calls"
    assert essentials(streamed) == essentials(reply)


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_default_reply_uses_trailing_tool_result(
    client: GatewayClient, model: str, endpoint: str
) -> None:
    first = client.chat(
        ask("What's the weather in Paris?", model=model, tools=(WEATHER,)), endpoint=endpoint
    )
    call = first.tool_calls[0]
    history = (
        Message.user("What's the weather in Paris?"),
        Message(role="assistant", parts=(call,)),
        Message(
            role="tool",
            parts=(ToolResultPart(tool_call_id=call.id, content="18 degrees and sunny"),),
        ),
    )
    request = ChatRequest(model=model, messages=history, tools=(WEATHER,))
    reply, streamed, _ = both(client, request, endpoint)
    assert not reply.tool_calls
    assert "18 degrees and sunny" in reply.text
    assert essentials(streamed) == essentials(reply)


def test_default_reply_names_the_tool_in_its_answer_when_known(client: GatewayClient) -> None:
    call = ToolCallPart(id="call_1", name="get_weather", arguments={"location": "Paris"})
    history = (
        Message.user("weather?"),
        Message(role="assistant", parts=(call,)),
        Message(role="tool", parts=(ToolResultPart(tool_call_id="call_1", content="rain"),)),
    )
    reply = client.chat(ChatRequest(model="openai/gpt-5.5", messages=history))
    assert reply.text == "The get_weather tool returned: rain"


def test_chat_completions_json_is_an_openai_chat_completion(fake: FakeGateway) -> None:
    body = post(fake, "ai/v1/chat/completions", chat_body()).json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["gatewayMetadata"] == {"keySource": "Unified"}
    assert set(body["usage"]) >= {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_chat_completions_stream_ends_with_usage_chunk_and_done(fake: FakeGateway) -> None:
    body = chat_body(stream=True, stream_options={"include_usage": True})
    response = post(fake, "ai/v1/chat/completions", body)
    assert response.headers["content-type"].startswith("text/event-stream")
    data = sse_data(response)
    assert data[-1] == "[DONE]"
    usage_chunk = json.loads(data[-2])
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["total_tokens"] > 0
    assert all(json.loads(d)["object"] == "chat.completion.chunk" for d in data[:-1])


@pytest.mark.parametrize("options", [None, {}, {"include_usage": False}])
def test_chat_completions_stream_has_no_usage_unless_asked(
    fake: FakeGateway, options: dict[str, Any] | None
) -> None:
    # As OpenAI's: the usage chunk only with stream_options.include_usage (docs/gateway-2026.md).
    extra = {} if options is None else {"stream_options": options}
    data = sse_data(post(fake, "ai/v1/chat/completions", chat_body(stream=True, **extra)))
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(chunk["choices"] for chunk in chunks)
    assert not [chunk for chunk in chunks if "usage" in chunk]


def test_workers_ai_model_gets_no_gateway_metadata(fake: FakeGateway) -> None:
    body = post(fake, "ai/v1/chat/completions", chat_body(model="@cf/meta/llama-3.1-8b-instruct"))
    assert "gatewayMetadata" not in body.json()


def test_messages_stream_is_the_anthropic_event_sequence(fake: FakeGateway) -> None:
    body = {"model": "anthropic/claude-sonnet-4.5", "max_tokens": 100, "stream": True}
    body["messages"] = [{"role": "user", "content": PROMPT}]
    response = post(fake, "ai/v1/messages", body)
    names = [line[7:] for line in response.text.splitlines() if line.startswith("event: ")]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert "[DONE]" not in response.text


def test_responses_stream_is_numbered_and_ends_completed(fake: FakeGateway) -> None:
    body = {"model": "openai/gpt-5.5", "input": PROMPT, "stream": True}
    events = [json.loads(d) for d in sse_data(post(fake, "ai/v1/responses", body))]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["status"] == "completed"


def test_native_run_is_a_v4_envelope_with_legacy_result(fake: FakeGateway) -> None:
    path = "ai/run/@cf/meta/llama-3.1-8b-instruct"
    body = post(fake, path, {"messages": [{"role": "user", "content": PROMPT}]}).json()
    assert body["success"] is True
    assert body["errors"] == [] and body["messages"] == []
    assert PROMPT in body["result"]["response"]
    assert body["result"]["usage"]["total_tokens"] > 0


def test_native_run_accepts_a_bare_prompt(fake: FakeGateway) -> None:
    body = post(fake, "ai/run/@cf/meta/llama-3.1-8b-instruct", {"prompt": "Tell me a joke"})
    assert "Tell me a joke" in body.json()["result"]["response"]


def test_native_run_stream_has_padding_usage_trailer_and_done(fake: FakeGateway) -> None:
    body = {"messages": [{"role": "user", "content": PROMPT}], "stream": True}
    data = sse_data(post(fake, "ai/run/@cf/meta/llama-3.1-8b-instruct", body))
    assert data[-1] == "[DONE]"
    trailer = json.loads(data[-2])
    assert trailer["response"] == "" and trailer["usage"]["total_tokens"] > 0
    assert "p" in json.loads(data[0])


@pytest.mark.parametrize(
    ("model", "inner"),
    [("openai/gpt-5.5", "chat.completion"), ("anthropic/claude-sonnet-4.5", "message")],
)
def test_universal_run_is_doubly_nested_by_model(fake: FakeGateway, model: str, inner: str) -> None:
    payload = {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 64}
    body = post(fake, "ai/run", {"model": model, "input": payload}).json()
    assert body["success"] is True
    assert body["result"]["gatewayMetadata"] == {"keySource": "Unified"}
    result = body["result"]["result"]
    assert result.get("object", result.get("type")) == inner


# ----------------------------------------------------------------- headers and determinism


def test_reply_headers_are_realistic(client: GatewayClient) -> None:
    reply = client.chat(ask(), options=GatewayOptions(event_id="evt-42"))
    assert reply.gateway is not None
    assert reply.gateway.log_id is not None and UUID_LIKE.match(reply.gateway.log_id)
    assert reply.gateway.cache_status == "MISS"
    assert reply.gateway.event_id == "evt-42"
    assert reply.gateway.step == "0"
    assert reply.gateway.key_source == "Unified"


def test_collect_log_false_leaves_out_the_log_id(client: GatewayClient) -> None:
    reply = client.chat(ask(), options=GatewayOptions(collect_log=False))
    assert reply.gateway is not None
    assert reply.gateway.log_id is None
    assert reply.gateway.cache_status == "MISS"


def test_replies_are_deterministic_but_ids_are_unique_per_request(fake: FakeGateway) -> None:
    first, second = (post(fake, "ai/v1/chat/completions", chat_body()) for _ in range(2))
    assert first.content == second.content
    # The gateway gives every request its own log, request and event ids (UUIDv7 since
    # 2026-10-08, docs/gateway-2026.md), even for the same body.
    for header in ("cf-aig-log-id", "cf-aig-request-id", "cf-aig-event-id"):
        ids = {first.headers[header], second.headers[header]}
        assert len(ids) == 2
        assert all(
            re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i)
            for i in ids
        )
    # For a single-step request the log id and the request id are one id.
    assert first.headers["cf-aig-log-id"] == first.headers["cf-aig-request-id"]


# ----------------------------------------------------------------- tools and structured output


def test_tool_not_named_gets_text(client: GatewayClient) -> None:
    reply = client.chat(ask("Hello there", tools=(WEATHER,)))
    assert not reply.tool_calls
    assert "Hello there" in reply.text


@pytest.mark.parametrize(
    "choice", [ToolChoice(mode="tool", name="get_weather"), ToolChoice(mode="required")]
)
@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_forced_tool_is_called_even_when_not_named(
    client: GatewayClient, choice: ToolChoice, model: str, endpoint: str
) -> None:
    request = ask("Hello from Lisbon", model=model, tools=(WEATHER,), tool_choice=choice)
    (call,) = client.chat(request, endpoint=endpoint).tool_calls
    assert call.name == "get_weather"
    assert call.arguments["location"] == "Lisbon"


def test_tool_choice_none_gets_text(client: GatewayClient) -> None:
    request = ask("weather in Paris", tools=(WEATHER,), tool_choice=ToolChoice(mode="none"))
    assert not client.chat(request).tool_calls


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("What's the weather in Paris?", "get_weather", True),
        ("Please multiply 3 by 4", "multiply", True),
        ("What is 3 times 4?", "multiply", False),
        ("Send an address", "add", False),
        ("Look up getWeather now", "getWeather", True),
        ("the stock price of ACME", "fetch_stock_price", True),
        ("search please", "search", True),
        ("research this", "search", False),
    ],
)
def test_names_tool(text: str, name: str, expected: bool) -> None:
    assert names_tool(text, name) is expected


def test_synthesise_covers_json_schema_features() -> None:
    schema = {
        "type": "object",
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "properties": {
            "city": {"type": "string"},
            "query": {"type": "string"},
            "count": {"type": "integer"},
            "ratio": {"type": "number", "minimum": 0.5},
            "flag": {"type": "boolean"},
            "mode": {"enum": ["fast", "slow"]},
            "fixed": {"const": 7},
            "unit": {"type": "string", "default": "metric"},
            "when": {"type": "string", "format": "date"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "point": {"$ref": "#/$defs/Point"},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
            "nullable": {"type": ["null", "boolean"]},
            "both": {"allOf": [{"properties": {"a": {"type": "integer"}}}, {"required": ["a"]}]},
            "nested": {"type": "object", "properties": {"inner": {"type": "array"}}},
        },
    }
    value = synthesise(schema, "Forecast for Berlin: 5 days")
    assert value == {
        "city": "Berlin",
        "query": "Forecast for Berlin: 5 days",
        "count": 5,
        "ratio": 0.5,
        "flag": True,
        "mode": "fast",
        "fixed": 7,
        "unit": "metric",
        "when": "2026-01-01",
        "tags": ["Forecast for Berlin: 5 days"] * 2,
        "point": {"x": 1},
        "maybe": 1,
        "nullable": True,
        "both": {"a": 1},
        "nested": {"inner": ["Forecast for Berlin: 5 days"]},
    }


def test_synthesise_survives_recursive_and_broken_refs() -> None:
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}, "bad": {"$ref": "#/$defs/Missing"}},
    }
    value = synthesise(schema, "x")
    assert value["bad"] is None
    depth, node = 0, value["root"]
    while isinstance(node, dict):
        node, depth = node["next"], depth + 1
    assert 3 < depth < 20


@pytest.mark.parametrize(
    ("model", "endpoint"),
    [
        ("openai/gpt-5.5", "chat_completions"),
        ("@cf/meta/llama-3.1-8b-instruct", "chat_completions"),
        ("openai/gpt-5.5", "responses"),
        ("@cf/meta/llama-3.1-8b-instruct", "run"),
        ("openai/gpt-5.5", "run"),
    ],
)
def test_json_schema_response_format_gets_schema_json(
    client: GatewayClient, model: str, endpoint: str
) -> None:
    fmt = ResponseFormat(type="json_schema", name="person", schema=PERSON_SCHEMA)
    request = ask("Anna is 31 years old", model=model, response_format=fmt)
    reply, streamed, _ = both(client, request, endpoint)
    assert json.loads(reply.text) == {"name": "Anna", "age": 31}
    assert streamed.text == reply.text


def test_json_object_mode_gets_an_object(client: GatewayClient) -> None:
    reply = client.chat(ask(response_format=ResponseFormat(type="json_object")))
    assert PROMPT in json.loads(reply.text)["answer"]


def test_native_json_mode_puts_the_object_in_response(fake: FakeGateway) -> None:
    body = {
        "messages": [{"role": "user", "content": "Anna is 31"}],
        "response_format": {"type": "json_schema", "json_schema": PERSON_SCHEMA},
    }
    result = post(fake, "ai/run/@cf/meta/llama-3.1-8b-instruct", body).json()["result"]
    assert result["response"] == {"name": "Anna", "age": 31}


def test_anthropic_output_format_gets_schema_json(fake: FakeGateway) -> None:
    body = {
        "model": "anthropic/claude-sonnet-4.5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Anna is 31"}],
        "output_format": {"type": "json_schema", "schema": PERSON_SCHEMA},
    }
    content = post(fake, "ai/v1/messages", body).json()["content"]
    assert json.loads(content[0]["text"]) == {"name": "Anna", "age": 31}


# ----------------------------------------------------------------- embeddings


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


@pytest.mark.parametrize("endpoint", ["auto", "run"])
def test_embeddings_are_deterministic_unit_vectors(client: GatewayClient, endpoint: str) -> None:
    request = EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=["cat", "dog", "cat"])
    vectors = client.embed(request, endpoint=endpoint).vectors
    assert [len(v) for v in vectors] == [768] * 3
    assert vectors[0] == vectors[2]
    assert vectors[0] != vectors[1]
    assert norm(vectors[1]) == pytest.approx(1.0, abs=1e-5)
    again = client.embed(request, endpoint=endpoint).vectors
    assert again == vectors


@pytest.mark.parametrize(
    ("model", "size"),
    [
        ("@cf/baai/bge-small-en-v1.5", 384),
        ("@cf/baai/bge-large-en-v1.5", 1024),
        ("@cf/baai/bge-m3", 1024),
        ("openai/text-embedding-3-small", 1536),
        ("acme/unknown-embedder", 768),
    ],
)
def test_embedding_sizes_follow_the_model(model: str, size: int) -> None:
    # acme/unknown-embedder is not in the catalogue: only an accept-any-model emulator answers.
    fake = FakeGateway(accept_any_model=True)
    client = GatewayClient(account_id="acct", api_token="t", http_client=fake.client())
    vectors = client.embed(EmbeddingRequest(model=model, texts=["hi"])).vectors
    assert len(vectors[0]) == size


def test_embeddings_honour_dimensions(client: GatewayClient) -> None:
    request = EmbeddingRequest(model="openai/text-embedding-3-small", texts=["a"], dimensions=64)
    assert len(client.embed(request).vectors[0]) == 64


def test_native_embeddings_body_has_shape_and_data(fake: FakeGateway) -> None:
    body = post(fake, "ai/run/@cf/baai/bge-base-en-v1.5", {"text": ["a", "b"]}).json()
    assert body["success"] is True
    assert body["result"]["shape"] == [2, 768]
    assert len(body["result"]["data"]) == 2
    assert body["result"]["pooling"] == "mean"


def test_openai_embeddings_body_is_a_list(fake: FakeGateway) -> None:
    body = post(fake, "ai/v1/embeddings", {"model": "@cf/baai/bge-m3", "input": "hi"}).json()
    assert body["object"] == "list"
    assert body["data"][0]["object"] == "embedding" and body["data"][0]["index"] == 0


# ----------------------------------------------------------------- header scripting


def test_script_error_429_raises_rate_limit_with_retry_after(client: GatewayClient) -> None:
    headers = {"x-emulator-reply": "error status=429 code=2003 retry-after=1"}
    with pytest.raises(RateLimitError) as info:
        client.chat(ask(), extra_headers=headers)
    assert info.value.code == 2003
    assert info.value.message == "Rate limited"
    assert info.value.headers["retry-after"] == "1"
    assert info.value.log_id is not None


def test_script_error_401_raises_authentication_error(client: GatewayClient) -> None:
    with pytest.raises(AuthenticationError) as info:
        client.chat(ask(), extra_headers={"x-emulator-reply": "error status=401 code=10000"})
    assert info.value.message == "Authentication error"


def test_script_error_code_alone_picks_status_and_message(client: GatewayClient) -> None:
    with pytest.raises(NotFoundError) as info:
        client.chat(
            ask(model="openai/gpt-9"), extra_headers={"x-emulator-reply": "error code=7003"}
        )
    assert info.value.status_code == 404
    assert info.value.message == "Model not found: openai/gpt-9"


def test_script_error_custom_message_on_stream(client: GatewayClient) -> None:
    headers = {"x-emulator-reply": 'error status=503 message="down for lunch"'}
    with pytest.raises(InternalServerError, match="down for lunch"):
        list(client.stream(ask(), extra_headers=headers))


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_script_text_answers_exactly(client: GatewayClient, model: str, endpoint: str) -> None:
    headers = {"x-emulator-reply": 'text="The answer is 42."'}
    reply, streamed, _ = both(client, ask(model=model), endpoint, extra_headers=headers)
    assert reply.text == streamed.text == "The answer is 42."


def test_script_tool_calls_the_named_tool(client: GatewayClient) -> None:
    headers = {"x-emulator-reply": 'tool=get_weather args=\'{"location": "Oslo"}\''}
    (call,) = client.chat(ask("hi", tools=(WEATHER,)), extra_headers=headers).tool_calls
    assert (call.name, dict(call.arguments)) == ("get_weather", {"location": "Oslo"})
    headers = {"x-emulator-reply": "tool=get_weather"}
    (call,) = client.chat(ask("in Rome", tools=(WEATHER,)), extra_headers=headers).tool_calls
    assert call.arguments["location"] == "Rome"


def test_queued_reply_wins_over_the_header(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_error(500, message="queued", endpoint="chat_completions")
    with pytest.raises(InternalServerError, match="queued"):
        client.chat(ask(), extra_headers={"x-emulator-reply": 'text="no"'})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("error status=429 code=2003", ErrorScript(429, 2003)),
        ('error code=2045 message="over budget"', ErrorScript(429, 2045, "over budget")),
        ("error status=500 retry-after=3", ErrorScript(500, None, None, 3)),
        ("text='two words'", TextScript("two words")),
        ("tool=f args='{\"a\": 1}'", ToolScript("f", {"a": 1})),
    ],
)
def test_parse_script(header: str, expected: object) -> None:
    assert parse_script(header) == expected


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("", "empty"),
        ("bogus", "unknown reply 'bogus'"),
        ("error", "needs status=N"),
        ("error code=1234", "needs status=N"),
        ("error status=99", "status must be an integer from 400 to 599"),
        ("error status=abc", "status must be an integer"),
        ("error status=429 status=429", "given twice"),
        ("error status=429 colour=red", "does not take colour"),
        ("error status=429 loose", "is not NAME=VALUE"),
        ("error=1", "'error' takes no '='"),
        ("text", "needs 'text=VALUE'"),
        ('text="unterminated', "cannot split"),
        ("text=hi extra=1", "does not take extra"),
        ("tool=", "needs a tool name"),
        ("tool=f args=[1]", "must be a JSON object"),
        ("tool=f args={", "not valid JSON"),
    ],
)
def test_bad_script_header_is_a_400_saying_what_is_wrong(
    client: GatewayClient, header: str, problem: str
) -> None:
    with pytest.raises(ScriptError, match=re.escape(problem)):
        parse_script(header)
    with pytest.raises(BadRequestError, match=re.escape(problem)) as info:
        client.chat(ask(), extra_headers={"x-emulator-reply": header})
    assert info.value.status_code == 400


# ----------------------------------------------------------------- auth and malformed requests


def test_missing_token_is_401_10000(fake: FakeGateway) -> None:
    with fake.client() as http:
        response = http.post(BASE + "ai/v1/chat/completions", json=chat_body())
    assert response.status_code == 401
    assert response.json()["errors"] == [{"message": "Authentication error", "code": 10000}]


@pytest.mark.parametrize(
    ("path", "body", "status", "code", "message"),
    [
        ("ai/v1/chat/completions", b"{nope", 400, 7003, "not valid JSON"),
        ("ai/v1/chat/completions", [1, 2], 400, 7003, "expected object, received array"),
        ("ai/v1/chat/completions", {"messages": []}, 400, 7003, "Required value missing: model"),
        ("ai/v1/chat/completions", {"model": "openai/x"}, 400, 7003, "missing: messages"),
        (
            "ai/v1/chat/completions",
            {"model": "openai/x", "messages": "hi"},
            400,
            7003,
            "Invalid value at messages: Invalid input: expected array, received string",
        ),
        ("ai/v1/chat/completions", {"model": "openai/x", "messages": []}, 400, 7003, "non-empty"),
        (
            "ai/v1/messages",
            {"model": "anthropic/claude-sonnet-4.5", "messages": []},
            400,
            7003,
            "Required value missing: max_tokens",
        ),
        (
            "ai/v1/messages",
            {
                "model": "anthropic/claude-sonnet-4.5",
                "messages": [],
                "max_tokens": 5,
                "system": [{"type": "text", "text": "x"}],
            },
            400,
            7003,
            "Invalid value at system: Invalid input: expected string, received array",
        ),
        (
            "ai/v1/messages",
            {"model": "@cf/meta/llama-3.1-8b-instruct", "messages": [], "max_tokens": 5},
            400,
            7003,
            "Workers AI model",
        ),
        ("ai/v1/responses", {"model": "openai/x"}, 400, 7003, "missing: input"),
        ("ai/v1/chat/completions", chat_body(model="gpt-5.5"), 404, 7003, "Model not found"),
        ("ai/run/openai/gpt-5.5", {"messages": []}, 400, 5007, "No such model openai/gpt-5.5"),
        ("ai/run/@cf/meta/llama-3.1-8b-instruct", {}, 400, 7003, "missing: messages"),
        ("ai/run", {"model": "openai/x", "input": "hi"}, 400, 7003, "expected object"),
        ("ai/v1/embeddings", {"model": "@cf/baai/bge-m3", "input": [1]}, 400, 7003, "strings"),
        (
            "ai/v1/embeddings",
            {"model": "@cf/baai/bge-m3", "input": ["a"] * 101},
            400,
            7003,
            "1 to 100",
        ),
        ("ai/v1/nope", chat_body(), 404, 7000, "No route for that URI"),
    ],
)
def test_malformed_requests_get_v4_errors(
    fake: FakeGateway, path: str, body: Any, status: int, code: int, message: str
) -> None:
    response = post(fake, path, body)
    assert response.status_code == status
    envelope = response.json()
    assert envelope["success"] is False and envelope["result"] is None
    assert envelope["errors"][0]["code"] == code
    assert message in envelope["errors"][0]["message"]


def test_get_is_not_allowed(fake: FakeGateway) -> None:
    with fake.client() as http:
        response = http.get(BASE + "ai/v1/chat/completions", headers={"authorization": "Bearer t"})
    assert response.status_code == 405


def test_auto_reply_off_answers_500_no_reply_queued() -> None:
    fake = FakeGateway(auto_reply=False)
    with fake.client() as http:
        client = GatewayClient(account_id=ACCOUNT, api_token="t", http_client=http, max_retries=0)
        with pytest.raises(InternalServerError, match="no reply queued"):
            client.chat(ask())
