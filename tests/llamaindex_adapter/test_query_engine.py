"""A VectorStoreIndex built with our embedding, queried through ``as_query_engine(llm=...)``,
over FakeGateway — no ``Settings``, every component passed explicitly."""

from __future__ import annotations

import json

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter

from cf_gateway_core.testing import Turn, embedding_list

DOCS = [
    Document(text="Workers AI runs models on Cloudflare's GPUs.", doc_id="workers"),
    Document(text="AI Gateway caches, logs and rate-limits model calls.", doc_id="gateway"),
    Document(text="R2 is object storage without egress fees.", doc_id="r2"),
]
# One unit vector per document; the query points at the AI Gateway document.
DOC_VECTORS = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
QUERY_VECTOR = [0.1, 0.9, 0.0]
QUESTION = "What does AI Gateway do?"
ANSWER = "It caches, logs and rate-limits model calls."

# label -> (model, fake endpoint)
ROUTES = {
    "chat_completions": ("openai/gpt-5.5", "chat_completions"),
    "messages": ("anthropic/claude-sonnet-4.5", "messages"),
}
STREAMED = Turn(text=ANSWER, chunks=["It caches,", " logs and", " rate-limits model calls."])


@pytest.fixture
def index(make_embedding, fake) -> VectorStoreIndex:
    fake.queue_json(embedding_list(DOC_VECTORS), endpoint="embeddings")
    index = VectorStoreIndex.from_documents(
        DOCS,
        embed_model=make_embedding(),
        transformations=[SentenceSplitter(chunk_size=256, chunk_overlap=0)],
    )
    (request,) = fake.requests
    assert request.json["input"] == [d.text for d in DOCS]
    fake.reset()
    return index


def _prompt_sent(fake) -> str:
    (request,) = [r for r in fake.requests if r.endpoint != "embeddings"]
    return json.dumps(request.json)


@pytest.mark.parametrize("label", list(ROUTES))
def test_query_engine_answers_from_the_retrieved_node(index, make_llm, fake, label) -> None:
    model, endpoint = ROUTES[label]
    fake.queue_json(embedding_list([QUERY_VECTOR]), endpoint="embeddings")
    fake.queue_turns(Turn(text=ANSWER), endpoint=endpoint)
    engine = index.as_query_engine(llm=make_llm(model), similarity_top_k=1)

    response = engine.query(QUESTION)

    assert str(response) == ANSWER
    assert [n.node.ref_doc_id for n in response.source_nodes] == ["gateway"]
    prompt = _prompt_sent(fake)
    assert "caches, logs and rate-limits" in prompt and QUESTION in prompt
    assert "R2 is object storage" not in prompt
    assert fake.requests[0].json["input"] == [QUESTION]


@pytest.mark.parametrize("label", list(ROUTES))
async def test_query_engine_async_and_streaming(index, make_llm, fake, label) -> None:
    model, endpoint = ROUTES[label]
    llm = make_llm(model)
    fake.queue_json(embedding_list([QUERY_VECTOR]), endpoint="embeddings")
    fake.queue_turns(Turn(text=ANSWER), endpoint=endpoint)
    response = await index.as_query_engine(llm=llm, similarity_top_k=1).aquery(QUESTION)
    assert str(response) == ANSWER

    fake.reset()
    fake.queue_json(embedding_list([QUERY_VECTOR]), endpoint="embeddings")
    fake.queue_turns(STREAMED)
    engine = index.as_query_engine(llm=llm, similarity_top_k=1, streaming=True)
    streamed = engine.query(QUESTION)
    assert "".join(streamed.response_gen) == ANSWER
    assert "caches, logs and rate-limits" in _prompt_sent(fake)
