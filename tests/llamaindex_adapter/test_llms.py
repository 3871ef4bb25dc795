"""CloudflareAIGateway over FakeGateway: configuration, secrets, chat/stream/complete on every
endpoint, per-call options, tools, structured output, reasoning, images and errors."""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import subprocess
import sys
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, SecretStr

from cf_gateway_core import (
    AuthenticationError,
    GatewayConfigError,
    GatewayOptions,
    RateLimitError,
    ResponseFormat,
    Secret,
)
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import (
    FakeGateway,
    ToolCall,
    Turn,
    Usage,
    anthropic_events,
    anthropic_message,
    chat_completion,
    chat_events,
    responses_object,
)
from llamaindex_cf_gateway import CloudflareAIGateway
from tests.llamaindex_adapter.conftest import ACCOUNT, GATEWAY_HEADERS, TOKEN

USER = [ChatMessage(role="user", content="What is 2 + 3?")]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=multiply)]


# ------------------------------------------------------------------------------ construction


def test_llm_is_a_function_calling_llm() -> None:
    assert issubclass(CloudflareAIGateway, FunctionCallingLLM)
    assert CloudflareAIGateway.class_name() == "CloudflareAIGateway_LLM"


def test_llm_missing_credentials_names_keywords_and_env_vars() -> None:
    with pytest.raises(GatewayConfigError) as info:
        CloudflareAIGateway(model="openai/gpt-5.5")
    message = str(info.value)
    for name in ("account_id", "CLOUDFLARE_ACCOUNT_ID", "api_token", "CLOUDFLARE_API_TOKEN"):
        assert name in message


def test_llm_reads_the_environment(monkeypatch, fake) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "envacct")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "env-token")
    monkeypatch.setenv("CLOUDFLARE_GATEWAY_ID", "gw-env")
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", "http://127.0.0.1:8787/client/v4")
    llm = CloudflareAIGateway(model="openai/gpt-5.5", http_client=fake.client())
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    llm.chat(USER)
    request = fake.last_request
    assert request.url == "http://127.0.0.1:8787/client/v4/accounts/envacct/ai/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer env-token"
    assert request.headers["cf-aig-gateway-id"] == "gw-env"


def test_llm_explicit_arguments_beat_the_environment(monkeypatch, make_llm, fake) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "envacct")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "env-token")
    llm = make_llm(account_id="argacct", api_token="arg-token")
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    llm.chat(USER)
    assert "/accounts/argacct/" in fake.last_request.path
    assert fake.last_request.headers["authorization"] == "Bearer arg-token"


def test_llm_accepts_secret_wrappers(make_llm, fake) -> None:
    for token in (SecretStr("wrapped-1"), Secret("wrapped-1")):
        llm = make_llm(api_token=token)
        fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
        llm.chat(USER)
        assert fake.last_request.headers["authorization"] == "Bearer wrapped-1"
        assert "wrapped-1" not in repr(llm) + llm.to_json()


def test_llm_rejects_impossible_routes_at_construction(make_llm, fake) -> None:
    with pytest.raises(GatewayConfigError, match="messages"):
        make_llm("@cf/meta/llama-3.1-8b-instruct", endpoint="messages")
    with pytest.raises(GatewayConfigError, match="endpoint"):
        make_llm(endpoint="completions")
    with pytest.raises(GatewayConfigError, match="author"):
        make_llm("gpt-5.5")
    assert fake.requests == []


def test_llm_rejects_bad_gateway_options_at_construction(make_llm) -> None:
    with pytest.raises(GatewayConfigError, match="unknown gateway_options"):
        make_llm(gateway_options={"cache_tll": 60})


def test_llm_token_never_serialises(make_llm) -> None:
    llm = make_llm(gateway_options={"cache_ttl": 60, "metadata": {"team": "a"}})
    for text in (repr(llm), str(llm), json.dumps(llm.to_dict()), llm.to_json(), str(llm.dict())):
        assert TOKEN not in text
    assert "api_token" not in llm.to_dict()
    assert llm.to_dict()["gateway_options"] == {"cache_ttl": 60, "metadata": {"team": "a"}}
    assert llm.to_dict()["class_name"] == "CloudflareAIGateway_LLM"
    assert TOKEN not in repr(llm.metadata)
    # to_payload (instrumentation events) exists from llama-index-core 0.14.2x on.
    if hasattr(type(llm), "to_payload"):
        assert TOKEN not in str(llm.to_payload())


