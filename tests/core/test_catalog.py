"""The model catalogue through the core clients: search filters and paging, schema, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cf_gateway_core import AsyncGatewayClient, GatewayClient, GatewayConfigError, NotFoundError
from cf_gateway_core.catalog import CatalogModel
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.profiles import get_profile
from cf_gateway_core.testing import FakeGateway

TOKEN = "tok-SECRET-catalog"


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def client(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(account_id="acct", api_token=TOKEN, http_client=fake.client())


def test_search_by_task_sends_a_get_with_the_query(
    fake: FakeGateway, client: GatewayClient
) -> None:
    page = client.models.search(task="Text-to-Image")
    sent = fake.last_request
    assert sent.method == "GET"
    assert sent.path == "/client/v4/accounts/acct/ai/models/search"
    assert "task=Text-to-Image" in sent.url and "per_page=50" in sent.url
    assert page.models and all(m.task == "Text-to-Image" for m in page.models)
    assert "@cf/black-forest-labs/flux-1-schnell" in [m.name for m in page]


def test_search_by_author_and_text(client: GatewayClient) -> None:
    assert {m.name for m in client.models.search(author="deepgram")} == {
        "@cf/deepgram/nova-3",
        "@cf/deepgram/aura-1",
    }
    found = client.models.search(search="RERANKER")
    assert [m.name for m in found] == ["@cf/baai/bge-reranker-base"]
    assert found.models[0].author == "baai"


def test_properties_are_read(client: GatewayClient) -> None:
    llama = next(m for m in client.models.search(search="llama-3.1-8b"))
    assert isinstance(llama, CatalogModel)
    # the emulator's catalogue is drawn from the model table
    assert llama.context_window == get_profile(llama.name).context_window
    assert llama.function_calling is True


def test_paging_and_iterate(client: GatewayClient) -> None:
    first = client.models.search(per_page=5)
    assert (first.page, first.per_page, len(first.models)) == (1, 5, 5)
    assert first.total_count is not None and first.total_count > 5
    everything = list(client.models.iterate(per_page=5))
    assert len(everything) == first.total_count
    assert len({m.name for m in everything}) == len(everything)


def test_schema(fake: FakeGateway, client: GatewayClient) -> None:
    schema = client.models.schema("@cf/baai/bge-reranker-base")
    assert fake.last_request.url.endswith(
        "/ai/models/schema?model=%40cf%2Fbaai%2Fbge-reranker-base"
    )
    assert schema["input"]["required"] == ["query", "contexts"]
    with pytest.raises(NotFoundError):
        client.models.schema("@cf/nobody/nothing")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"task": ""}, "task"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"per_page": 101}, "per_page"),
    ],
)
def test_bad_search_arguments(
    fake: FakeGateway, client: GatewayClient, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(GatewayConfigError, match=fragment):
        client.models.search(**kwargs)
    assert fake.requests == []


def test_permission_error_names_workers_ai_read(fake: FakeGateway, client: GatewayClient) -> None:
    from cf_gateway_core import AuthenticationError

    fake.queue_error(401, code=10000, message="Authentication error", endpoint="models")
    with pytest.raises(AuthenticationError, match="Workers AI > Read"):
        client.models.search()


async def test_async_catalogue_over_http() -> None:
    with run_in_thread() as emulator:
        async with AsyncGatewayClient(
            account_id="acct", api_token=TOKEN, base_url=emulator.base_url
        ) as client:
            page = await client.models.search(task="Automatic Speech Recognition")
            assert {m.name for m in page} >= {"@cf/openai/whisper-large-v3-turbo"}
            total = (await client.models.search(per_page=100)).total_count
            collected = await client.models.collect(per_page=3)
            assert len(collected) == total and len({m.name for m in collected}) == total
            schema = await client.models.schema("@cf/openai/whisper-large-v3-turbo")
            assert schema["input"]["required"] == ["audio"]


NEW_MODEL = {
    "id": "0c4c6f0e-0000-4000-a000-000000000001",
    "source": 1,
    "name": "@cf/acme/orca-chat-9b",
    "description": "A model the table does not know yet.",
    "task": {"id": "c329a1f9", "name": "Text Generation", "description": "..."},
    "tags": [],
    "properties": [
        {"property_id": "context_window", "value": "65536"},
        {"property_id": "function_calling", "value": "true"},
    ],
}


@pytest.fixture
def restore_table() -> Iterator[None]:
    from cf_gateway_core import profiles

    yield
    profiles._reset()


def page_of(*entries: dict[str, Any]) -> dict[str, Any]:
    info = {"page": 1, "per_page": 50, "count": len(entries), "total_count": len(entries)}
    return {
        "result": list(entries),
        "result_info": info,
        "success": True,
        "errors": [],
        "messages": [],
    }


@pytest.mark.usefixtures("restore_table")
def test_extend_model_table_adds_unknown_models_only(
    fake: FakeGateway, client: GatewayClient
) -> None:
    known = "@cf/meta/llama-3.1-8b-instruct"
    before = get_profile(known)
    assert not get_profile(NEW_MODEL["name"]).known
    shadow = {
        **NEW_MODEL,
        "name": known,
        "properties": [{"property_id": "context_window", "value": "99"}],
    }
    fake.queue_json(page_of(NEW_MODEL, shadow), endpoint="models")
    added = client.models.extend_model_table(task="Text Generation")
    assert added == (NEW_MODEL["name"],)
    assert "task=Text+Generation" in fake.last_request.url
    profile = get_profile(NEW_MODEL["name"])
    assert (profile.context_window, profile.tool_calling, profile.task) == (
        65536,
        True,
        "text-generation",
    )
    assert "function_calling" in profile.structured_output
    assert get_profile(known) == before  # a model the table knows is left alone


@pytest.mark.usefixtures("restore_table")
async def test_extend_model_table_async_with_overwrite(fake: FakeGateway) -> None:
    small = {**NEW_MODEL, "properties": [{"property_id": "context_window", "value": "2048"}]}
    fake.queue_json(page_of(small), endpoint="models")
    async with AsyncGatewayClient(
        account_id="a", api_token=TOKEN, http_client=fake.async_client()
    ) as client:
        assert await client.models.extend_model_table() == (NEW_MODEL["name"],)
    profile = get_profile(NEW_MODEL["name"])
    assert profile.context_window == 2048 and profile.max_output_tokens <= 2048
    assert profile.tool_calling is False


def test_nothing_is_fetched_at_construction(fake: FakeGateway) -> None:
    GatewayClient(account_id="a", api_token=TOKEN, http_client=fake.client()).models  # noqa: B018
    assert fake.requests == []
