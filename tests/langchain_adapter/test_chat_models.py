"""ChatCloudflareAIGateway over the FakeGateway: configuration, secrets, requests, tools,
structured output, reasoning round trips, retries and event-loop safety."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core._api import LangChainBetaWarning
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field, SecretStr
from typing_extensions import TypedDict

from cf_gateway_core import (
    ChatRequest,
    GatewayConfigError,
    GatewayOptions,
    Message,
    ResponseFormat,
    resolve_route,
)
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway, Reply, Turn, Usage
from cf_gateway_core.wire import get_format
from langchain_cf_gateway import ChatCloudflareAIGateway, __version__
from langchain_cf_gateway._errors import CloudflareRateLimitError

TOKEN = "tok-SECRET-123"
GREETING = "Hello! How can I help you today?"
OPENAI_REPLY = {
    "id": "chatcmpl-1",
    "model": "gpt-5.5",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}


def _model(
    fake: FakeGateway, model: str = "openai/gpt-5.5", **kwargs: Any
) -> ChatCloudflareAIGateway:
    return ChatCloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token=TOKEN,
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kwargs,
    )


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "CLOUDFLARE_ACCOUNT_ID",
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_GATEWAY_ID",
        "CLOUDFLARE_API_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --------------------------------------------------------------------------- configuration


def test_init_reads_environment_and_explicit_wins(env: pytest.MonkeyPatch) -> None:
    env.setenv("CLOUDFLARE_ACCOUNT_ID", "acct-env")
    env.setenv("CLOUDFLARE_API_TOKEN", "tok-env")
    env.setenv("CLOUDFLARE_GATEWAY_ID", "gw-env")
    env.setenv("CLOUDFLARE_API_BASE_URL", "http://127.0.0.1:9/client/v4")
    model = ChatCloudflareAIGateway(model="openai/gpt-5.5")
    assert (model.account_id, model.gateway_id, model.base_url) == (
        "acct-env",
        "gw-env",
        "http://127.0.0.1:9/client/v4",
    )
    assert isinstance(model.api_token, SecretStr)
    assert model.api_token.get_secret_value() == "tok-env"
    explicit = ChatCloudflareAIGateway(
        model_name="openai/gpt-5.5", account_id="acct", api_key="tok"
    )
    assert (explicit.model, explicit.account_id) == ("openai/gpt-5.5", "acct")
    assert explicit.api_token is not None and explicit.api_token.get_secret_value() == "tok"


def test_init_missing_credentials_names_keyword_and_variable(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(GatewayConfigError) as info:
        ChatCloudflareAIGateway(model="openai/gpt-5.5")
    text = str(info.value)
    for word in ("account_id=", "CLOUDFLARE_ACCOUNT_ID", "api_token=", "CLOUDFLARE_API_TOKEN"):
        assert word in text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "@cf/meta/llama-3.1-8b-instruct", "endpoint": "messages"}, "cannot be served"),
        ({"model": "gpt-5.5"}, "no author prefix"),
        (
            {"model": "openai/gpt-5.5", "gateway_options": {"cache_ttll": 60}},
            "unknown gateway_options",
        ),
        ({"model": "openai/gpt-5.5", "base_url": "http://example.com/client/v4"}, "plain http"),
    ],
)
def test_init_bad_configuration_raises_at_construction(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(GatewayConfigError, match=match):
        ChatCloudflareAIGateway(account_id="acct", api_token=TOKEN, **kwargs)


def test_init_rejects_unknown_keywords() -> None:
    with pytest.raises(GatewayConfigError, match=r"'temprature' \(did you mean 'temperature'\?\)"):
        ChatCloudflareAIGateway(
            model="openai/gpt-5.5", account_id="acct", api_token=TOKEN, temprature=0
        )


def test_init_aliases_and_metadata() -> None:
    model = ChatCloudflareAIGateway(
        model_name="openai/gpt-5.5", account_id="acct", api_key=TOKEN, stop_sequences=["END"]
    )
    assert model.stop == ["END"]
    assert model._llm_type == "cloudflare-ai-gateway"
    assert __version__
    assert model._get_ls_params() == {
        "ls_provider": "cloudflare",
        "ls_model_name": "openai/gpt-5.5",
        "ls_model_type": "chat",
        "ls_stop": ["END"],
    }
    assert (
        model._get_ls_params(model="openai/other", temperature=0.2)["ls_model_name"]
        == "openai/other"
    )


def test_gateway_options_are_stored_as_a_dict() -> None:
    model = ChatCloudflareAIGateway(
        model="openai/gpt-5.5",
        account_id="acct",
        api_token=TOKEN,
        gateway_options=GatewayOptions(cache_ttl=120, metadata={"team": "a"}),
    )
    assert model.gateway_options == {"cache_ttl": 120, "metadata": {"team": "a"}}


# --------------------------------------------------------------------------- secrets


def test_token_never_in_repr_str_or_serialized() -> None:
    model = ChatCloudflareAIGateway(model="openai/gpt-5.5", account_id="acct", api_token=TOKEN)
    for text in (
        repr(model),
        str(model),
        dumps(model),
        model.model_dump_json(),
        json.dumps(model.asdict()),
    ):
        assert TOKEN not in text


def test_serialization_round_trip_without_token(env: pytest.MonkeyPatch) -> None:
    model = ChatCloudflareAIGateway(
        model="anthropic/claude-sonnet-4.5", account_id="acct", api_token=TOKEN, temperature=0.5
    )
    serialized = dumpd(model)
    assert serialized["kwargs"]["api_token"] == {
        "lc": 1,
        "type": "secret",
        "id": ["CLOUDFLARE_API_TOKEN"],
    }
    env.setenv("CLOUDFLARE_API_TOKEN", "tok-from-env")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LangChainBetaWarning)  # load() is marked beta upstream
        loaded = load(
            serialized,
            valid_namespaces=["langchain_cf_gateway"],
            allowed_objects=[ChatCloudflareAIGateway],
            secrets_from_env=True,
        )
    assert isinstance(loaded, ChatCloudflareAIGateway)
    assert loaded.asdict() == model.asdict()
    assert loaded.api_token is not None and loaded.api_token.get_secret_value() == "tok-from-env"


# --------------------------------------------------------------------------- requests


def test_request_headers_and_defaults_not_sent() -> None:
    fake = FakeGateway()
    fake.queue_json(OPENAI_REPLY)
    model = _model(
        fake, gateway_id="gw-1", gateway_options={"cache_ttl": 120, "metadata": {"team": "a"}}
    )
    model.invoke("hi")
    request = fake.last_request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["cf-aig-gateway-id"] == "gw-1"
    assert request.headers["cf-aig-cache-ttl"] == "120"
    assert request.headers["cf-aig-metadata"] == '{"team":"a"}'
    assert request.json == {
        "model": "openai/gpt-5.5",
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_request_sampling_opt_ins_and_extra_body() -> None:
    fake = FakeGateway()
    fake.queue_json(OPENAI_REPLY)
    model = _model(
        fake,
        model="@cf/meta/llama-3.1-8b-instruct",
        temperature=0.0,
        max_tokens=50,
        top_p=0.9,
        stop=["END"],
        reasoning_effort="low",
        model_kwargs={"seed": 7},
        extra_body={"options": {"priority": 1}},
        session_affinity="sess-1",
        reject_if_busy=True,
    )
    model.invoke("hi")
    request = fake.last_request
    assert request.headers["x-session-affinity"] == "sess-1"
    assert request.json == {
        "model": "@cf/meta/llama-3.1-8b-instruct",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.0,
        "top_p": 0.9,
        "reasoning_effort": "low",
        "max_tokens": 50,
        "stop": ["END"],
        "seed": 7,
        "options": {"priority": 1, "rejectIfBusy": True},
    }


def test_request_per_call_overrides() -> None:
    fake = FakeGateway()
    fake.queue_json(OPENAI_REPLY)
    model = _model(fake, temperature=0.5, stop=["A"], gateway_options={"cache_ttl": 120})
    result = model.invoke(
        "hi",
        stop=["B"],
        temperature=0.1,
        max_tokens=9,
        model="openai/gpt-5.4-mini",
        gateway_options={"skip_cache": True},
        extra_body={"user": "u1"},
        logprobs=True,
    )
    request = fake.last_request
    assert request.json == {
        "model": "openai/gpt-5.4-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.1,
        "max_completion_tokens": 9,
        "stop": ["B"],
        "user": "u1",
        "logprobs": True,
    }
    assert request.headers["cf-aig-cache-ttl"] == "120"
    assert request.headers["cf-aig-skip-cache"] == "true"
    assert result.response_metadata["model_name"] == "openai/gpt-5.4-mini"


@pytest.mark.parametrize("key", ["api_key", "api_token", "account_id", "base_url", "timeout"])
def test_request_connection_settings_are_not_per_call(key: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=f"{key} is set when the model is created") as info:
        per_call: dict[str, Any] = {key: "LEAK"}
        _model(fake).invoke("hi", **per_call)
    assert "ChatCloudflareAIGateway(" in str(info.value)
    assert "LEAK" not in str(info.value)
    assert fake.requests == []


def test_request_endpoint_per_call_picks_the_route() -> None:
    fake = FakeGateway()
    model = _model(fake, model="openai/gpt-5.5")
    model.invoke("hi", endpoint="responses")
    assert fake.last_request.endpoint == "responses"
    model.invoke("hi")
    assert fake.last_request.endpoint == "chat_completions"


def test_request_unknown_endpoint_per_call_is_the_construction_error() -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError) as at_construction:
        _model(fake, endpoint="chat")
    with pytest.raises(GatewayConfigError) as per_call:
        _model(fake).invoke("hi", endpoint="chat")
    assert str(per_call.value) == str(at_construction.value)
    assert fake.requests == []


def test_request_empty_stop_list_not_sent() -> None:
    fake = FakeGateway()
    fake.queue_json(OPENAI_REPLY)
    _model(fake, stop=[]).invoke("hi")
    assert "stop" not in fake.last_request.json


def test_streaming_flag_streams_under_invoke() -> None:
    fake = FakeGateway().queue_turns(
        Turn(text=GREETING, usage=Usage(input_tokens=12, output_tokens=7))
    )
    model = ChatCloudflareAIGateway(
        model="openai/gpt-5.5",
        account_id="acct",
        api_token=TOKEN,
        streaming=True,
        http_client=fake.client(),
    )
    result = model.invoke("hi")
    assert fake.last_request.json["stream"] is True
    assert result.content == GREETING
    assert result.usage_metadata == {
        "input_tokens": 12,
        "output_tokens": 7,
        "total_tokens": 19,
        "input_token_details": {"cache_read": 0},
        "output_token_details": {"reasoning": 0},
    }


def test_stream_reports_tokens_to_callbacks() -> None:
    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
            self.tokens.append(token)

    handler = Tokens()
    model = _model(FakeGateway().queue_turns(Turn(text=GREETING)))
    text = "".join(c.text for c in model.stream("hi", config={"callbacks": [handler]}))
    assert "".join(handler.tokens) == text == GREETING
    assert len(handler.tokens) > 1  # one callback per streamed piece


def test_batch_and_abatch() -> None:
    model = _model(FakeGateway().queue_turns(Turn(text=GREETING), Turn(text=GREETING)))
    assert [m.content for m in model.batch(["a", "b"])] == [GREETING] * 2
    results = asyncio.run(model.abatch(["a", "b"]))
    assert len(results) == 2


# --------------------------------------------------------------------------- retries, loops


def test_retries_rate_limit_then_succeeds() -> None:
    fake = FakeGateway()
    fake.queue_error(
        429, code=3040, message="Capacity temporarily exceeded", headers={"retry-after": "0"}
    )
    fake.queue_json(OPENAI_REPLY)
    assert _model(fake).invoke("hi").content == "Hi!"
    assert len(fake.requests) == 2


def test_retries_exhausted_raise_the_twin_error() -> None:
    fake = FakeGateway()
    for _ in range(3):
        fake.queue_error(429, code=3040, message="Capacity", headers={"retry-after": "0"})
    with pytest.raises(CloudflareRateLimitError):
        _model(fake, max_retries=2).invoke("hi")
    assert len(fake.requests) == 3


def test_stream_retried_before_first_byte() -> None:
    fake = FakeGateway()
    fake.queue_turns(
        Reply.error(503, message="busy", headers={"retry-after": "0"}), Turn(text=GREETING)
    )
    text = "".join(c.text for c in _model(fake).stream("hi"))
    assert text == GREETING
    assert len(fake.requests) == 2
    assert all(r.json["stream"] is True for r in fake.requests)


@pytest.fixture
def local_gateway() -> Iterator[str]:
    """The emulator's HTTP server on 127.0.0.1, scripted to greet seven times."""
    fake = FakeGateway().queue_turns(*[Turn(text=GREETING)] * 7)
    with run_in_thread(fake) as emulator:
        yield emulator.base_url