def test_llm_token_never_leaks_into_errors(make_llm, fake) -> None:
    llm = make_llm(max_retries=0)
    fake.queue_error(401, code=10000, message="Authentication error")
    with pytest.raises(AuthenticationError) as info:
        llm.chat(USER)
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


def test_llm_from_json_round_trip_takes_the_token_from_the_environment(monkeypatch, make_llm):
    llm = make_llm(model="anthropic/claude-sonnet-4.5", temperature=0.2, gateway_id="gw")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "env-token")
    again = CloudflareAIGateway.from_json(llm.to_json())
    assert (again.model, again.temperature, again.gateway_id) == (llm.model, 0.2, "gw")
    assert again.to_dict() == llm.to_dict()


def test_package_import_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['llama_index'] = None\n"
        "try:\n    import llamaindex_cf_gateway\n"
        "except ImportError as exc:\n    print(exc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "cf-gateway[llamaindex]"' in out.stdout


def test_llm_survives_pickle_without_the_token_in_the_bytes(monkeypatch, fake) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "env-token-xyz")
    llm = CloudflareAIGateway(model="openai/gpt-5.5", account_id=ACCOUNT)
    data = pickle.dumps(llm)
    assert b"env-token-xyz" not in data
    assert pickle.loads(data).model == "openai/gpt-5.5"


@pytest.mark.parametrize(
    ("model", "window", "output", "tools"),
    [
        ("anthropic/claude-sonnet-4.5", 200_000, 64_000, True),
        ("openai/gpt-5.5", 400_000, 128_000, True),
        ("@cf/meta/llama-3.1-8b-instruct", 7_968, 2_048, True),
        ("somebody/unknown-model", 32_768, 4_096, False),
        ("@cf/baai/bge-base-en-v1.5", 512, 4_096, False),
    ],
)
def test_llm_metadata_from_the_model_table(
    make_llm, model: str, window: int, output: int, tools: bool
) -> None:
    metadata = make_llm(model).metadata
    assert (metadata.context_window, metadata.num_output) == (window, output)
    assert metadata.is_chat_model
    assert metadata.is_function_calling_model is tools
    assert metadata.model_name == model


def test_llm_metadata_overrides(make_llm) -> None:
    metadata = make_llm(max_tokens=500, context_window=9_000).metadata
    assert (metadata.context_window, metadata.num_output) == (9_000, 500)


# -------------------------------------------------------------------------------------- chat


