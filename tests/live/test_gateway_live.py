"""Live checks against the real gateway: opt in with ``pytest -m live`` and real credentials.

They need ``CLOUDFLARE_ACCOUNT_ID`` and ``CLOUDFLARE_API_TOKEN`` (and optionally
``CLOUDFLARE_GATEWAY_ID``, ``CF_GATEWAY_LIVE_OPENAI_MODEL``, ``CF_GATEWAY_LIVE_ANTHROPIC_MODEL``).
"""

from __future__ import annotations

import os

import pytest

from cf_gateway_core import ChatRequest, EmbeddingRequest, GatewayClient, Message, TextDelta

pytestmark = pytest.mark.live

MODELS = {
    "chat_completions": os.environ.get("CF_GATEWAY_LIVE_OPENAI_MODEL", "openai/gpt-5.5"),
    "messages": os.environ.get("CF_GATEWAY_LIVE_ANTHROPIC_MODEL", "anthropic/claude-sonnet-4.5"),
    "run": "@cf/meta/llama-3.1-8b-instruct",
}


@pytest.fixture(scope="module")
def client() -> GatewayClient:
    if not (os.environ.get("CLOUDFLARE_ACCOUNT_ID") and os.environ.get("CLOUDFLARE_API_TOKEN")):
        pytest.fail("live tests need CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN")
    return GatewayClient()


@pytest.mark.parametrize("endpoint", sorted(MODELS))
def test_live_chat_and_stream(client: GatewayClient, endpoint: str) -> None:
    request = ChatRequest(
        model=MODELS[endpoint], messages=(Message.user("Say the word 'pong'."),), max_tokens=64
    )
    reply = client.chat(request, endpoint=endpoint)
    assert reply.text
    assert reply.gateway is not None
    streamed = "".join(
        e.text for e in client.stream(request, endpoint=endpoint) if isinstance(e, TextDelta)
    )
    assert streamed


def test_live_embeddings(client: GatewayClient) -> None:
    result = client.embed(EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=["a", "b"]))
    assert len(result.vectors) == 2
    assert len(result.vectors[0]) == 768
