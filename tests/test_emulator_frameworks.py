"""`cf-gateway emulator` as a subprocess serves the LangChain and LlamaIndex classes over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from llama_index.core.llms import ChatMessage

from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding
from tests._helpers import emulator_process

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "emulator-token-123456"
MODELS = [
    ("openai/gpt-5.5", "auto"),
    ("anthropic/claude-sonnet-4.5", "auto"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with emulator_process(wait=30.0) as url:
        yield url


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


@pytest.mark.parametrize(("model", "endpoint"), MODELS)
def test_langchain_class_against_emulator_process(base_url: str, model: str, endpoint: str) -> None:
    llm = ChatCloudflareAIGateway(
        model=model, endpoint=endpoint, account_id="acct", api_token=TOKEN, base_url=base_url
    )
    answer = llm.invoke("What is Cloudflare?")
    assert "What is Cloudflare?" in answer.content
    assert answer.response_metadata["gateway"]["cache_status"] == "MISS"
    streamed = "".join(str(c.content) for c in llm.stream("What is Cloudflare?"))
    assert streamed == answer.content
    ai = llm.bind_tools([get_weather]).invoke("Use get_weather for Paris")
    assert ai.tool_calls[0]["name"] == "get_weather"
    follow = llm.bind_tools([get_weather]).invoke(
        [
            HumanMessage("Use get_weather for Paris"),
            ai,
            ToolMessage("Sunny in Paris", tool_call_id=ai.tool_calls[0]["id"]),
        ]
    )
    assert "Sunny in Paris" in follow.content
    assert asyncio.run(llm.ainvoke("again")).content


@pytest.mark.parametrize(("model", "endpoint"), MODELS)
def test_llamaindex_class_against_emulator_process(
    base_url: str, model: str, endpoint: str
) -> None:
    llm = CloudflareAIGateway(
        model=model, endpoint=endpoint, account_id="acct", api_token=TOKEN, base_url=base_url
    )
    reply = llm.chat([ChatMessage(role="user", content="What is Cloudflare?")])
    assert "What is Cloudflare?" in (reply.message.content or "")
    assert reply.additional_kwargs["gateway"]["cache_status"] == "MISS"
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="What is Cloudflare?")]))
    assert chunks[-1].message.content == reply.message.content
    assert asyncio.run(llm.acomplete("again")).text


def test_embeddings_against_emulator_process(base_url: str) -> None:
    settings = {"account_id": "acct", "api_token": TOKEN, "base_url": base_url}
    lc = CloudflareAIGatewayEmbeddings(**settings)
    li = CloudflareAIGatewayEmbedding(**settings)
    assert lc.embed_query("edge") == li.get_query_embedding("edge")
    assert len(lc.embed_documents(["a", "b", "c"])) == 3