def test_chat_sends_a_chat_completions_request(make_llm, fake) -> None:
    llm = make_llm(gateway_id="gw1")
    fake.queue_json(chat_completion(Turn(text="5"), gateway_metadata=True), headers=GATEWAY_HEADERS)
    response = llm.chat(USER)
    request = fake.last_request
    assert request.url == (
        f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/ai/v1/chat/completions"
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["cf-aig-gateway-id"] == "gw1"
    assert request.json == {
        "model": "openai/gpt-5.5",
        "messages": [{"role": "user", "content": "What is 2 + 3?"}],
    }
    assert response.message.content == "5"
    assert response.message.role == "assistant"


def test_chat_reports_usage_and_gateway_metadata(make_llm, fake) -> None:
    llm = make_llm()
    fake.queue_json(
        chat_completion(
            Turn(text="5", usage=Usage(input_tokens=12, output_tokens=3)), gateway_metadata=True
        ),
        headers=GATEWAY_HEADERS,
    )
    response = llm.chat(USER)
    gateway = response.additional_kwargs["gateway"]
    assert gateway == {
        "log_id": "log-42",
        "cache_status": "MISS",
        "step": "0",
        "key_source": "Unified",
    }
    assert response.raw["gateway"] == gateway
    # OpenAI's usage always carries the cached-prompt and reasoning details (0 here).
    assert response.raw["usage"] == {
        "input_tokens": 12,
        "output_tokens": 3,
        "total_tokens": 15,
        "cache_read_tokens": 0,
        "reasoning_tokens": 0,
    }
    assert response.additional_kwargs["prompt_tokens"] == 12
    assert response.additional_kwargs["completion_tokens"] == 3


def test_chat_sends_sampling_only_when_set(make_llm, fake) -> None:
    llm = make_llm(temperature=0.0, max_tokens=64, top_p=0.5, stop=["END"])
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    llm.chat(USER)
    body = fake.last_request.json
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.5
    assert body["stop"] == ["END"]
    assert 64 in (body.get("max_tokens"), body.get("max_completion_tokens"))


def test_chat_per_call_kwargs_override_and_extend(make_llm, fake) -> None:
    llm = make_llm(temperature=0.9, model_kwargs={"seed": 1}, extra_body={"user": "u1"})
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    llm.chat(USER, temperature=0.1, max_tokens=5, stop="STOP", logprobs=True, ignored=None)
    body = fake.last_request.json
    assert body["temperature"] == 0.1
    assert body["stop"] == ["STOP"]
    assert body["seed"] == 1 and body["user"] == "u1" and body["logprobs"] is True
    assert "ignored" not in body


def test_chat_per_call_model_and_endpoint(make_llm, fake) -> None:
    llm = make_llm()
    fake.queue_json(
        anthropic_message(Turn(text="from claude"), gateway_metadata=True), endpoint="messages"
    )
    fake.queue_json(
        responses_object(Turn(text="from responses"), gateway_metadata=True), endpoint="responses"
    )
    first = llm.chat(USER, model="anthropic/claude-sonnet-4.5")
    second = llm.chat(USER, endpoint="responses")
    assert (first.message.content, second.message.content) == ("from claude", "from responses")
    assert [r.endpoint for r in fake.requests] == ["messages", "responses"]
    assert fake.requests[0].json["model"] == "anthropic/claude-sonnet-4.5"
    assert "endpoint" not in fake.requests[1].json
    with pytest.raises(GatewayConfigError, match="messages"):
        llm.chat(USER, model="@cf/meta/llama-3.1-8b-instruct", endpoint="messages")


@pytest.mark.parametrize("name", ["api_key", "api_token", "account_id"])
def test_chat_refuses_secrets_per_call(make_llm, fake, name: str) -> None:
    with pytest.raises(GatewayConfigError, match=name):
        make_llm().chat(USER, **{name: "LEAK"})
    assert fake.requests == []


def test_chat_gateway_options_from_instance_and_call(make_llm, fake) -> None:
    llm = make_llm(gateway_options=GatewayOptions(cache_ttl=120, metadata={"team": "a"}))
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    llm.chat(USER)
    headers = fake.last_request.headers
    assert headers["cf-aig-cache-ttl"] == "120"
    assert json.loads(headers["cf-aig-metadata"]) == {"team": "a"}
    llm.chat(USER, gateway_options={"skip_cache": True, "cache_ttl": 300})
    headers = fake.last_request.headers
    assert headers["cf-aig-skip-cache"] == "true"
    assert headers["cf-aig-cache-ttl"] == "300"


def test_chat_session_affinity_and_reject_if_busy(make_llm, fake) -> None:
    llm = make_llm(
        "@cf/meta/llama-3.1-8b-instruct",
        session_affinity="sess-1",
        reject_if_busy=True,
        model_kwargs={"options": {"other": 1}},
    )
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    llm.chat(USER)
    request = fake.last_request
    assert request.headers["x-session-affinity"] == "sess-1"
    assert request.json["options"] == {"other": 1, "rejectIfBusy": True}
    fake.queue_json(chat_completion(Turn(text="ok"), gateway_metadata=True))
    llm.chat(USER, session_affinity="sess-2")
    assert fake.last_request.headers["x-session-affinity"] == "sess-2"


def test_chat_response_format_must_be_neutral(make_llm, fake) -> None:
    llm = make_llm()
    with pytest.raises(GatewayConfigError, match="ResponseFormat"):
        llm.chat(USER, response_format={"type": "json_object"})
    fake.queue_json(chat_completion(Turn(text='{"a": 1}'), gateway_metadata=True))
    llm.chat(USER, response_format=ResponseFormat(type="json_object"))
    assert fake.last_request.json["response_format"] == {"type": "json_object"}


def test_chat_errors_are_the_core_classes(make_llm, fake) -> None:
    llm = make_llm(max_retries=1)
    for _ in range(2):
        fake.queue_error(429, code=3040, message="Busy", headers={"retry-after": "0"})
    with pytest.raises(RateLimitError) as info:
        llm.chat(USER)
    assert info.value.code == 3040
    assert len(fake.requests) == 2  # one retry, as configured


async def test_achat_errors_are_the_core_classes(make_llm, fake) -> None:
    llm = make_llm(max_retries=0)
    fake.queue_error(429, code=2003)
    with pytest.raises(RateLimitError):
        await llm.achat(USER)


def test_chat_sends_images(make_llm, fake) -> None:
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    message = ChatMessage(role="user", blocks=[TextBlock(text="Describe"), ImageBlock(image=png)])
    llm = make_llm()
    fake.queue_json(chat_completion(Turn(text="a pixel"), gateway_metadata=True))
    llm.chat([message])
    content = fake.last_request.json["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "Describe"}
    assert content[1]["type"] == "image_url"
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,iVBOR")

    claude = make_llm("anthropic/claude-sonnet-4.5")
    fake.queue_json(anthropic_message(Turn(text="a pixel"), gateway_metadata=True))
    claude.chat([message])
    block = fake.last_request.json["messages"][0]["content"][1]
    assert block["type"] == "image"
    assert block["source"]["media_type"] == "image/png"


# ------------------------------------------------------------------ stream ≡ chat, endpoints

# endpoint label -> (model, endpoint kwarg, fake endpoint, json builder, sse builder)
ENDPOINTS: dict[str, tuple[str, str, str, str, str]] = {
    "chat_completions": ("openai/gpt-5.5", "auto", "chat_completions"),
    "messages": ("anthropic/claude-sonnet-4.5", "auto", "messages"),
    "responses": ("openai/gpt-5.5", "responses", "responses"),
    "run_native": ("@cf/meta/llama-3.3-70b-instruct-fp8-fast", "run", "run"),
    "run_universal": ("openai/gpt-5.5", "run", "run"),
}
PIECES = ["The answer", " is ", "5."]
# The same turn answers a JSON and a streaming request, each in its endpoint's wire format.
ANSWER_TURN = Turn(text="".join(PIECES), chunks=PIECES)


def _payload(request: Any) -> dict[str, Any]:
    """The model payload (the universal /ai/run body wraps it in ``input``)."""
    body = request.json
    return body["input"] if isinstance(body.get("input"), dict) else body


@pytest.fixture(params=list(ENDPOINTS))
def route(request, make_llm):
    model, endpoint, fake_endpoint = ENDPOINTS[request.param]
    return make_llm(model, endpoint=endpoint), fake_endpoint


def test_stream_chat_final_message_equals_chat(route, fake) -> None:
    llm, endpoint = route
    fake.queue_turns(ANSWER_TURN, ANSWER_TURN, endpoint=endpoint)
    chat = llm.chat(USER)
    chunks = list(llm.stream_chat(USER))
    assert [c.delta for c in chunks if c.delta] == PIECES
    contents = [c.message.content for c in chunks if c.delta]
    assert contents == ["The answer", "The answer is ", "The answer is 5."]
    assert chunks[-1].message == chat.message
    assert chunks[-1].raw["usage"] == chat.raw["usage"]
    assert fake.requests[-1].json.get("stream") is True or fake.requests[-1].endpoint == "run"


async def test_astream_chat_and_achat_agree(route, fake) -> None:
    llm, endpoint = route
    fake.queue_turns(ANSWER_TURN, ANSWER_TURN, endpoint=endpoint)
    chat = await llm.achat(USER)
    chunks = [c async for c in await llm.astream_chat(USER)]
    assert "".join(c.delta or "" for c in chunks) == "".join(PIECES)
    assert chunks[-1].message == chat.message
    assert chunks[-1].raw["usage"] == chat.raw["usage"]


def test_tool_round_trip_on_every_endpoint(route, fake) -> None:
    llm, endpoint = route
    call = ToolCall("add", {"a": 2, "b": 3}, id="call_1")
    answer = Turn(text="2 + 3 = 5", chunks=["2 + 3", " = 5"])
    fake.queue_turns(Turn(tool_calls=[call]), Turn(tool_calls=[call]), endpoint=endpoint)
    fake.queue_turns(answer, answer, endpoint=endpoint)

    response = llm.chat_with_tools(TOOLS, user_msg="What is 2 + 3?")
    streamed = list(llm.stream_chat_with_tools(TOOLS, user_msg="What is 2 + 3?"))
    assert streamed[-1].message == response.message
    assert any(
        isinstance(b, ToolCallBlock) and isinstance(b.tool_kwargs, str)
        for chunk in streamed[:-1]
        for b in chunk.message.blocks
    )
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        call.id,
        call.name,
        call.arguments,
    )
    assert len(_payload(fake.requests[0])["tools"]) == 2

    history = [
        ChatMessage(role="user", content="What is 2 + 3?"),
        response.message,
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "call_1"}),
    ]
    final = llm.chat_with_tools(TOOLS, chat_history=history)
    streamed_final = list(llm.stream_chat_with_tools(TOOLS, chat_history=history))
    assert final.message.content == "2 + 3 = 5"
    assert streamed_final[-1].message == final.message
    sent = json.dumps(_payload(fake.requests[2]))
    assert sent.count("call_1") == 2  # the assistant's call and the tool result answering it
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []


