"""The ``x-emulator-reply`` script language (emulator/_turns.py): multi-line text, one reply per
turn of a conversation, several (interleaved) tool calls, the 2026 error bodies, a stream without
its end and a tool call cut by ``max_tokens`` — through LangChain and LlamaIndex."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from cf_gateway_core import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    ProviderCredentialsError,
    SpendLimitError,
    StreamError,
)
from cf_gateway_core.cli import main
from cf_gateway_core.errors import InvalidToolCallError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway

GPT = "openai/gpt-5.5"
CLAUDE = "anthropic/claude-sonnet-4.5"


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """Local time in a city."""
    return f"Noon in {city}"


def lc(script: str, model: str = GPT, fake: FakeGateway | None = None) -> ChatCloudflareAIGateway:
    fake = fake or FakeGateway()
    return ChatCloudflareAIGateway(
        model=model,
        account_id="a",
        api_token="t",
        max_retries=2,
        http_client=fake.client(headers={"x-emulator-reply": script}),
    )


def li(script: str, model: str = GPT, fake: FakeGateway | None = None) -> CloudflareAIGateway:
    fake = fake or FakeGateway()
    return CloudflareAIGateway(
        model=model,
        account_id="a",
        api_token="t",
        max_retries=2,
        http_client=fake.client(headers={"x-emulator-reply": script}),
    )


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# ----------------------------------------------------------------- text


@pytest.mark.parametrize("model", [GPT, CLAUDE])
def test_multi_line_text_through_both_frameworks(model: str) -> None:
    script = 'text="line one\\nline two\\tend"'
    assert lc(script, model).invoke("Hi").content == "line one\nline two\tend"
    assert li(script, model).chat(user("Hi")).message.content == "line one\nline two\tend"


# ----------------------------------------------------------------- turns


@pytest.mark.parametrize("model", [GPT, CLAUDE])
def test_langchain_conversation_follows_the_turns(model: str) -> None:
    llm = lc('tool=get_weather args=\'{"city": "Oslo"}\' ;; text="It is sunny in Oslo."', model)
    bound = llm.bind_tools([get_weather])
    first = bound.invoke("What is the weather?")
    assert first.tool_calls[0]["args"] == {"city": "Oslo"}
    history = [
        HumanMessage("What is the weather?"),
        first,
        ToolMessage("Sunny", tool_call_id=first.tool_calls[0]["id"]),
    ]
    assert bound.invoke(history).content == "It is sunny in Oslo."


@pytest.mark.parametrize("model", [GPT, CLAUDE])
def test_llamaindex_conversation_follows_the_turns(model: str) -> None:
    llm = li('tool=get_weather args=\'{"city": "Oslo"}\' ;; text="It is sunny in Oslo."', model)
    tool = FunctionTool.from_defaults(fn=get_weather)
    first = llm.chat_with_tools([tool], chat_history=user("What is the weather?"))
    call = llm.get_tool_calls_from_response(first)[0]
    assert call.tool_kwargs == {"city": "Oslo"}
    result = ChatMessage(
        role="tool", content="Sunny", additional_kwargs={"tool_call_id": call.tool_id}
    )
    second = llm.chat_with_tools(
        [tool], chat_history=[*user("What is the weather?"), first.message, result]
    )
    assert second.message.content == "It is sunny in Oslo."


# ----------------------------------------------------------------- several tool calls

TWO_CALLS = (
    'tool=get_weather args=\'{"city": "Paris"}\' tool=get_time args=\'{"city": "Rome"}\' interleave'
)


def test_langchain_stream_with_interleaved_tool_calls() -> None:
    fake = FakeGateway()
    llm = lc(TWO_CALLS, fake=fake).bind_tools([get_weather, get_time])
    merged: Any = None
    for chunk in llm.stream("Weather in Paris and time in Rome?"):
        merged = chunk if merged is None else merged + chunk
    assert isinstance(merged, AIMessageChunk)
    calls = {(c["name"], c["args"]["city"]) for c in merged.tool_calls}
    assert calls == {("get_weather", "Paris"), ("get_time", "Rome")}
    assert len(merged.tool_calls) == 2


def test_llamaindex_stream_with_interleaved_tool_calls() -> None:
    llm = li(TWO_CALLS)
    tools = [FunctionTool.from_defaults(fn=get_weather), FunctionTool.from_defaults(fn=get_time)]
    *_, last = llm.stream_chat_with_tools(tools, chat_history=user("Weather and time?"))
    calls = llm.get_tool_calls_from_response(last)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"city": "Rome"}),
    ]


def test_interleaved_fragments_alternate_on_the_wire() -> None:
    import httpx

    fake = FakeGateway()
    with httpx.Client(transport=fake.transport()) as http:
        response = http.post(
            "https://api.cloudflare.com/client/v4/accounts/a/ai/v1/chat/completions",
            headers={"authorization": "Bearer t", "x-emulator-reply": TWO_CALLS},
            json={"model": GPT, "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
        )
    import json

    deltas = [
        json.loads(line[6:])["choices"][0]["delta"]
        for line in response.text.splitlines()
        if line.startswith("data: {") and '"choices": [{' in line
    ]
    order = [d["tool_calls"][0]["index"] for d in deltas if "tool_calls" in d]
    assert order[:4] == [0, 1, 0, 1]


# ----------------------------------------------------------------- error bodies


@pytest.mark.parametrize("build", [lc, li])
def test_spend_cap_script_is_a_spend_limit_error(build: Any) -> None:
    fake = FakeGateway()
    llm = build("spend-cap spent=12.5 limit=10 bucket=team", fake=fake)
    with pytest.raises(SpendLimitError) as info:
        llm.invoke("Hi") if isinstance(llm, ChatCloudflareAIGateway) else llm.chat(user("Hi"))
    assert (info.value.spent, info.value.limit, info.value.bucket) == (12.5, 10.0, "team")
    assert len(fake.requests) == 1


@pytest.mark.parametrize("build", [lc, li])
@pytest.mark.parametrize(
    ("script", "error", "code"),
    [
        ("byok-rejected", AuthenticationError, 2009),
        ("credentials-rejected", ProviderCredentialsError, None),
        ("error code=5007", NotFoundError, 5007),
    ],
)
def test_2026_error_scripts_through_both_frameworks(
    build: Any, script: str, error: type[Exception], code: int | None
) -> None:
    fake = FakeGateway()
    llm = build(script, fake=fake)
    with pytest.raises(error) as info:
        llm.invoke("Hi") if isinstance(llm, ChatCloudflareAIGateway) else llm.chat(user("Hi"))
    assert getattr(info.value, "code", None) == code
    assert len(fake.requests) == 1  # none of them is retried


# ----------------------------------------------------------------- broken streams


@pytest.mark.parametrize("model", [GPT, CLAUDE, "@cf/meta/llama-3.1-8b-instruct"])
def test_stream_without_its_end_is_a_stream_error(model: str) -> None:
    script = 'text="an answer that never ends" no-end'
    with pytest.raises(StreamError) as info:
        list(lc(script, model).stream("Hi"))
    assert "an answer that" in info.value.partial_text
    with pytest.raises(StreamError):
        list(li(script, model).stream_chat(user("Hi")))


# Each format's own end signal, and a signal of another format that must not be named instead.
END_SIGNALS = [
    (GPT, "chat_completions", "[DONE]", "response.completed"),
    (CLAUDE, "auto", "message_stop", "[DONE]"),
    (GPT, "responses", "response.completed", "[DONE]"),
    ("@cf/meta/llama-3.1-8b-instruct", "run", "[DONE]", "response.completed"),
]


@pytest.mark.parametrize(("model", "endpoint", "signal", "foreign"), END_SIGNALS)
def test_a_stream_without_its_end_names_its_own_formats_end_signal(
    model: str, endpoint: str, signal: str, foreign: str
) -> None:
    fake = FakeGateway()
    llm = ChatCloudflareAIGateway(
        model=model,
        endpoint=endpoint,
        account_id="a",
        api_token="t",
        http_client=fake.client(headers={"x-emulator-reply": 'text="half an answer" no-end'}),
    )
    with pytest.raises(StreamError) as info:
        list(llm.stream("Hi"))
    assert signal in str(info.value)
    assert foreign not in str(info.value)
    assert "half an" in info.value.partial_text


def test_tool_call_cut_by_max_tokens() -> None:
    llm = lc('tool=get_weather args=\'{"city": "Amsterdam"}\' cut').bind_tools([get_weather])
    ai = llm.invoke("Weather?")
    assert ai.response_metadata["finish_reason"] == "length"
    assert not ai.tool_calls and ai.invalid_tool_calls
    assert ai.invalid_tool_calls[0]["name"] == "get_weather"
    index = li('tool=get_weather args=\'{"city": "Amsterdam"}\' cut')
    reply = index.chat_with_tools(
        [FunctionTool.from_defaults(fn=get_weather)], chat_history=user("Weather?")
    )
    with pytest.raises(InvalidToolCallError, match="max_tokens"):
        index.get_tool_calls_from_response(reply)


# ----------------------------------------------------------------- documented


def test_emulator_help_documents_the_script_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--help"]) == 0
    out = capsys.readouterr().out
    for word in (
        ";;",
        "\\n",
        "interleave",
        "no-end",
        "cut",
        "spend-cap",
        "byok-rejected",
        "credentials-rejected",
        "--accept-any-model",
    ):
        assert word in out, word


def test_emulator_help_says_where_cut_applies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--help"]) == 0
    out = capsys.readouterr().out
    cut = out[out.index("    cut ") :]
    assert "Chat Completions format only" in cut[: cut.index("no-end")]
    with pytest.raises(BadRequestError, match="'cut' is emulated on the Chat Completions"):
        lc("tool=get_weather cut", CLAUDE).bind_tools([get_weather]).invoke("Weather?")


def test_an_unknown_script_names_every_reply_kind() -> None:
    with pytest.raises(BadRequestError) as info:
        lc("bogus").invoke("Hi")
    for kind in ("error", "text=", "tool=", "spend-cap", "byok-rejected", "credentials-rejected"):
        assert kind in str(info.value), kind
