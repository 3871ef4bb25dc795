"""Provider server tools and citations through ChatCloudflareAIGateway.

Anthropic ``web_search_*`` / ``code_execution_*`` dicts go to Messages and OpenAI built-ins
(``web_search``, ``file_search``, ``code_interpreter``) to Responses, as written; the reply's
server-tool blocks and citations are kept in ``additional_kwargs`` (invoke ≡ stream) and sent back
unchanged on the next turn; the wrong endpoint is refused naming the right one.
"""

from __future__ import annotations

import asyncio
import base64
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway

CLAUDE, GPT = "anthropic/claude-sonnet-4.5", "openai/gpt-5.5"
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
CODE_EXEC = {"type": "code_execution_20250825", "name": "code_execution"}
QUESTION = "What is new at Cloudflare?"


def _llm(fake: FakeGateway, model: str = CLAUDE, **kw: Any) -> Any:
    return ChatCloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _merged(chunks: list[Any]) -> Any:
    return reduce(lambda a, b: a + b, chunks)


def test_anthropic_server_tools_are_sent_as_written() -> None:
    fake = FakeGateway()

    def lookup(term: str) -> str:
        """Look a term up."""
        return term

    _llm(fake).bind_tools([WEB_SEARCH, CODE_EXEC, lookup]).invoke(QUESTION)
    tools = fake.last_request.json["tools"]
    assert tools[:2] == [WEB_SEARCH, CODE_EXEC]
    assert tools[2]["name"] == "lookup" and "input_schema" in tools[2]


def test_web_search_reply_blocks_and_citations_invoke_equals_stream() -> None:
    fake = FakeGateway()
    llm = _llm(fake).bind_tools([WEB_SEARCH])
    reply = llm.invoke(QUESTION)
    blocks = reply.additional_kwargs["content_blocks"]
    assert [b["type"] for b in blocks] == [
        "server_tool_use",
        "web_search_tool_result",
        "text",
        "text",
    ]
    assert blocks[0]["input"] == {"query": QUESTION}
    assert blocks[1]["tool_use_id"] == blocks[0]["id"]
    assert reply.additional_kwargs["citations"][0]["type"] == "web_search_result_location"
    assert reply.content == blocks[2]["text"] + blocks[3]["text"]
    assert reply.tool_calls == []
    streamed = _merged(list(llm.stream(QUESTION)))
    assert streamed.content == reply.content
    assert streamed.additional_kwargs == reply.additional_kwargs
    async_reply = asyncio.run(llm.ainvoke(QUESTION))
    assert async_reply.additional_kwargs == reply.additional_kwargs


def test_server_blocks_are_sent_back_unchanged_next_turn() -> None:
    fake = FakeGateway()
    llm = _llm(fake).bind_tools([WEB_SEARCH])
    first = llm.invoke(QUESTION)
    llm.invoke([HumanMessage(QUESTION), first, HumanMessage("And the week before?")])
    assistant = fake.last_request.json["messages"][1]
    assert assistant == {"role": "assistant", "content": first.additional_kwargs["content_blocks"]}
    # A streamed reply round-trips the same way.
    streamed = _merged(list(llm.stream(QUESTION)))
    llm.invoke([HumanMessage(QUESTION), streamed, HumanMessage("More?")])
    assert fake.last_request.json["messages"][1] == assistant


def test_document_citations_come_back_and_round_trip() -> None:
    fake = FakeGateway()
    note = "Gateways log every request for 30 days."
    document = {
        "type": "text-plain",
        "text": note,
        "title": "Policy",
        "extras": {"citations": {"enabled": True}},
    }
    ask = HumanMessage([{"type": "text", "text": "How long are logs kept?"}, document])
    llm = _llm(fake)
    reply = llm.invoke([ask])
    (citation,) = reply.additional_kwargs["citations"]
    assert citation["type"] == "char_location"
    assert citation["cited_text"] == note and citation["document_title"] == "Policy"
    streamed = _merged(list(llm.stream([ask])))
    assert streamed.additional_kwargs == reply.additional_kwargs
    llm.invoke([ask, reply, HumanMessage("Thanks")])
    assert fake.last_request.json["messages"][1]["content"][1]["citations"] == [citation]


def test_pdf_citations_use_page_locations() -> None:
    fake = FakeGateway()
    pdf = {
        "type": "file",
        "base64": base64.b64encode(b"%PDF-1.4").decode(),
        "mime_type": "application/pdf",
        "citations": {"enabled": True},
    }
    reply = _llm(fake).invoke([HumanMessage([{"type": "text", "text": "Cite it."}, pdf])])
    assert reply.additional_kwargs["citations"][0]["type"] == "page_location"