def test_async_calls_survive_several_event_loops(local_gateway: str) -> None:
    # Peers keep one AsyncClient per instance and fail on the second asyncio.run().
    model = ChatCloudflareAIGateway(
        model="openai/gpt-5.5", account_id="acct", api_token=TOKEN, base_url=local_gateway
    )

    async def once() -> str:
        first = await model.ainvoke("hi")
        streamed = "".join([c.text async for c in model.astream("hi")])
        return f"{first.text}|{streamed}"

    results = [asyncio.run(once()) for _ in range(3)]
    assert results == [f"{GREETING}|{GREETING}"] * 3
    assert model.invoke("hi").content == GREETING


# --------------------------------------------------------------------------- tools


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"sunny in {city}"


class Calculator(BaseModel):
    """Add two numbers."""

    a: int
    b: int


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@pytest.mark.parametrize(
    ("tool_choice", "openai_wire", "anthropic_wire"),
    [
        ("auto", "auto", {"type": "auto"}),
        ("any", "required", {"type": "any"}),
        ("required", "required", {"type": "any"}),
        (
            "get_weather",
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "tool", "name": "get_weather"},
        ),
    ],
)
def test_bind_tools_choice_reaches_both_wires(
    tool_choice: str, openai_wire: Any, anthropic_wire: Any
) -> None:
    fake = FakeGateway()
    tools: list[Any] = [
        get_weather,
        Calculator,
        multiply,
        {"title": "noop", "description": "Nothing.", "type": "object", "properties": {}},
    ]
    _model(fake).bind_tools(tools, tool_choice=tool_choice).invoke("weather in Oslo?")
    body = fake.last_request.json
    assert [t["function"]["name"] for t in body["tools"]] == [
        "get_weather",
        "Calculator",
        "multiply",
        "noop",
    ]
    assert body["tool_choice"] == openai_wire
    _model(fake, model="anthropic/claude-sonnet-4.5").bind_tools(
        tools, tool_choice=tool_choice
    ).invoke("hi")
    body = fake.last_request.json
    assert [t["name"] for t in body["tools"]] == ["get_weather", "Calculator", "multiply", "noop"]
    assert body["tool_choice"] == anthropic_wire


