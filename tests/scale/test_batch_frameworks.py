"""The batch API through both frameworks' embedding classes (``batch_api=True``), end to end
against ``cf-gateway emulator`` running as a separate process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cf_gateway_core import GatewayConfigError
from langchain_cf_gateway import CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding
from tests._helpers import emulator_process

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "batch-frameworks-token-123"
MODEL = "@cf/baai/bge-small-en-v1.5"
TEXTS = [f"document {i} about the orange cloud" for i in range(230)]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with emulator_process(wait=30.0) as url:
        yield url


def settings(base_url: str, **extra: object) -> dict[str, object]:
    return {"account_id": "acct", "api_token": TOKEN, "base_url": base_url, **extra}


def test_langchain_embeddings_through_the_batch_api(base_url: str) -> None:
    direct = CloudflareAIGatewayEmbeddings(model=MODEL, endpoint="run", **settings(base_url))
    queued = CloudflareAIGatewayEmbeddings(
        model=MODEL, batch_api=True, batch_poll_interval=0.05, **settings(base_url)
    )
    expected = direct.embed_documents(TEXTS)
    assert queued.embed_documents(TEXTS) == expected
    import asyncio

    assert asyncio.run(queued.aembed_documents(TEXTS[:7])) == expected[:7]
    assert queued.embed_query(TEXTS[3]) == expected[3]  # queries stay direct


def test_llamaindex_embedding_through_the_batch_api(base_url: str) -> None:
    direct = CloudflareAIGatewayEmbedding(model=MODEL, endpoint="run", **settings(base_url))
    queued = CloudflareAIGatewayEmbedding(
        model=MODEL,
        batch_api=True,
        batch_poll_interval=0.05,
        embed_batch_size=2048,
        **settings(base_url),
    )
    expected = direct.get_text_embedding_batch(TEXTS)
    assert queued.get_text_embedding_batch(TEXTS) == expected
    import asyncio

    assert asyncio.run(queued.aget_text_embedding_batch(TEXTS[:9])) == expected[:9]
    assert queued.get_query_embedding(TEXTS[5]) == expected[5]


@pytest.mark.parametrize("cls", [CloudflareAIGatewayEmbeddings, CloudflareAIGatewayEmbedding])
@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"model": "openai/text-embedding-3-small"}, "Workers AI models only"),
        ({"model": MODEL, "dimensions": 64}, "dimensions"),
        ({"model": MODEL, "batch_timeout": -1}, "timeout"),
    ],
)
def test_batch_api_settings_are_checked_at_construction(
    cls: type, extra: dict[str, object], match: str
) -> None:
    with pytest.raises(GatewayConfigError, match=match):
        cls(batch_api=True, **settings("http://127.0.0.1:9/client/v4", **extra))
