"""CloudflareAIGatewayEmbedding over FakeGateway: requests, batching, async, endpoints, secrets."""

from __future__ import annotations

import asyncio
import json

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from cf_gateway_core import GatewayConfigError, NotFoundError
from cf_gateway_core.testing import Reply, embedding_list
from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding
from tests.llamaindex_adapter.conftest import ACCOUNT, TOKEN


def _vectors(n: int, start: int = 0) -> list[list[float]]:
    return [[float(start + i), 1.0] for i in range(n)]


def test_embedding_defaults(make_embedding) -> None:
    embed = make_embedding()
    assert isinstance(embed, BaseEmbedding)
    assert embed.model == embed.model_name == "@cf/baai/bge-base-en-v1.5"
    assert embed.embed_batch_size == 100
    assert CloudflareAIGatewayEmbedding.class_name() == "CloudflareAIGatewayEmbedding"


def test_embedding_accepts_model_name(make_embedding) -> None:
    embed = make_embedding(model_name="@cf/baai/bge-m3")
    assert embed.model == embed.model_name == "@cf/baai/bge-m3"


def test_embedding_query_and_text_requests(make_embedding, fake) -> None:
    embed = make_embedding(gateway_id="gw1", gateway_options={"collect_log": False})
    fake.queue_json(embedding_list([[0.1, 0.2]]))
    fake.queue_json(embedding_list([[0.3, 0.4]]))
    assert embed.get_query_embedding("what is AI Gateway?") == [0.1, 0.2]
    assert embed.get_text_embedding("AI Gateway is a proxy") == [0.3, 0.4]
    request = fake.last_request
    assert request.url == (
        f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/ai/v1/embeddings"
    )
    assert request.json["model"] == "@cf/baai/bge-base-en-v1.5"
    assert request.json["input"] == ["AI Gateway is a proxy"]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["cf-aig-gateway-id"] == "gw1"
    assert request.headers["cf-aig-collect-log"] == "false"


def test_embedding_batches_at_100_per_request(make_embedding, fake) -> None:
    embed = make_embedding(embed_batch_size=250)
    fake.queue_json(embedding_list(_vectors(100, 0)))
    fake.queue_json(embedding_list(_vectors(100, 100)))
    fake.queue_json(embedding_list(_vectors(50, 200)))
    texts = [f"text {i}" for i in range(250)]
    vectors = embed.get_text_embedding_batch(texts)
    assert [v[0] for v in vectors] == [float(i) for i in range(250)]
    assert [len(r.json["input"]) for r in fake.requests] == [100, 100, 50]
    assert fake.requests[1].json["input"][0] == "text 100"


async def test_embedding_async_variants(make_embedding, fake) -> None:
    embed = make_embedding()
    fake.queue_json(embedding_list([[1.0, 0.0]]))
    fake.queue_json(embedding_list([[0.0, 1.0]]))
    fake.queue_json(embedding_list(_vectors(3)))
    assert await embed.aget_query_embedding("q") == [1.0, 0.0]
    assert await embed.aget_text_embedding("t") == [0.0, 1.0]
    vectors = await embed.aget_text_embedding_batch(["a", "b", "c"])
    assert vectors == _vectors(3)
    assert len(fake.requests) == 3


def test_embedding_async_works_across_event_loops(make_embedding, fake) -> None:
    embed = make_embedding()
    for i in range(2):
        fake.queue_json(embedding_list([[float(i)]]))
        assert asyncio.run(embed.aget_query_embedding("q")) == [float(i)]


def test_embedding_native_run_endpoint(make_embedding, fake) -> None:
    embed = make_embedding(endpoint="run")
    body = {"result": {"shape": [2, 2], "data": [[1.0, 2.0], [3.0, 4.0]]}, "success": True}
    fake.queue(Reply.json(body), endpoint="run")
    assert embed.get_text_embedding_batch(["a", "b"]) == [[1.0, 2.0], [3.0, 4.0]]
    assert fake.last_request.path.endswith("/ai/run/@cf/baai/bge-base-en-v1.5")
    assert fake.last_request.json["text"] == ["a", "b"]


def test_embedding_rejects_impossible_endpoints_at_construction(make_embedding, fake) -> None:
    with pytest.raises(GatewayConfigError, match="endpoint"):
        make_embedding(model="openai/text-embedding-3-small", endpoint="run")
    with pytest.raises(GatewayConfigError, match="endpoint"):
        make_embedding(endpoint="messages")
    with pytest.raises(GatewayConfigError, match="author"):
        make_embedding(model="bge")
    assert fake.requests == []


def test_embedding_missing_credentials() -> None:
    with pytest.raises(GatewayConfigError, match="CLOUDFLARE_API_TOKEN"):
        CloudflareAIGatewayEmbedding(account_id=ACCOUNT)


def test_embedding_extra_fields_and_dimensions(make_embedding, fake) -> None:
    embed = make_embedding(
        model="openai/text-embedding-3-small",
        dimensions=256,
        model_kwargs={"user": "u1"},
        extra_body={"encoding_format": "float"},
    )
    fake.queue_json(embedding_list([[0.5]]))
    embed.get_text_embedding("x")
    body = fake.last_request.json
    assert body["dimensions"] == 256 and body["user"] == "u1"
    assert body["encoding_format"] == "float"


def test_embedding_errors_are_the_core_classes(make_embedding, fake) -> None:
    embed = make_embedding(max_retries=0)
    fake.queue_error(404, code=7003, message="No such model")
    with pytest.raises(NotFoundError):
        embed.get_query_embedding("q")


def test_embedding_token_never_serialises(make_embedding) -> None:
    embed = make_embedding(api_key=TOKEN)
    texts = (repr(embed), str(embed), embed.to_json(), json.dumps(embed.to_dict()))
    for text in texts:
        assert TOKEN not in text
    assert "api_token" not in embed.to_dict()
    # to_payload (instrumentation events) exists from llama-index-core 0.14.2x on.
    if hasattr(type(embed), "to_payload"):
        assert TOKEN not in str(embed.to_payload())