async def test_async_tool_round_trip_on_every_endpoint(route, fake) -> None:
    llm, endpoint = route
    call = ToolCall("multiply", {"a": 6, "b": 7}, id="call_9")
    fake.queue_turns(Turn(tool_calls=[call]), Turn(tool_calls=[call]), endpoint=endpoint)
    response = await llm.achat_with_tools(TOOLS, user_msg="6 * 7?")
    chunks = [c async for c in await llm.astream_chat_with_tools(TOOLS, user_msg="6 * 7?")]
    assert chunks[-1].message == response.message
    (selection,) = llm.get_tool_calls_from_response(chunks[-1])
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        call.id,
        call.name,
        call.arguments,
    )


@pytest.mark.parametrize("label", list(ENDPOINTS))
def test_emulator_default_replies_on_every_endpoint(label: str) -> None:
    """The offline emulator (FakeGateway's default replies) speaks every API our class uses."""
    model, endpoint, _ = ENDPOINTS[label]
    fake = FakeGateway()
    with fake.client() as http:
        llm = CloudflareAIGateway(
            model=model, endpoint=endpoint, account_id=ACCOUNT, api_token=TOKEN, http_client=http
        )
        chat = llm.chat(USER)
        chunks = list(llm.stream_chat(USER))
        forced = llm.chat_with_tools(TOOLS, user_msg="add 2 and 3", tool_required=True)
    assert chat.message.content
    assert chunks[-1].message == chat.message
    assert "".join(c.delta or "" for c in chunks) == chat.message.content
    assert chat.additional_kwargs["gateway"]["log_id"]
    assert llm.get_tool_calls_from_response(forced)[0].tool_name in ("add", "multiply")


