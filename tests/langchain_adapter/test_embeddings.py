"""CloudflareAIGatewayEmbeddings over the FakeGateway: payloads, batching, async, config."""

from __future__ import annotations

import pytest

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway, embedding_list, run_embeddings
from langchain_cf_gateway import CloudflareAIGatewayEmbeddings

TOKEN = "tok-SECRET-456"


def _embeddings(fake: FakeGateway, **kwargs: object) -> CloudflareAIGatewayEmbeddings:
    return CloudflareAIGatewayEmbeddings(
        account_id="acct",
        api_token=TOKEN,
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kwargs,
    )


def test_embeddings_default_model_and_payload() -> None:
    fake = FakeGateway()
    embeddings = _embeddings(fake, gateway_id="gw")
    assert embeddings.model == "@cf/baai/bge-base-en-v1.5"
    fake.queue_json(embedding_list([[0.6, 0.8]]))
    assert embeddings.embed_query("hello world") == [0.6, 0.8]
    request = fake.last_request
    assert request.path == "/client/v4/accounts/acct/ai/v1/embeddings"
    assert request.json == {"model": "@cf/baai/bge-base-en-v1.5", "input": ["hello world"]}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["cf-aig-gateway-id"] == "gw"


def test_embeddings_batches_of_at_most_100_keep_order() -> None:
    fake = FakeGateway()
    texts = [f"text number {'x' * (i % 7)} {i}" for i in range(250)]
    # The emulator's vectors depend on the text only: each batched vector equals the text's own.
    vectors = _embeddings(fake).embed_documents(texts)
    assert [len(r.json["input"]) for r in fake.requests] == [100, 100, 50]
    assert vectors == [_embeddings(FakeGateway()).embed_query(t) for t in texts]
    assert len({tuple(v) for v in vectors}) == len(set(texts))
    assert [len(r.json["input"]) for r in fake.requests] == [100, 100, 50]


async def test_embeddings_async_twins() -> None:
    fake = FakeGateway()
    embeddings = _embeddings(fake)
    texts = [f"doc {i}" for i in range(101)]
    reference = _embeddings(FakeGateway())
    assert await embeddings.aembed_documents(texts) == reference.embed_documents(texts)
    assert await embeddings.aembed_query("cats") == reference.embed_query("cats")
    assert len(fake.requests) == 3


def test_embeddings_empty_input_makes_no_request() -> None:
    fake = FakeGateway()
    assert _embeddings(fake).embed_documents([]) == []
    assert fake.requests == []


def test_embeddings_options_reach_the_wire() -> None:
    fake = FakeGateway()
    embeddings = _embeddings(
        fake,
        model="openai/text-embedding-3-small",
        dimensions=256,
        extra_body={"user": "u1"},
        gateway_options={"cache_ttl": 300},
    )
    embeddings.embed_documents(["a"])
    request = fake.last_request
    assert request.json == {
        "model": "openai/text-embedding-3-small",
        "input": ["a"],
        "dimensions": 256,
        "user": "u1",
    }
    assert request.headers["cf-aig-cache-ttl"] == "300"


def test_embeddings_native_run_path() -> None:
    fake = FakeGateway()
    fake.queue_json(run_embeddings([[0.1, 0.2], [0.3, 0.4]]))
    vectors = _embeddings(fake, endpoint="run").embed_documents(["a b", "c"])
    assert vectors == [[0.1, 0.2], [0.3, 0.4]]
    request = fake.last_request
    assert request.path == "/client/v4/accounts/acct/ai/run/@cf/baai/bge-base-en-v1.5"
    assert request.json == {"text": ["a b", "c"]}


def test_embeddings_configuration_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)
    with pytest.raises(GatewayConfigError, match="CLOUDFLARE_API_TOKEN"):
        CloudflareAIGatewayEmbeddings(account_id="acct")
    with pytest.raises(GatewayConfigError, match="no author prefix"):
        CloudflareAIGatewayEmbeddings(model="bge", account_id="a", api_token="t")
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="embeddings cannot use endpoint"):
        _embeddings(fake, model="openai/text-embedding-3-small", endpoint="run")
    assert fake.requests == []


def test_embeddings_env_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct-env")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    embeddings = CloudflareAIGatewayEmbeddings(model_name="@cf/baai/bge-m3")
    assert (embeddings.model, embeddings.account_id) == ("@cf/baai/bge-m3", "acct-env")
    assert TOKEN not in repr(embeddings) + str(embeddings) + embeddings.model_dump_json()
