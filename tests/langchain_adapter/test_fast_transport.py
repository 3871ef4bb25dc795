"""fast_transport is deprecated: async requests go through aiohttp by default. Setting it warns and
changes nothing; a round trip works with or without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cf_gateway_core.emulator.server import RunningEmulator, run_in_thread
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings

ACCOUNT = "acct"
TOKEN = "tok-fast-transport"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with run_in_thread(FakeGateway()) as running:
        yield running


def _settings(emulator: RunningEmulator) -> dict[str, object]:
    return {"account_id": ACCOUNT, "api_token": TOKEN, "base_url": emulator.base_url}


async def test_fast_transport_warns_and_the_chat_round_trip_still_works(
    emulator: RunningEmulator,
) -> None:
    with pytest.warns(DeprecationWarning, match="fast_transport is deprecated"):
        llm = ChatCloudflareAIGateway(
            model="openai/gpt-5.5", fast_transport=True, **_settings(emulator)
        )
    reply = await llm.ainvoke("Hi")
    chunks = [chunk async for chunk in llm.astream("Hi")]
    assert isinstance(reply.content, str) and reply.content
    assert "".join(str(chunk.content) for chunk in chunks) == reply.content


async def test_fast_transport_warns_and_embeddings_still_work(emulator: RunningEmulator) -> None:
    with pytest.warns(DeprecationWarning, match="fast_transport is deprecated"):
        embeddings = CloudflareAIGatewayEmbeddings(fast_transport=True, **_settings(emulator))
    vectors = await embeddings.aembed_documents(["a", "b"])
    assert len(vectors) == 2 and all(vectors)


async def test_default_async_round_trip_needs_no_option(emulator: RunningEmulator) -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", **_settings(emulator))
    assert llm.fast_transport is False
    assert (await llm.ainvoke("Hi")).content


def test_fast_transport_is_not_a_per_call_setting() -> None:
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", account_id=ACCOUNT, api_token=TOKEN)
    with pytest.raises(Exception, match="fast_transport is set when the model is created"):
        llm.invoke("Hi", fast_transport=True)