# ---------------------------------------------------------------------------------- completion


def test_complete_goes_through_chat(make_llm, fake) -> None:
    llm = make_llm()
    fake.queue_json(
        chat_completion(Turn(text="Paris"), gateway_metadata=True), headers=GATEWAY_HEADERS
    )
    fake.queue_sse(chat_events(Turn(text="Paris", chunks=["Pa", "ris"])))
    completion = llm.complete("Capital of France?")
    assert completion.text == "Paris"
    assert completion.additional_kwargs["gateway"]["log_id"] == "log-42"
    assert fake.requests[0].json["messages"] == [{"role": "user", "content": "Capital of France?"}]
    pieces = list(llm.stream_complete("Capital of France?"))
    assert [p.delta for p in pieces if p.delta] == ["Pa", "ris"]
    assert pieces[-1].text == "Paris"


async def test_acomplete_and_astream_complete(make_llm, fake) -> None:
    llm = make_llm("anthropic/claude-sonnet-4.5")
    fake.queue_json(anthropic_message(Turn(text="Paris"), gateway_metadata=True))
    fake.queue_sse(anthropic_events(Turn(text="Paris", chunks=["Pa", "ris"])))
    assert (await llm.acomplete("Capital of France?")).text == "Paris"
    pieces = [p async for p in await llm.astream_complete("Capital of France?")]
    assert pieces[-1].text == "Paris"


