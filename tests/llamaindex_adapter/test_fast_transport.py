"""fast_transport=True: both LlamaIndex classes send async requests through aiohttp."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("aiohttp")

from llama_index.core.base.llms.types import ChatMessage

from cf_gateway_core.emulator.server import RunningEmulator, run_in_thread
from cf_gateway_core.testing import FakeGateway
from cf_gateway_core.transports import AiohttpTransport
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding

ACCOUNT = "acct"
TOKEN = "tok-fast-transport"
HI = [ChatMessage(role="user", content="Hi")]


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with run_in_thread(FakeGateway()) as running:
        yield running


def _settings(emulator: RunningEmulator) -> dict[str, object]:
    return {"account_id": ACCOUNT, "api_token": TOKEN, "base_url": emulator.base_url}


async def test_fast_transport_chat_round_trip_through_aiohttp(emulator: RunningEmulator) -> None:
    llm = CloudflareAIGateway(model="openai/gpt-5.5", fast_transport=True, **_settings(emulator))
    try:
        assert isinstance(llm._conn.aclient.http._transport, AiohttpTransport)
        reply = await llm.achat(HI)
        chunks = [chunk async for chunk in await llm.astream_chat(HI)]
    finally:
        await llm._conn.aclient.aclose()
    assert reply.message.content
    assert chunks[-1].message.content == reply.message.content


async def test_fast_transport_embeddings_round_trip_through_aiohttp(
    emulator: RunningEmulator,
) -> None:
    embed = CloudflareAIGatewayEmbedding(fast_transport=True, **_settings(emulator))
    try:
        assert isinstance(embed._conn.aclient.http._transport, AiohttpTransport)
        vectors = await embed.aget_text_embedding_batch(["a", "b"])
    finally:
        await embed._conn.aclient.aclose()
    assert len(vectors) == 2 and all(vectors)


async def test_fast_transport_default_is_httpx_own_transport(emulator: RunningEmulator) -> None:
    llm = CloudflareAIGateway(model="openai/gpt-5.5", **_settings(emulator))
    try:
        assert llm.fast_transport is False
        assert not isinstance(llm._conn.aclient.http._transport, AiohttpTransport)
    finally:
        await llm._conn.aclient.aclose()


def test_fast_transport_without_aiohttp_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # what `import aiohttp` sees uninstalled
    for build in (
        lambda: CloudflareAIGateway(
            model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN, fast_transport=True
        ),
        lambda: CloudflareAIGatewayEmbedding(
            account_id=ACCOUNT, api_token=TOKEN, fast_transport=True
        ),
    ):
        with pytest.raises(ImportError, match=r'pip install "cf-gateway\[fast\]"'):
            build()