def test_bind_tools_parallel_flag_and_unknown_choice() -> None:
    fake = FakeGateway()
    _model(fake).bind_tools([get_weather], parallel_tool_calls=False).invoke("hi")
    assert fake.last_request.json["parallel_tool_calls"] is False
    with pytest.raises(GatewayConfigError, match="not one of the bound tools"):
        _model(fake).bind_tools([get_weather], tool_choice="nope")


def test_parallel_streamed_tool_calls_merge_into_tool_calls() -> None:
    base = {"id": "c", "object": "chat.completion.chunk", "model": "m"}

    def delta(**d: Any) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": d}]}

    fake = FakeGateway()
    fake.queue_sse(
        [
            delta(
                tool_calls=[
                    {
                        "index": 0,
                        "id": "a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            ),
            delta(
                tool_calls=[
                    {
                        "index": 1,
                        "id": "b",
                        "type": "function",
                        "function": {"name": "multiply", "arguments": '{"a"'},
                    }
                ]
            ),
            delta(tool_calls=[{"index": 0, "function": {"arguments": '{"city": "Oslo"}'}}]),
            delta(tool_calls=[{"index": 1, "function": {"arguments": ': 2, "b": 3}'}}]),
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
            "[DONE]",
        ]
    )
    full: Any = None
    for chunk in _model(fake).bind_tools([get_weather, multiply]).stream("go"):
        full = chunk if full is None else full + chunk
    assert full.tool_calls == [
        {"name": "get_weather", "args": {"city": "Oslo"}, "id": "a", "type": "tool_call"},
        {"name": "multiply", "args": {"a": 2, "b": 3}, "id": "b", "type": "tool_call"},
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"


# --------------------------------------------------------------------------- structured output


class Joke(BaseModel):
    """A joke."""

    setup: str = Field(description="The setup.")
    punchline: str = Field(description="The punchline.")


class JokeDict(TypedDict):
    """A joke."""

    setup: str
    punchline: str


JOKE_SCHEMA = Joke.model_json_schema()


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
@pytest.mark.parametrize(
    "schema", [Joke, JokeDict, JOKE_SCHEMA], ids=["pydantic", "typeddict", "json_schema"]
)
def test_with_structured_output_methods_and_schemas(method: str, schema: Any) -> None:
    fake = FakeGateway()
    chain = _model(fake).with_structured_output(schema, method=method)  # type: ignore[arg-type]
    result = chain.invoke("Tell a joke. Return JSON with 'setup' and 'punchline' keys.")
    as_dict = result.model_dump() if isinstance(result, BaseModel) else result
    assert set(as_dict) == {"setup", "punchline"}
    assert isinstance(result, Joke) == (schema is Joke)
    body = fake.last_request.json
    if method == "function_calling":
        name = body["tools"][0]["function"]["name"]
        assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
        assert "response_format" not in body
    elif method == "json_schema":
        assert body["response_format"]["type"] == "json_schema"
        assert set(body["response_format"]["json_schema"]["schema"]["properties"]) == {
            "setup",
            "punchline",
        }
    else:
        assert body["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
def test_with_structured_output_on_messages_falls_back_to_function_calling(method: str) -> None:
    fake = FakeGateway()
    model = _model(fake, model="anthropic/claude-sonnet-4.5")
    result = model.with_structured_output(Joke, method=method).invoke("Tell a joke")  # type: ignore[arg-type]
    assert isinstance(result, Joke)
    body = fake.last_request.json
    assert "response_format" not in body
    assert body["tool_choice"] == {"type": "tool", "name": "Joke"}


@pytest.mark.parametrize(
    ("model_id", "endpoint"),
    [
        (m, e)
        for m in ("anthropic/claude-sonnet-4.5", "openai/gpt-5.5", "@cf/meta/llama-3.1-8b-instruct")
        for e in ("chat_completions", "messages", "responses", "run")
        if not (m.startswith("@cf/") and e == "messages")
    ],
)
def test_structured_output_fallback_rule_matches_the_wire(model_id: str, endpoint: str) -> None:
    # Structured output falls back to a forced tool call where Route.takes_response_format is
    # False; the wire format is the authority, so the rule must agree with it.
    route = resolve_route(model_id, endpoint)
    probe = ChatRequest(
        model=model_id,
        messages=(Message.user("probe"),),
        response_format=ResponseFormat(type="json_object"),
    )
    try:
        get_format(route.endpoint).build_payload(probe, route)
    except GatewayConfigError:
        core_takes_format = False
    else:
        core_takes_format = True
    assert route.takes_response_format is core_takes_format


def test_with_structured_output_json_mode_without_schema_on_messages_raises() -> None:
    model = _model(FakeGateway(), model="anthropic/claude-sonnet-4.5")
    with pytest.raises(GatewayConfigError, match="without a schema"):
        model.with_structured_output(None, method="json_mode")  # type: ignore[arg-type]


def test_with_structured_output_include_raw() -> None:
    fake = FakeGateway()
    fake.queue_json({"choices": [{"message": {"content": "not json"}, "finish_reason": "stop"}]})
    chain = _model(fake).with_structured_output(Joke, method="json_mode", include_raw=True)
    out = chain.invoke("joke")
    assert isinstance(out, dict)
    assert isinstance(out["raw"], AIMessage)
    assert out["parsed"] is None
    assert out["parsing_error"] is not None
    good = _model(FakeGateway()).with_structured_output(Joke, include_raw=True).invoke("joke")
    assert isinstance(good, dict)
    assert isinstance(good["parsed"], Joke)
    assert good["parsing_error"] is None


@pytest.mark.parametrize("schema", [Joke, JOKE_SCHEMA], ids=["pydantic", "json_schema"])
def test_with_structured_output_prose_reply_raises_instead_of_none(schema: Any) -> None:
    fake = FakeGateway()
    prose = {"choices": [{"message": {"content": "Why did the cat…"}, "finish_reason": "stop"}]}
    fake.queue_json(prose)
    fake.queue_json(prose)
    with pytest.raises(OutputParserException, match="without calling the structured-output tool"):
        _model(fake).with_structured_output(schema).invoke("joke")
    out = _model(fake).with_structured_output(schema, include_raw=True).invoke("joke")
    assert isinstance(out, dict)
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], OutputParserException)


def test_with_structured_output_rejects_unknown_arguments() -> None:
    with pytest.raises(ValueError, match="unsupported arguments"):
        _model(FakeGateway()).with_structured_output(Joke, tool_name="x")
    with pytest.raises(ValueError, match="not supported"):
        _model(FakeGateway()).with_structured_output(Joke, method="xml")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- reasoning


def test_anthropic_thinking_signature_round_trips_in_a_tool_loop() -> None:
    fake = FakeGateway()
    fake.queue_json(
        {
            "id": "msg_1",
            "model": "claude",
            "content": [
                {"type": "thinking", "thinking": "Need the weather.", "signature": "SIG=="},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"city": "Oslo"},
                },
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
    )
    fake.queue_json(
        {"id": "msg_2", "content": [{"type": "text", "text": "Sunny."}], "stop_reason": "end_turn"}
    )
    model = _model(
        fake, model="anthropic/claude-sonnet-4.5", reasoning_effort="low", max_tokens=8000
    ).bind_tools([get_weather])
    history: list[Any] = [HumanMessage("Weather in Oslo?")]
    first = model.invoke(history)
    assert first.additional_kwargs["reasoning_content"] == "Need the weather."
    assert first.content_blocks[0] == {"type": "reasoning", "reasoning": "Need the weather."}
    history += [first, get_weather.invoke(first.tool_calls[0])]
    assert model.invoke(history).content == "Sunny."
    sent = fake.last_request.json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Need the weather.", "signature": "SIG=="},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
        ],
    }
    assert sent[2]["content"][0]["tool_use_id"] == "toolu_1"


def test_output_version_v1_keeps_reasoning_and_round_trips() -> None:
    fake = FakeGateway()
    fake.queue_json(
        {
            "content": [
                {"type": "thinking", "thinking": "Hmm.", "signature": "S1"},
                {"type": "text", "text": "Hello."},
            ],
            "stop_reason": "end_turn",
        }
    )
    fake.queue_json({"content": [{"type": "text", "text": "Bye."}], "stop_reason": "end_turn"})
    model = _model(fake, model="anthropic/claude-sonnet-4.5", output_version="v1")
    first = model.invoke("hi")
    assert first.content == [
        {"type": "reasoning", "reasoning": "Hmm."},
        {"type": "text", "text": "Hello."},
    ]
    model.invoke([HumanMessage("hi"), first, HumanMessage("bye")])
    assert fake.last_request.json["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "Hmm.", "signature": "S1"},
        {"type": "text", "text": "Hello."},
    ]


def test_tool_message_error_status_reaches_anthropic() -> None:
    fake = FakeGateway()
    history = [
        HumanMessage("add"),
        AIMessage("", tool_calls=[{"name": "multiply", "args": {"a": 1}, "id": "t1"}]),
        ToolMessage("missing b", tool_call_id="t1", status="error"),
    ]
    _model(fake, model="anthropic/claude-sonnet-4.5").invoke(history)
    result = fake.last_request.json["messages"][2]["content"][0]
    assert result["tool_use_id"] == "t1"
    assert result["is_error"] is True


def test_per_call_extra_headers_and_workers_ai_opt_ins_reach_the_wire() -> None:
    from cf_gateway_core.testing import FakeGateway
    from langchain_cf_gateway import ChatCloudflareAIGateway

    fake = FakeGateway()
    llm = ChatCloudflareAIGateway(
        model="@cf/meta/llama-3.1-8b-instruct",
        account_id="acct",
        api_token="tok",
        session_affinity="session-1",
        reject_if_busy=True,
        http_client=fake.client(),
    )
    llm.invoke("hi", extra_headers={"X-Trace": "t-1"})
    sent = fake.last_request
    assert sent.headers["x-session-affinity"] == "session-1"
    assert sent.headers["x-trace"] == "t-1"
    assert sent.json["options"] == {"rejectIfBusy": True}


def test_embeddings_reject_run_endpoint_for_third_party_model_at_construction() -> None:
    import pytest

    from cf_gateway_core import GatewayConfigError
    from langchain_cf_gateway import CloudflareAIGatewayEmbeddings

    with pytest.raises(GatewayConfigError, match="endpoint"):
        CloudflareAIGatewayEmbeddings(
            model="openai/text-embedding-3-small", endpoint="run", account_id="a", api_token="t"
        )


def test_stream_merges_deltas_that_arrive_in_one_read() -> None:
    from cf_gateway_core.testing import FakeGateway, Reply
    from langchain_cf_gateway import ChatCloudflareAIGateway

    frames = [
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": w}}]}
        for w in ("one ", "two ", "three")
    ]
    frames.append(
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    fake = FakeGateway(auto_reply=False)
    fake.queue_sse(Reply.sse([*frames, "[DONE]"]).body)  # one network read
    fake.queue_sse([*frames, "[DONE]"])  # one read per frame
    llm = ChatCloudflareAIGateway(
        model="openai/gpt-5.5", account_id="a", api_token="t", http_client=fake.client()
    )
    together = [c.content for c in llm.stream("hi") if c.content]
    apart = [c.content for c in llm.stream("hi") if c.content]
    assert together == ["one two three"]
    assert apart == ["one ", "two ", "three"]


def test_chat_model_http_client_fields_check_their_type() -> None:
    import httpx

    not_sync = httpx.AsyncClient()
    with httpx.Client() as sync:
        llm = ChatCloudflareAIGateway(
            model="openai/gpt-5.5", account_id="acct", api_token=TOKEN, http_client=sync
        )
        assert llm.http_client is sync
        with pytest.raises(GatewayConfigError, match=r"expected an httpx\.Client, got AsyncClient"):
            ChatCloudflareAIGateway(
                model="openai/gpt-5.5", account_id="acct", api_token=TOKEN, http_client=not_sync
            )
    with pytest.raises(GatewayConfigError, match=r"expected an httpx\.AsyncClient, got str"):
        ChatCloudflareAIGateway(
            model="openai/gpt-5.5", account_id="acct", api_token=TOKEN, http_async_client="x"
        )


def test_chat_model_import_does_not_import_httpx() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from langchain_core.language_models.chat_models import BaseChatModel\n"
        "before = 'httpx' in sys.modules\n"
        "import langchain_cf_gateway\n"
        "print(before, 'httpx' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[0] == "True":
        pytest.skip("langchain-core itself imports httpx here")
    assert out == ["False", "False"]


def test_chat_model_import_leaves_tools_and_error_twins_unloaded() -> None:
    # langchain_core.tools.base (~9 ms) is an annotation here, loaded when tools are bound; the
    # error twins are created on the first error.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from langchain_core.language_models.chat_models import BaseChatModel\n"
        "lazy = ('langchain_core.tools.base', 'langchain_cf_gateway._twins')\n"
        "before = {m for m in lazy if m in sys.modules}\n"
        "import langchain_cf_gateway\n"
        "print(sorted(m for m in lazy if m in sys.modules and m not in before))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_connection_mixin_schema_is_deferred_but_the_models_are_built() -> None:
    from langchain_cf_gateway import CloudflareAIGatewayEmbeddings
    from langchain_cf_gateway._session import SessionModel

    assert not SessionModel.__pydantic_complete__  # never validated itself: not built
    assert "defer_build" not in SessionModel.model_config
    for cls in (ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings):
        assert cls.__pydantic_complete__
        assert "defer_build" not in cls.model_config