# --------------------------------------------------------------------------------------- tools


def test_chat_with_tools_sends_specs_and_choice(make_llm, fake) -> None:
    llm = make_llm()
    fake.queue_json(
        chat_completion(
            Turn(tool_calls=[ToolCall("add", {"a": 1, "b": 2}, id="c1")]), gateway_metadata=True
        )
    )
    fake.queue_json(
        chat_completion(
            Turn(tool_calls=[ToolCall("multiply", {"a": 1, "b": 2}, id="c2")]),
            gateway_metadata=True,
        )
    )
    fake.queue_json(chat_completion(Turn(text="none needed"), gateway_metadata=True))
    history = [ChatMessage(role="system", content="Be brief.")]
    llm.chat_with_tools(TOOLS, user_msg="add 1 2", chat_history=history)
    body = fake.last_request.json
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "multiply"]
    assert body["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    assert "tool_choice" not in body
    assert len(history) == 1  # the caller's history is not modified

    llm.chat_with_tools(TOOLS, user_msg="multiply", tool_required=True)
    assert fake.last_request.json["tool_choice"] == "required"
    llm.chat_with_tools(TOOLS, user_msg="hi", tool_choice="multiply")
    assert fake.last_request.json["tool_choice"] == {
        "type": "function",
        "function": {"name": "multiply"},
    }


def test_chat_with_tools_keeps_one_call_unless_parallel(make_llm, fake) -> None:
    llm = make_llm()
    calls = [
        ToolCall("add", {"a": 1, "b": 2}, id="c1"),
        ToolCall("multiply", {"a": 3, "b": 4}, id="c2"),
    ]
    fake.queue_json(chat_completion(Turn(tool_calls=calls), gateway_metadata=True))
    fake.queue_json(chat_completion(Turn(tool_calls=calls), gateway_metadata=True))
    single = llm.chat_with_tools(TOOLS, user_msg="both")
    assert [s.tool_id for s in llm.get_tool_calls_from_response(single)] == ["c1"]
    both = llm.chat_with_tools(TOOLS, user_msg="both", allow_parallel_tool_calls=True)
    assert [s.tool_id for s in llm.get_tool_calls_from_response(both)] == ["c1", "c2"]


def test_get_tool_calls_from_response_requires_a_call(make_llm, fake) -> None:
    llm = make_llm()
    fake.queue_json(chat_completion(Turn(text="no call"), gateway_metadata=True))
    response = llm.chat(USER)
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(response)


def test_predict_and_call(make_llm, fake) -> None:
    llm = make_llm("anthropic/claude-sonnet-4.5")
    fake.queue_json(
        anthropic_message(
            Turn(tool_calls=[ToolCall("multiply", {"a": 6, "b": 7}, id="toolu_1")]),
            gateway_metadata=True,
        )
    )
    output = llm.predict_and_call(TOOLS, user_msg="6 times 7?")
    assert output.response == "42"
    assert output.sources[0].tool_name == "multiply"


async def test_apredict_and_call_parallel(make_llm, fake) -> None:
    llm = make_llm()
    calls = [
        ToolCall("add", {"a": 1, "b": 2}, id="c1"),
        ToolCall("multiply", {"a": 3, "b": 4}, id="c2"),
    ]
    fake.queue_json(chat_completion(Turn(tool_calls=calls), gateway_metadata=True))
    output = await llm.apredict_and_call(TOOLS, user_msg="both", allow_parallel_tool_calls=True)
    assert output.response == "3\n\n12"


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str
    population_millions: float


PROMPT = PromptTemplate("Describe the capital of {country}.")


@pytest.mark.parametrize("model", ["openai/gpt-5.5", "anthropic/claude-sonnet-4.5"])
def test_structured_predict(make_llm, fake, model: str) -> None:
    llm = make_llm(model)
    args = {"name": "Paris", "country": "France", "population_millions": 2.1}
    fake.queue_turns(Turn(tool_calls=[ToolCall("City", args, id="c1")]))
    city = llm.structured_predict(City, PROMPT, country="France")
    assert city == City(**args)
    body = fake.last_request.json
    assert "Describe the capital of France." in json.dumps(body)
    assert body["tools"]  # function calling, with the model forced to call the tool
    assert body["tool_choice"] in ("required", {"type": "any"})


def test_stream_structured_predict_parses_streamed_tool_calls(make_llm, fake) -> None:
    llm = make_llm()
    args = {"name": "Oslo", "country": "Norway", "population_millions": 0.7}
    fake.queue_sse(chat_events(Turn(tool_calls=[ToolCall("City", args, id="c1")])))
    partials = list(llm.stream_structured_predict(City, PROMPT, country="Norway"))
    assert partials[-1] == City(**args)
    assert len(partials) > 1  # partial objects arrive while the arguments stream
    assert fake.last_request.json["stream"] is True


async def test_astructured_predict_and_structured_llm(make_llm, fake) -> None:
    llm = make_llm()
    args = {"name": "Rome", "country": "Italy", "population_millions": 2.8}
    fake.queue_json(
        chat_completion(Turn(tool_calls=[ToolCall("City", args, id="c1")]), gateway_metadata=True)
    )
    fake.queue_json(
        chat_completion(Turn(tool_calls=[ToolCall("City", args, id="c2")]), gateway_metadata=True)
    )
    city = await llm.astructured_predict(City, PROMPT, country="Italy")
    assert city.name == "Rome"
    structured = llm.as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Capital of Italy?")])
    assert isinstance(response.raw, City) and response.raw.country == "Italy"


# ----------------------------------------------------------------------------------- reasoning


def test_anthropic_thinking_signature_round_trips(make_llm, fake) -> None:
    llm = make_llm("anthropic/claude-sonnet-4.5", reasoning_effort="low")
    call = ToolCall("add", {"a": 2, "b": 3}, id="toolu_1")
    thinking = Turn(
        text="Adding.",
        tool_calls=[call],
        reasoning="I should add.",
        reasoning_signature="SIG-1",
        reasoning_chunks=["I should ", "add."],
    )
    fake.queue_sse(anthropic_events(thinking, model="anthropic/claude-sonnet-4.5"))
    fake.queue_json(anthropic_message(Turn(text="5"), gateway_metadata=True))
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="2+3?"))
    thinking = [
        c.additional_kwargs["thinking_delta"]
        for c in chunks
        if "thinking_delta" in c.additional_kwargs
    ]
    assert thinking == ["I should ", "add."]
    message = chunks[-1].message
    assert message.blocks[0] == ThinkingBlock(
        content="I should add.", additional_information={"signature": "SIG-1"}
    )
    history = [
        ChatMessage(role="user", content="2+3?"),
        message,
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "toolu_1"}),
    ]
    llm.chat_with_tools(TOOLS, chat_history=history)
    assistant = fake.last_request.json["messages"][1]
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": "I should add.",
        "signature": "SIG-1",
    }
    assert assistant["content"][-1]["type"] == "tool_use"


