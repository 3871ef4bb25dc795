"""fast_transport is deprecated: async requests go through aiohttp by default. Setting it warns and
changes nothing; a round trip works with or without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_index.core.base.llms.types import ChatMessage

from cf_gateway_core.emulator.server import RunningEmulator, run_in_thread
from cf_gateway_core.testing import FakeGateway
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


async def test_fast_transport_warns_and_the_chat_round_trip_still_works(
    emulator: RunningEmulator,
) -> None:
    with pytest.warns(DeprecationWarning, match="fast_transport is deprecated"):
        llm = CloudflareAIGateway(
            model="openai/gpt-5.5", fast_transport=True, **_settings(emulator)
        )
    reply = await llm.achat(HI)
    chunks = [chunk async for chunk in await llm.astream_chat(HI)]
    assert reply.message.content
    assert chunks[-1].message.content == reply.message.content


async def test_fast_transport_warns_and_embeddings_still_work(emulator: RunningEmulator) -> None:
    with pytest.warns(DeprecationWarning, match="fast_transport is deprecated"):
        embed = CloudflareAIGatewayEmbedding(fast_transport=True, **_settings(emulator))
    vectors = await embed.aget_text_embedding_batch(["a", "b"])
    assert len(vectors) == 2 and all(vectors)


async def test_default_async_round_trip_needs_no_option(emulator: RunningEmulator) -> None:
    llm = CloudflareAIGateway(model="openai/gpt-5.5", **_settings(emulator))
    assert llm.fast_transport is False
    assert (await llm.achat(HI)).message.content


async def test_fast_transport_warns_once_at_construction_not_at_the_first_call(
    emulator: RunningEmulator,
) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as built:
        warnings.simplefilter("always")
        llm = CloudflareAIGateway(
            model="openai/gpt-5.5", fast_transport=True, **_settings(emulator)
        )
    with warnings.catch_warnings(record=True) as used:
        warnings.simplefilter("always")
        assert (await llm.achat(HI)).message.content
    deprecations = [w for w in built if issubclass(w.category, DeprecationWarning)]
    assert [str(w.message) for w in deprecations if "fast_transport" in str(w.message)] == [
        "fast_transport is deprecated and has no effect: async requests go through aiohttp by "
        "default. Remove fast_transport=True."
    ]
    assert not [w for w in used if "fast_transport" in str(w.message)]
