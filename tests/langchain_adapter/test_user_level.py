"""What users write: LCEL chains, an agent loop, structured output, a vector-store retriever."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_core.vectorstores import InMemoryVectorStore
from pydantic import BaseModel, Field

from cf_gateway_core.testing import FakeGateway, ToolCall, Turn, embedding_list
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings

GREETING = "Hello! How can I help you today?"


def _model(fake: FakeGateway, model: str = "openai/gpt-5.5") -> ChatCloudflareAIGateway:
    return ChatCloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
    )


def test_prompt_model_str_output_parser_chain() -> None:
    fake = FakeGateway().queue_turns(Turn(text=GREETING), Turn(text=GREETING))
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer in {language}."), ("human", "{question}")]
    )
    chain = prompt | _model(fake) | StrOutputParser()
    assert chain.invoke({"language": "French", "question": "What is Cloudflare?"}) == GREETING
    assert fake.last_request.json["messages"] == [
        {"role": "system", "content": "You answer in French."},
        {"role": "user", "content": "What is Cloudflare?"},
    ]
    streamed = "".join(chain.stream({"language": "German", "question": "Hi"}))
    assert streamed == GREETING


# --------------------------------------------------------------------------- agent loop


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = {"add": add, "multiply": multiply}


def _openai_calls() -> dict[str, Any]:
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
        },
        {
            "id": "call_m",
            "type": "function",
            "function": {"name": "multiply", "arguments": '{"a": 4, "b": 5}'},
        },
    ]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    return {
        "id": "c1",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
    }


def _openai_answer() -> dict[str, Any]:
    message = {"role": "assistant", "content": "2+3=5 and 4*5=20."}
    return {"id": "c2", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def _anthropic_calls() -> dict[str, Any]:
    return {
        "id": "msg_1",
        "content": [
            {"type": "text", "text": "Computing."},
            {"type": "tool_use", "id": "call_a", "name": "add", "input": {"a": 2, "b": 3}},
            {"type": "tool_use", "id": "call_m", "name": "multiply", "input": {"a": 4, "b": 5}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 30, "output_tokens": 20},
    }


def _anthropic_answer() -> dict[str, Any]:
    return {
        "id": "msg_2",
        "content": [{"type": "text", "text": "2+3=5 and 4*5=20."}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 60, "output_tokens": 10},
    }


def _results_sent(endpoint: str, body: dict[str, Any]) -> dict[str, str]:
    """tool_call_id -> result content, as sent on the wire."""
    if endpoint == "chat_completions":
        return {m["tool_call_id"]: m["content"] for m in body["messages"] if m["role"] == "tool"}
    blocks = [b for m in body["messages"] if m["role"] == "user" for b in m["content"]]
    return {b["tool_use_id"]: b["content"] for b in blocks if b.get("type") == "tool_result"}


def run_agent(model: Any, question: str, max_turns: int = 4) -> list[BaseMessage]:
    """A minimal agent loop: call tools until the model answers in text."""
    history: list[BaseMessage] = [SystemMessage("Use the tools."), HumanMessage(question)]
    for _ in range(max_turns):
        reply = model.invoke(history)
        history.append(reply)
        if not reply.tool_calls:
            return history
        history.extend(TOOLS[call["name"]].invoke(call) for call in reply.tool_calls)
    raise AssertionError("the agent did not finish")


@pytest.mark.parametrize(
    ("endpoint", "model_id", "replies"),
    [
        ("chat_completions", "openai/gpt-5.5", (_openai_calls(), _openai_answer())),
        ("messages", "anthropic/claude-sonnet-4.5", (_anthropic_calls(), _anthropic_answer())),
    ],
)
def test_agent_loop_with_two_tools(
    endpoint: str, model_id: str, replies: tuple[dict[str, Any], ...]
) -> None:
    fake = FakeGateway()
    for reply in replies:
        fake.queue_json(reply, endpoint=endpoint)
    model = _model(fake, model_id).bind_tools([add, multiply])
    history = run_agent(model, "What are 2+3 and 4*5?")
    first = history[2]
    assert isinstance(first, AIMessage)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [
        ("add", {"a": 2, "b": 3}),
        ("multiply", {"a": 4, "b": 5}),
    ]
    tool_messages = [m for m in history if isinstance(m, ToolMessage)]
    assert [(m.tool_call_id, m.content) for m in tool_messages] == [
        ("call_a", "5"),
        ("call_m", "20"),
    ]
    assert history[-1].content == "2+3=5 and 4*5=20."
    assert [r.endpoint for r in fake.requests] == [endpoint, endpoint]
    assert _results_sent(endpoint, fake.requests[1].json) == {"call_a": "5", "call_m": "20"}


def test_agent_loop_streaming_with_scripted_model() -> None:
    # A scripted agent loop: a streamed tool call, then (after the tool result) the answer.
    fake = FakeGateway().queue_turns(
        Turn(tool_calls=[ToolCall("multiply", {"a": 6, "b": 7}, id="toolu_scripted_0")]),
        Turn(text=GREETING),
    )
    model = _model(fake, "anthropic/claude-sonnet-4.5").bind_tools([add, multiply])
    history: list[BaseMessage] = [HumanMessage("multiply 6 by 7")]
    call: Any = None
    for chunk in model.stream(history):
        call = chunk if call is None else call + chunk
    assert call.tool_calls == [
        {
            "name": "multiply",
            "args": {"a": 6, "b": 7},
            "id": "toolu_scripted_0",
            "type": "tool_call",
        }
    ]
    history += [call, multiply.invoke(call.tool_calls[0])]
    assert model.invoke(history).content == GREETING
    assert _results_sent("messages", fake.last_request.json) == {"toolu_scripted_0": "42"}
    assert [r.json.get("stream") is True for r in fake.requests] == [True, False]


# --------------------------------------------------------------------------- structured output


class Movie(BaseModel):
    """A movie recommendation."""

    title: str = Field(description="The title.")
    year: int = Field(description="Release year.")


@pytest.mark.parametrize(
    "model_id",
    ["openai/gpt-5.5", "anthropic/claude-sonnet-4.5", "@cf/meta/llama-3.3-70b-instruct-fp8-fast"],
)
def test_structured_output_into_pydantic_model(model_id: str) -> None:
    fake = FakeGateway()  # the emulator fills the schema from the prompt (its numbers in order)
    prompt = ChatPromptTemplate.from_messages([("human", "Recommend a movie from {year}.")])
    chain = prompt | _model(fake, model_id).with_structured_output(Movie)
    movie = chain.invoke({"year": 1999})
    assert isinstance(movie, Movie)
    assert movie.year == 1999 and movie.title


# --------------------------------------------------------------------------- retrieval


def test_in_memory_vector_store_retriever() -> None:
    # One unit vector per document; the query points at the first (cats) document.
    fake = FakeGateway()
    fake.queue_json(embedding_list([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    fake.queue_json(embedding_list([[0.9, 0.1, 0.0]]))
    embeddings = CloudflareAIGatewayEmbeddings(
        account_id="acct", api_token="tok", http_client=fake.client()
    )
    store = InMemoryVectorStore(embedding=embeddings)
    store.add_documents(
        [
            Document("Cats purr and sleep all day.", metadata={"id": 1}),
            Document("The stock market rose sharply today.", metadata={"id": 2}),
            Document("Paris is the capital of France.", metadata={"id": 3}),
        ]
    )
    retriever = store.as_retriever(search_kwargs={"k": 1})
    (best,) = retriever.invoke("why do cats purr")
    assert best.metadata["id"] == 1
    assert [len(r.json["input"]) for r in fake.requests] == [3, 1]


async def test_in_memory_vector_store_retriever_async() -> None:
    fake = FakeGateway()
    fake.queue_json(embedding_list([[1.0, 0.0], [0.0, 1.0]]))
    fake.queue_json(embedding_list([[0.8, 0.2]]))
    embeddings = CloudflareAIGatewayEmbeddings(
        account_id="acct", api_token="tok", http_async_client=fake.async_client()
    )
    store = await InMemoryVectorStore.afrom_texts(
        ["capital of France is Paris", "stock market news"], embedding=embeddings
    )
    (best,) = await store.as_retriever(search_kwargs={"k": 1}).ainvoke("Paris France")
    assert best.page_content == "capital of France is Paris"