@pytest.mark.parametrize(
    "tool",
    [
        {"type": "web_search"},
        {"type": "file_search", "vector_store_ids": ["vs_1"]},
        {"type": "code_interpreter", "container": {"type": "auto"}},
    ],
)
def test_responses_built_ins_are_sent_as_written(tool: dict[str, Any]) -> None:
    fake = FakeGateway()
    _llm(fake, GPT, endpoint="responses").bind_tools([tool]).invoke(QUESTION)
    assert fake.last_request.json["tools"] == [tool]


def test_responses_web_search_call_and_annotations_round_trip() -> None:
    fake = FakeGateway()
    llm = _llm(fake, GPT, endpoint="responses").bind_tools([{"type": "web_search"}])
    reply = llm.invoke(QUESTION)
    call, message = reply.additional_kwargs["content_blocks"]
    assert call["type"] == "web_search_call" and call["action"]["query"] == QUESTION
    (annotation,) = reply.additional_kwargs["citations"]
    assert annotation["type"] == "url_citation"
    assert reply.content[annotation["start_index"] : annotation["end_index"]]
    streamed = _merged(list(llm.stream(QUESTION)))
    assert streamed.content == reply.content
    assert streamed.additional_kwargs == reply.additional_kwargs
    llm.invoke([HumanMessage(QUESTION), reply, HumanMessage("More?")])
    sent = fake.last_request.json["input"]
    assert sent[1:3] == [call, message]
    assert sent[3]["role"] == "user"


@pytest.mark.parametrize(
    ("model", "endpoint", "tool", "names"),
    [
        (GPT, "responses", WEB_SEARCH, "endpoint 'messages'"),
        (GPT, "chat_completions", WEB_SEARCH, "endpoint 'messages'"),
        (GPT, "chat_completions", {"type": "web_search"}, "endpoint 'responses'"),
        (CLAUDE, "messages", {"type": "code_interpreter"}, "endpoint 'responses'"),
        ("@cf/meta/llama-3.1-8b-instruct", "run", {"type": "web_search"}, "'responses'"),
    ],
)
def test_a_provider_tool_on_another_api_is_refused(
    model: str, endpoint: str, tool: dict[str, Any], names: str
) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=f"endpoint '{endpoint}'") as info:
        _llm(fake, model, endpoint=endpoint).bind_tools([tool]).invoke(QUESTION)
    assert names in str(info.value)
    assert fake.requests == []


def test_history_from_one_api_is_refused_on_another() -> None:
    fake = FakeGateway()
    reply = _llm(fake).bind_tools([WEB_SEARCH]).invoke(QUESTION)
    with pytest.raises(
        GatewayConfigError, match="continue the conversation on endpoint 'messages'"
    ):
        _llm(fake, GPT, endpoint="responses").invoke([HumanMessage(QUESTION), reply])


def test_plain_replies_carry_no_content_blocks() -> None:
    fake = FakeGateway()
    reply = _llm(fake).invoke(QUESTION)
    assert "content_blocks" not in reply.additional_kwargs
    assert isinstance(reply, AIMessage) and isinstance(reply.content, str)


def test_langchain_anthropic_history_with_server_blocks_in_content_goes_back() -> None:
    """An AIMessage as langchain-anthropic stores it (server_tool_use, web_search_tool_result
    and cited text in ``content``, streamed blocks with an ``index``, thinking first, the client
    tool_use duplicated in tool_calls) is sent back as Anthropic blocks, not refused."""
    fake = FakeGateway()
    llm = _llm(fake).bind_tools([WEB_SEARCH])
    blocks = llm.invoke(QUESTION).additional_kwargs["content_blocks"]
    thinking = {"type": "thinking", "thinking": "Search first.", "signature": "sig"}
    stored = AIMessage(
        [thinking, *({**b, "index": i + 1} for i, b in enumerate(blocks))],
        tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "toolu_1"}],
    )
    stored.content.append(  # type: ignore[union-attr]
        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}
    )
    history = [HumanMessage(QUESTION), stored, HumanMessage("More on the first result.")]
    _llm(fake).bind_tools([WEB_SEARCH]).invoke(history)
    sent = fake.last_request.json["messages"][1]["content"]
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}
    assert sent == [thinking, *blocks, tool_use]
