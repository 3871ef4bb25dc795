"""LangChain beyond chat: the reranker as a document compressor in a retriever, feedback on a
run's gateway log, the log-recording callback handler, and the media tools — against FakeGateway
in-process and the emulator over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.exceptions import ModelAuthenticationError
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayRerank
from langchain_cf_gateway.feedback import GatewayFeedback, GatewayLogRecorder, gateway_log_id
from langchain_cf_gateway.tools import (
    CloudflareImageGenerationTool,
    CloudflareSpeechToTextTool,
    CloudflareTextToSpeechTool,
)

TOKEN = "tok-SECRET-lc-beyond"
DOCS = [
    Document(page_content="Cats sleep sixteen hours a day.", metadata={"source": "cats"}, id="1"),
    Document(
        page_content="AI Gateway logs every request with tokens and cost.",
        metadata={"source": "logs"},
        id="2",
    ),
    Document(page_content="The gateway can cache responses.", metadata={"source": "cache"}, id="3"),
]


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


def settings(fake: FakeGateway, **kw: Any) -> dict[str, Any]:
    return {
        "account_id": "acct",
        "api_key": TOKEN,
        "gateway_id": "evals",
        "http_client": fake.client(),
        "http_async_client": fake.async_client(),
        **kw,
    }


class ListRetriever(BaseRetriever):
    """A first-stage retriever returning fixed documents, compressed by a document compressor
    (what LangChain's ContextualCompressionRetriever does; that class lives in langchain-classic,
    which this package does not depend on)."""

    documents: list[Document]
    compressor: BaseDocumentCompressor

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return list(self.compressor.compress_documents(self.documents, query))

    async def _aget_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return list(await self.compressor.acompress_documents(self.documents, query))


# ----------------------------------------------------------------- reranker


def test_rerank_is_a_document_compressor_keeping_scores(fake: FakeGateway) -> None:
    reranker = CloudflareAIGatewayRerank(**settings(fake), top_n=2)
    assert isinstance(reranker, BaseDocumentCompressor)
    best = reranker.compress_documents(DOCS, "gateway logs tokens cost")
    assert [d.id for d in best] == ["2", "3"]
    assert best[0].metadata["source"] == "logs"
    assert best[0].metadata["relevance_score"] > best[1].metadata["relevance_score"]
    assert "relevance_score" not in DOCS[1].metadata  # originals untouched
    sent = fake.last_request
    assert sent.path.endswith("/ai/run/@cf/baai/bge-reranker-base")
    assert sent.json["top_k"] == 2 and sent.json["contexts"][0] == {"text": DOCS[0].page_content}


async def test_rerank_in_a_retriever_sync_and_async(fake: FakeGateway) -> None:
    retriever = ListRetriever(
        documents=DOCS, compressor=CloudflareAIGatewayRerank(**settings(fake), top_n=1)
    )
    assert [d.id for d in retriever.invoke("gateway cache responses")] == ["3"]
    assert [d.id for d in await retriever.ainvoke("request tokens cost")] == ["2"]


def test_rerank_top_n_none_keeps_everything_reordered(fake: FakeGateway) -> None:
    reranker = CloudflareAIGatewayRerank(**settings(fake), top_n=None)
    assert len(reranker.compress_documents(DOCS, "cats")) == 3
    assert reranker.compress_documents([], "cats") == []
    assert "top_k" not in fake.last_request.json


def test_rerank_config_and_errors(fake: FakeGateway) -> None:
    with pytest.raises(GatewayConfigError, match="CLOUDFLARE_ACCOUNT_ID"):
        CloudflareAIGatewayRerank()
    reranker = CloudflareAIGatewayRerank(**settings(fake), max_retries=0)
    assert TOKEN not in repr(reranker) and TOKEN not in str(reranker.model_dump())
    fake.queue_error(401, code=10000, message="Authentication error", endpoint="run")
    with pytest.raises(ModelAuthenticationError):
        reranker.compress_documents(DOCS, "x")


def test_rerank_over_http() -> None:
    with run_in_thread() as emulator:
        reranker = CloudflareAIGatewayRerank(
            account_id="a", api_key=TOKEN, base_url=emulator.base_url
        )
        assert reranker.compress_documents(DOCS, "cats sleep")[0].id == "1"


# ----------------------------------------------------------------- feedback and recorder


def test_feedback_from_a_chat_result(fake: FakeGateway) -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", **settings(fake))
    message = llm.invoke("What is Cloudflare?")
    assert isinstance(message, AIMessage)
    log_id = gateway_log_id(message)
    assert log_id == message.response_metadata["gateway"]["log_id"]
    feedback = GatewayFeedback.from_model(llm)
    assert feedback.send(message, feedback=1, score=95, metadata={"judge": "human"}) == log_id
    patch = fake.last_request
    assert patch.method == "PATCH" and patch.path.endswith(f"/gateways/evals/logs/{log_id}")
    log = feedback.get_log(message)
    assert (log.feedback, log.score, log.metadata["judge"], log.model) == (
        1,
        95.0,
        "human",
        "openai/gpt-5.5",
    )


def test_feedback_refuses_a_result_without_log_id(fake: FakeGateway) -> None:
    feedback = GatewayFeedback(**settings(fake))
    with pytest.raises(GatewayConfigError, match="No gateway log id"):
        feedback.send(AIMessage(content="hi"), feedback=1)
    with pytest.raises(GatewayConfigError, match="score must be from 0 to 100"):
        feedback.send("some-log", score=101)
    assert fake.requests == []


def test_recorder_collects_the_log_ids_of_a_chain(fake: FakeGateway) -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", **settings(fake))
    prompt = ChatPromptTemplate.from_messages([("user", "Summarise: {text}")])
    chain = prompt | llm | StrOutputParser()
    twice = RunnableLambda(lambda x: [chain.invoke({"text": x}), chain.invoke({"text": x + "!"})])
    recorder = GatewayLogRecorder()
    twice.invoke("logs", config={"callbacks": [recorder]})
    assert len(recorder.log_ids) == 2 and len(set(recorder.log_ids)) == 2
    assert len(fake.logs) == 2
    assert all(fake.logs.get(log_id) is not None for log_id in recorder.log_ids)
    chain.invoke({"text": "alone"}, config={"callbacks": [recorder]})
    assert len(recorder.log_ids) == 3


def test_recorder_groups_by_parent_run(fake: FakeGateway) -> None:
    import uuid

    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", **settings(fake))
    chain = ChatPromptTemplate.from_messages([("user", "{q}")]) | llm
    recorder = GatewayLogRecorder()
    first, second = uuid.uuid4(), uuid.uuid4()
    a = chain.invoke({"q": "one"}, config={"callbacks": [recorder], "run_id": first})
    b = chain.invoke({"q": "two"}, config={"callbacks": [recorder], "run_id": second})
    assert recorder.log_ids_for(first) == [gateway_log_id(a)]
    assert recorder.log_ids_for(second) == [gateway_log_id(b)]
    GatewayFeedback(**settings(fake)).send(recorder.log_ids_for(second)[0], feedback=-1)
    assert fake.logs.get(gateway_log_id(b) or "")["feedback"] == -1  # type: ignore[index]


async def test_async_feedback_and_recorder(fake: FakeGateway) -> None:
    llm = ChatCloudflareAIGateway(model="anthropic/claude-sonnet-4.5", **settings(fake))
    recorder = GatewayLogRecorder()
    message = await llm.ainvoke("hello", config={"callbacks": [recorder]})
    assert recorder.log_ids == [gateway_log_id(message)]
    feedback = GatewayFeedback.from_model(llm)
    await feedback.asend(message, score=40)
    assert (await feedback.aget_log(message)).score == 40.0


def test_streamed_reply_has_a_log_id_too(fake: FakeGateway) -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", **settings(fake))
    recorder = GatewayLogRecorder()
    chunks = list(llm.stream("stream please", config={"callbacks": [recorder]}))
    assert recorder.log_ids and recorder.log_ids[0] in {gateway_log_id(c) for c in chunks}


# ----------------------------------------------------------------- tools


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "media"


def test_image_tool_returns_text_and_artifact(fake: FakeGateway, out: Path) -> None:
    tool = CloudflareImageGenerationTool(**settings(fake), output_dir=str(out))
    call = {
        "name": tool.name,
        "args": {"prompt": "a red kite"},
        "id": "call-1",
        "type": "tool_call",
    }
    message = tool.invoke(call)
    assert isinstance(message, ToolMessage)
    assert "image/png" in message.content and str(out) in message.content
    saved = next(out.iterdir())
    assert saved.suffix == ".png" and saved.read_bytes() == message.artifact.data
    assert fake.last_request.json == {"prompt": "a red kite"}


async def test_speech_tools_round_trip(fake: FakeGateway, out: Path) -> None:
    speak = CloudflareTextToSpeechTool(**settings(fake), output_dir=str(out))
    said = await speak.ainvoke(
        {"name": speak.name, "args": {"text": "hello agent"}, "id": "c", "type": "tool_call"}
    )
    (path,) = list(out.glob("*.mp3"))  # noqa: ASYNC240
    assert str(path) in said.content
    listen = CloudflareSpeechToTextTool(**settings(fake))
    assert listen.invoke({"audio_path": str(path)}) == "hello agent"
    heard = await listen.ainvoke(
        {"name": listen.name, "args": {"audio_path": str(path)}, "id": "d", "type": "tool_call"}
    )
    assert heard.artifact.words[0].word == "hello"


def test_tools_bind_to_the_chat_model(fake: FakeGateway) -> None:
    tools = [
        CloudflareImageGenerationTool(**settings(fake)),
        CloudflareSpeechToTextTool(**settings(fake)),
        CloudflareTextToSpeechTool(**settings(fake)),
    ]
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", **settings(fake)).bind_tools(
        tools, tool_choice="cloudflare_image_generation"
    )
    reply = llm.invoke("draw a lighthouse")
    sent = fake.last_request.json
    assert [t["function"]["name"] for t in sent["tools"]] == [t.name for t in tools]
    assert reply.tool_calls[0]["name"] == "cloudflare_image_generation"  # type: ignore[attr-defined]
    result = tools[0].invoke(reply.tool_calls[0])  # type: ignore[attr-defined]
    assert "image/png" in result.content


def test_tool_input_errors_surface(fake: FakeGateway) -> None:
    tool = CloudflareSpeechToTextTool(**settings(fake))
    with pytest.raises(GatewayConfigError, match="does not exist"):
        tool.invoke({"audio_path": "/no/such.mp3"})


def test_feedback_on_a_media_tool_result_and_a_rerank_result(
    fake: FakeGateway, tmp_path: Path
) -> None:
    tool = CloudflareImageGenerationTool(output_dir=str(tmp_path), **settings(fake))
    message = tool.invoke(
        {"name": tool.name, "args": {"prompt": "a fox"}, "id": "c1", "type": "tool_call"}
    )
    assert isinstance(message, ToolMessage)
    image_log = message.artifact.gateway.log_id
    feedback = GatewayFeedback(**settings(fake))
    assert gateway_log_id(message) == gateway_log_id(message.artifact) == image_log
    assert feedback.send(message, feedback=1, score=90) == image_log
    assert (feedback.get_log(image_log).feedback, feedback.get_log(image_log).score) == (1, 90)
    from cf_gateway_core import GatewayClient

    client = GatewayClient(
        account_id="acct", api_token=TOKEN, gateway_id="evals", http_client=fake.client()
    )
    ranked = client.rerank("gateway logs", [d.page_content for d in DOCS])
    assert feedback.send(ranked, feedback=-1) == ranked.gateway.log_id  # type: ignore[union-attr]