def test_openai_reasoning_content_becomes_a_thinking_block(make_llm, fake) -> None:
    llm = make_llm("@cf/openai/gpt-oss-120b")
    fake.queue_json(chat_completion(Turn(text="5", reasoning="2 plus 3"), gateway_metadata=True))
    response = llm.chat(USER)
    assert response.message.blocks[0] == ThinkingBlock(content="2 plus 3")
    assert response.message.content == "5"


# ---------------------------------------------------------------------------------- event loops


def test_async_calls_work_across_event_loops(make_llm, fake) -> None:
    llm = make_llm()

    async def once() -> str:
        response = await llm.achat(USER)
        chunks = [c async for c in await llm.astream_chat(USER)]
        return f"{response.message.content}|{chunks[-1].message.content}"

    for _ in range(3):
        fake.queue_json(chat_completion(Turn(text="5"), gateway_metadata=True))
        fake.queue_sse(chat_events(Turn(text="5")))
        assert asyncio.run(once()) == "5|5"


def test_real_http_without_caller_clients_across_event_loops(fake) -> None:
    """Our own httpx clients over real HTTP (the emulator on 127.0.0.1): two asyncio.run()
    calls in a row both work (the peers' async clients break on the second loop)."""
    with run_in_thread(fake) as emulator:
        llm = CloudflareAIGateway(
            model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN, base_url=emulator.base_url
        )

        async def once() -> str:
            response = await llm.achat(USER)
            chunks = [c async for c in await llm.astream_chat(USER)]
            return f"{response.message.content}|{chunks[-1].message.content}"

        for _ in range(2):
            fake.queue_json(chat_completion(Turn(text="5"), gateway_metadata=True))
            fake.queue_sse(chat_events(Turn(text="5")))
            assert asyncio.run(once()) == "5|5"
        fake.queue_json(chat_completion(Turn(text="sync"), gateway_metadata=True))
        assert llm.chat(USER).message.content == "sync"
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fake.requests)


