"""Fixtures for the LlamaIndex adapter tests: a FakeGateway and LLM/embedding factories.

Replies are scripted with the public builders of ``cf_gateway_core.testing`` (docs/testing.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding

TOKEN = "tok-SECRET-li-123"
ACCOUNT = "acct123"
GATEWAY_HEADERS = {"cf-aig-log-id": "log-42", "cf-aig-cache-status": "MISS", "cf-aig-step": "0"}


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway(auto_reply=False)


@pytest.fixture
def make_llm(fake: FakeGateway) -> Iterator[Callable[..., CloudflareAIGateway]]:
    """Build LLMs wired to ``fake`` (sync and async httpx clients); close the clients after."""
    clients: list[Any] = []

    def factory(model: str = "openai/gpt-5.5", **kwargs: Any) -> CloudflareAIGateway:
        http, ahttp = fake.client(), fake.async_client()
        clients.append((http, ahttp))
        kwargs.setdefault("account_id", ACCOUNT)
        kwargs.setdefault("api_token", TOKEN)
        return CloudflareAIGateway(model=model, http_client=http, http_async_client=ahttp, **kwargs)

    yield factory
    for http, _ in clients:
        http.close()


@pytest.fixture
def make_embedding(fake: FakeGateway) -> Iterator[Callable[..., CloudflareAIGatewayEmbedding]]:
    """Build embedding models wired to ``fake``."""
    clients: list[Any] = []

    def factory(**kwargs: Any) -> CloudflareAIGatewayEmbedding:
        http, ahttp = fake.client(), fake.async_client()
        clients.append(http)
        kwargs.setdefault("account_id", ACCOUNT)
        kwargs.setdefault("api_token", TOKEN)
        return CloudflareAIGatewayEmbedding(http_client=http, http_async_client=ahttp, **kwargs)

    yield factory
    for http in clients:
        http.close()
