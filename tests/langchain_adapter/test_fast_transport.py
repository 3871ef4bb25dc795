"""fast_transport=True: both LangChain classes send async requests through aiohttp."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("aiohttp")

from cf_gateway_core.emulator.server import RunningEmulator, run_in_thread
from cf_gateway_core.testing import FakeGateway
from cf_gateway_core.transports import AiohttpTransport
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings

ACCOUNT = "acct"
TOKEN = "tok-fast-transport"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with run_in_thread(FakeGateway()) as running:
        yield running


def _settings(emulator: RunningEmulator) -> dict[str, object]:
    return {"account_id": ACCOUNT, "api_token": TOKEN, "base_url": emulator.base_url}


async def test_fast_transport_chat_round_trip_through_aiohttp(emulator: RunningEmulator) -> None:
    llm = ChatCloudflareAIGateway(
        model="openai/gpt-5.5", fast_transport=True, **_settings(emulator)
    )
    try:
        assert isinstance(llm._async_client.http._transport, AiohttpTransport)
        reply = await llm.ainvoke("Hi")
        chunks = [chunk async for chunk in llm.astream("Hi")]
    finally:
        await llm._async_client.aclose()
    assert isinstance(reply.content, str) and reply.content
    assert "".join(str(chunk.content) for chunk in chunks) == reply.content


async def test_fast_transport_embeddings_round_trip_through_aiohttp(
    emulator: RunningEmulator,
) -> None:
    embeddings = CloudflareAIGatewayEmbeddings(fast_transport=True, **_settings(emulator))
    try:
        assert isinstance(embeddings._async_client.http._transport, AiohttpTransport)
        vectors = await embeddings.aembed_documents(["a", "b"])
    finally:
        await embeddings._async_client.aclose()
    assert len(vectors) == 2 and all(vectors)


async def test_fast_transport_default_is_httpx_own_transport(emulator: RunningEmulator) -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", **_settings(emulator))
    try:
        assert llm.fast_transport is False
        assert not isinstance(llm._async_client.http._transport, AiohttpTransport)
    finally:
        await llm._async_client.aclose()


def test_fast_transport_without_aiohttp_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # what `import aiohttp` sees uninstalled
    for build in (
        lambda: ChatCloudflareAIGateway(
            model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN, fast_transport=True
        ),
        lambda: CloudflareAIGatewayEmbeddings(
            account_id=ACCOUNT, api_token=TOKEN, fast_transport=True
        ),
    ):
        with pytest.raises(ImportError, match=r'pip install "cf-gateway\[fast\]"'):
            build()


def test_fast_transport_is_not_a_per_call_setting() -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN)
    with pytest.raises(Exception, match="fast_transport is set when the model is created"):
        llm.invoke("Hi", fast_transport=True)