def test_sync_calls_share_one_http_client_and_its_pooled_connection() -> None:
    """The sync client is built once: consecutive calls (and calls of a shallow copy) reuse its
    kept-alive connection instead of opening one per call."""
    import copy

    from tests.reliability.fault_server import FaultServer

    with FaultServer(lifetime=30.0) as server:
        llm = CloudflareAIGateway(
            model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN, base_url=server.base_url
        )
        for _ in range(3):
            assert llm.chat(USER).message.content == "ok"
        assert copy.copy(llm).chat(USER).message.content == "ok"
        assert len(server.requests) == 4
        assert server.connections_opened == 1


def test_stream_chat_merges_deltas_that_arrive_in_one_read() -> None:
    from llama_index.core.llms import ChatMessage

    from cf_gateway_core.testing import FakeGateway, Reply
    from llamaindex_cf_gateway import CloudflareAIGateway

    frames = [
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": w}}]}
        for w in ("one ", "two ", "three")
    ]
    frames.append(
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    fake = FakeGateway(auto_reply=False)
    fake.queue_sse(Reply.sse([*frames, "[DONE]"]).body)
    llm = CloudflareAIGateway(
        model="openai/gpt-5.5", account_id="a", api_token="t", http_client=fake.client()
    )
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    assert [c.delta for c in chunks if c.delta] == ["one two three"]
    assert chunks[-1].message.content == "one two three"


def test_http_client_fields_check_their_type() -> None:
    import httpx

    with httpx.Client() as sync:
        llm = CloudflareAIGateway(
            model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN, http_client=sync
        )
        assert llm.http_client is sync
        with pytest.raises(GatewayConfigError, match=r"expected an httpx\.AsyncClient, got Client"):
            CloudflareAIGateway(
                model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN, http_async_client=sync
            )


def test_import_does_not_import_httpx() -> None:
    code = (
        "import sys\n"
        "from llama_index.core.llms.function_calling import FunctionCallingLLM\n"
        "before = 'httpx' in sys.modules\n"
        "import llamaindex_cf_gateway\n"
        "print(before, 'httpx' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[0] == "True":
        pytest.skip("llama-index-core itself imports httpx here")
    assert out == ["False", "False"]


def test_every_class_is_fully_built_at_import() -> None:
    """Each public class has its pydantic schema built when its module loads (no deferred build
    left to the first construction)."""
    from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding, CloudflareAIGatewayRerank
    from llamaindex_cf_gateway.feedback import GatewayFeedback

    classes = (
        CloudflareAIGateway,
        CloudflareAIGatewayEmbedding,
        CloudflareAIGatewayRerank,
        GatewayFeedback,
    )
    for cls in classes:
        assert cls.__pydantic_complete__, cls
        assert "defer_build" not in cls.model_config, cls
