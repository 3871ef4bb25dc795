"""CloudflareAIGatewayEmbeddings over the FakeGateway: payloads, batching, async, config."""

from __future__ import annotations

import pytest

from cf_gateway_core import GatewayConfigError
from langchain_cf_gateway import CloudflareAIGatewayEmbeddings
from tests.langchain_adapter.scripted import ScriptedGateway, embed_text

TOKEN = "tok-SECRET-456"


def _embeddings(fake: ScriptedGateway, **kwargs: object) -> CloudflareAIGatewayEmbeddings:
    return CloudflareAIGatewayEmbeddings(
        account_id="acct",
        api_token=TOKEN,
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kwargs,
    )


def test_embeddings_default_model_and_payload() -> None:
    fake = ScriptedGateway()
    embeddings = _embeddings(fake, gateway_id="gw")
    assert embeddings.model == "@cf/baai/bge-base-en-v1.5"
    assert embeddings.embed_query("hello world") == embed_text("hello world")
    request = fake.last_request
    assert request.path == "/client/v4/accounts/acct/ai/v1/embeddings"
    assert request.json == {"model": "@cf/baai/bge-base-en-v1.5", "input": ["hello world"]}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["cf-aig-gateway-id"] == "gw"


def test_embeddings_batches_of_at_most_100_keep_order() -> None:
    fake = ScriptedGateway()
    texts = [f"text number {'x' * (i % 7)} {i}" for i in range(250)]
    vectors = _embeddings(fake).embed_documents(texts)
    assert vectors == [embed_text(t) for t in texts]
    assert [len(r.json["input"]) for r in fake.requests] == [100, 100, 50]


async def test_embeddings_async_twins() -> None:
    fake = ScriptedGateway()
    embeddings = _embeddings(fake)
    texts = [f"doc {i}" for i in range(101)]
    assert await embeddings.aembed_documents(texts) == [embed_text(t) for t in texts]
    assert await embeddings.aembed_query("cats") == embed_text("cats")
    assert len(fake.requests) == 3


def test_embeddings_empty_input_makes_no_request() -> None:
    fake = ScriptedGateway()
    assert _embeddings(fake).embed_documents([]) == []
    assert fake.requests == []


def test_embeddings_options_reach_the_wire() -> None:
    fake = ScriptedGateway()
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
    fake = ScriptedGateway()
    vectors = _embeddings(fake, endpoint="run").embed_documents(["a b", "c"])
    assert vectors == [embed_text("a b"), embed_text("c")]
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
    fake = ScriptedGateway()
    with pytest.raises(GatewayConfigError, match="embeddings cannot use endpoint"):
        _embeddings(fake, model="openai/text-embedding-3-small", endpoint="run")
    assert fake.requests == []


def test_embeddings_env_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct-env")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    embeddings = CloudflareAIGatewayEmbeddings(model_name="@cf/baai/bge-m3")
    assert (embeddings.model, embeddings.account_id) == ("@cf/baai/bge-m3", "acct-env")
    assert TOKEN not in repr(embeddings) + str(embeddings) + embeddings.model_dump_json()
