"""Provider server tools and citations through CloudflareAIGateway (LlamaIndex): dicts in the tool
list are sent as written, replies carry ``CitationBlock``s and ``additional_kwargs
["content_blocks"]`` (chat ≡ stream), and the next turn sends the blocks back unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, CitableBlock, CitationBlock, TextBlock
from llama_index.core.tools import FunctionTool

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import CloudflareAIGateway

CLAUDE, GPT = "anthropic/claude-sonnet-4.5", "openai/gpt-5.5"
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
QUESTION = "What is new at Cloudflare?"


def _llm(fake: FakeGateway, model: str = CLAUDE, **kw: Any) -> Any:
    return CloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _ask() -> list[ChatMessage]:
    return [ChatMessage(role="user", content=QUESTION)]


def test_server_tool_in_the_tool_list_and_reply_blocks() -> None:
    fake = FakeGateway()

    def lookup(term: str) -> str:
        """Look a term up."""
        return term

    llm = _llm(fake)
    reply = llm.chat_with_tools(
        [WEB_SEARCH, FunctionTool.from_defaults(lookup)], chat_history=_ask()
    )
    tools = fake.last_request.json["tools"]
    assert tools[0] == WEB_SEARCH and tools[1]["name"] == "lookup"
    blocks = reply.message.additional_kwargs["content_blocks"]
    assert [b["type"] for b in blocks][:2] == ["server_tool_use", "web_search_tool_result"]
    citations = [b for b in reply.message.blocks if isinstance(b, CitationBlock)]
    assert citations and citations[0].source == "https://developers.cloudflare.com/ai-gateway/"
    assert citations[0].cited_content.text
    assert llm.get_tool_calls_from_response(reply, error_on_no_tool_call=False) == []


def test_chat_equals_stream_and_blocks_round_trip() -> None:
    fake = FakeGateway()
    llm = _llm(fake)
    reply = llm.chat(_ask(), tools=[WEB_SEARCH])
    *_, last = llm.stream_chat(_ask(), tools=[WEB_SEARCH])
    assert last.message.blocks == reply.message.blocks
    assert last.message.additional_kwargs == reply.message.additional_kwargs
    again = asyncio.run(llm.achat(_ask(), tools=[WEB_SEARCH]))
    assert again.message.blocks == reply.message.blocks
    history = [*_ask(), reply.message, ChatMessage(role="user", content="More?")]
    llm.chat(history, tools=[WEB_SEARCH])
    assert fake.last_request.json["messages"][1] == {
        "role": "assistant",
        "content": reply.message.additional_kwargs["content_blocks"],
    }


def test_citable_block_citations_become_citation_blocks() -> None:
    fake = FakeGateway()
    citable = CitableBlock(
        title="Policy", source="policy.md", content=[TextBlock(text="Logs are kept 30 days.")]
    )
    message = ChatMessage(role="user", blocks=[TextBlock(text="How long?"), citable])
    reply = _llm(fake).chat([message])
    (citation,) = [b for b in reply.message.blocks if isinstance(b, CitationBlock)]
    assert citation.cited_content.text == "Logs are kept 30 days."
    assert citation.title == "Policy"
    assert reply.additional_kwargs["citations"][0]["title"] == "Policy"


def test_responses_web_search_and_url_citations() -> None:
    fake = FakeGateway()
    llm = _llm(fake, GPT, endpoint="responses")
    reply = llm.chat(_ask(), tools=[{"type": "web_search"}])
    assert fake.last_request.json["tools"] == [{"type": "web_search"}]
    (citation,) = [b for b in reply.message.blocks if isinstance(b, CitationBlock)]
    assert citation.cited_content.text in reply.message.content
    *_, last = llm.stream_chat(_ask(), tools=[{"type": "web_search"}])
    assert last.message.blocks == reply.message.blocks
    llm.chat([*_ask(), reply.message, ChatMessage(role="user", content="More?")])
    assert [i.get("type") for i in fake.last_request.json["input"][1:3]] == [
        "web_search_call",
        "message",
    ]


def test_wrong_endpoint_and_non_tool_dicts_are_refused() -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="endpoint 'responses'"):
        _llm(fake, GPT, endpoint="responses").chat(_ask(), tools=[WEB_SEARCH])
    with pytest.raises(GatewayConfigError, match="not a provider tool"):
        _llm(fake).chat(_ask(), tools=[{"name": "x"}])
    assert fake.requests == []
