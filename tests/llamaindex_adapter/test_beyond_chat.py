"""LlamaIndex beyond chat: the reranker as a query engine's node postprocessor, gateway logs
recorded through instrumentation with feedback sent to them, and the media tool spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.llms import ChatMessage
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, TextNode
from llama_index.core.tools import FunctionTool

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import (
    CloudflareAIGateway,
    CloudflareAIGatewayEmbedding,
    CloudflareAIGatewayRerank,
)
from llamaindex_cf_gateway.feedback import GatewayFeedback, GatewayLogRecorder, gateway_log_id
from llamaindex_cf_gateway.tools import CloudflareAIGatewayToolSpec

TOKEN = "tok-SECRET-li-beyond"
TEXTS = [
    "Cats sleep sixteen hours a day.",
    "AI Gateway logs every request with tokens and cost.",
    "The gateway can cache responses for repeated prompts.",
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


def nodes() -> list[NodeWithScore]:
    return [
        NodeWithScore(node=TextNode(text=t, id_=f"n{i}"), score=0.5) for i, t in enumerate(TEXTS)
    ]


class Events(BaseEventHandler):
    seen: list[BaseEvent]

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.seen.append(event)


# ----------------------------------------------------------------- reranker


def test_rerank_postprocessor_scores_and_cuts(fake: FakeGateway) -> None:
    reranker = CloudflareAIGatewayRerank(**settings(fake), top_n=2, keep_retrieval_score=True)
    assert isinstance(reranker, BaseNodePostprocessor)
    handler = Events(seen=[])
    get_dispatcher().add_event_handler(handler)
    try:
        ranked = reranker.postprocess_nodes(nodes(), query_str="gateway logs tokens cost")
    finally:
        get_dispatcher().event_handlers.remove(handler)
    assert [n.node.node_id for n in ranked] == ["n1", "n2"]
    assert ranked[0].score is not None and ranked[1].score is not None
    assert ranked[0].score > ranked[1].score
    assert ranked[0].node.metadata["retrieval_score"] == 0.5
    sent = fake.last_request
    assert sent.path.endswith("/ai/run/@cf/baai/bge-reranker-base")
    assert sent.json["top_k"] == 2 and sent.json["contexts"][1]["text"] == TEXTS[1]
    kinds = [type(e) for e in handler.seen]
    assert ReRankStartEvent in kinds and ReRankEndEvent in kinds


async def test_rerank_async_and_empty(fake: FakeGateway) -> None:
    reranker = CloudflareAIGatewayRerank(**settings(fake), top_n=1)
    ranked = await reranker.apostprocess_nodes(nodes(), query_str="cats sleep")
    assert [n.node.node_id for n in ranked] == ["n0"]
    assert await reranker.apostprocess_nodes([], query_str="x") == []
    with pytest.raises(ValueError, match="query"):
        reranker.postprocess_nodes(nodes())


def test_rerank_as_query_engine_postprocessor() -> None:
    with run_in_thread() as emulator:
        common = {"account_id": "acct", "api_key": TOKEN, "base_url": emulator.base_url}
        index = VectorStoreIndex.from_documents(
            [Document(text=t, doc_id=f"d{i}") for i, t in enumerate(TEXTS)],
            embed_model=CloudflareAIGatewayEmbedding(**common),
            transformations=[SentenceSplitter(chunk_size=256, chunk_overlap=0)],
        )
        engine = index.as_query_engine(
            llm=CloudflareAIGateway(model="openai/gpt-5.5", **common),
            similarity_top_k=3,
            node_postprocessors=[CloudflareAIGatewayRerank(**common, top_n=1)],
        )
        response = engine.query("Which gateway feature logs tokens and cost?")
        assert [n.node.ref_doc_id for n in response.source_nodes] == ["d1"]
        assert response.source_nodes[0].score is not None and response.source_nodes[0].score > 0.5
        assert str(response)


def test_rerank_needs_credentials() -> None:
    with pytest.raises(GatewayConfigError, match="CLOUDFLARE_API_TOKEN"):
        CloudflareAIGatewayRerank()


# ----------------------------------------------------------------- logs and feedback


def test_recorder_sees_every_llm_call_and_feedback_reaches_the_log(fake: FakeGateway) -> None:
    llm = CloudflareAIGateway(model="openai/gpt-5.5", **settings(fake))
    recorder = GatewayLogRecorder().attach()
    try:
        chat = llm.chat([ChatMessage(role="user", content="hello")])
        completion = llm.complete("say hi")
    finally:
        recorder.detach()
    llm.chat([ChatMessage(role="user", content="after detach")])
    assert recorder.log_ids == [gateway_log_id(chat), gateway_log_id(completion)]
    assert len(recorder.calls) == 2 and recorder.calls[0].kind == "chat"
    feedback = GatewayFeedback.from_llm(llm)
    assert (
        feedback.send(recorder.calls[0], feedback=1, score=88, metadata={"rater": "qa"})
        == recorder.log_ids[0]
    )
    sent = fake.last_request
    assert sent.method == "PATCH" and sent.json == {
        "feedback": 1,
        "score": 88,
        "metadata": {"rater": "qa"},
    }
    log = feedback.get_log(chat)
    assert (log.feedback, log.score, log.metadata["rater"]) == (1, 88.0, "qa")


async def test_async_feedback(fake: FakeGateway) -> None:
    llm = CloudflareAIGateway(model="anthropic/claude-sonnet-4.5", **settings(fake))
    reply = await llm.achat([ChatMessage(role="user", content="rate me")])
    feedback = GatewayFeedback.from_llm(llm)
    await feedback.asend(reply, feedback=-1)
    assert (await feedback.aget_log(reply)).feedback == -1


def test_feedback_needs_a_log_id(fake: FakeGateway) -> None:
    with pytest.raises(GatewayConfigError, match="No gateway log id"):
        GatewayFeedback(**settings(fake)).send(ChatMessage(role="assistant", content="x"), score=1)
    assert fake.requests == []


# ----------------------------------------------------------------- tool spec


def test_tool_spec_tools_work_sync_and_async(fake: FakeGateway, tmp_path: Path) -> None:
    spec = CloudflareAIGatewayToolSpec(output_dir=str(tmp_path), **settings(fake))
    tools = spec.to_tool_list()
    assert [t.metadata.name for t in tools] == [
        "generate_image",
        "transcribe_audio",
        "text_to_speech",
    ]
    assert all(isinstance(t, FunctionTool) for t in tools)
    image_answer = tools[0].call(prompt="a lighthouse")
    saved = next(tmp_path.glob("image-*.png"))
    assert str(saved) in str(image_answer) and saved.read_bytes()[:4] == b"\x89PNG"
    speech_answer = tools[2].call(text="hello tools")
    audio = next(tmp_path.glob("speech-*.mp3"))
    assert str(audio) in str(speech_answer)
    assert str(tools[1].call(audio_path=str(audio))) == "hello tools"
    assert TOKEN not in repr(spec)


async def test_tool_spec_async(fake: FakeGateway, tmp_path: Path) -> None:
    spec = CloudflareAIGatewayToolSpec(output_dir=str(tmp_path), **settings(fake))
    image, listen, speak = spec.to_tool_list()
    said = await speak.acall(text="async tools")
    path = str(said).rsplit(" ", 1)[-1]
    assert str(await listen.acall(audio_path=path)) == "async tools"
    assert "Image saved to" in str(await image.acall(prompt="x"))


def test_agent_can_call_a_tool_of_the_spec(fake: FakeGateway, tmp_path: Path) -> None:
    llm = CloudflareAIGateway(model="openai/gpt-5.5", **settings(fake))
    tools = CloudflareAIGatewayToolSpec(output_dir=str(tmp_path), **settings(fake)).to_tool_list()
    response = llm.chat_with_tools(tools, user_msg="please use generate_image", tool_required=True)
    calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=True)
    assert calls[0].tool_name in {"generate_image", "transcribe_audio", "text_to_speech"}
    assert {t["function"]["name"] for t in fake.last_request.json["tools"]} == {
        "generate_image",
        "transcribe_audio",
        "text_to_speech",
    }


def test_feedback_on_a_typed_media_result(fake: FakeGateway) -> None:
    from cf_gateway_core import GatewayClient

    client = GatewayClient(
        account_id="acct", api_token=TOKEN, gateway_id="evals", http_client=fake.client()
    )
    speech = client.speak("hello there")
    log_id = speech.gateway.log_id  # type: ignore[union-attr]
    assert gateway_log_id(speech) == log_id
    feedback = GatewayFeedback(**settings(fake))
    assert feedback.send(speech, score=40) == log_id
    assert feedback.get_log(log_id).score == 40  # type: ignore[arg-type]
