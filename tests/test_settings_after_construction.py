"""Connection settings changed after construction take effect on the next call, in both frameworks.

A user of a pydantic model sets ``llm.gateway_options = {...}`` or builds a variant with
``llm.model_copy(update={...})`` and expects the next request to carry it, as ``llm.temperature =
0`` does. A value the constructor would refuse is refused the same way, before any request, and
the object keeps working with its previous settings.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGateway

CHAT = [ChatCloudflareAIGateway, CloudflareAIGateway]


def _build(cls: type, gateway: FakeGateway, **kwargs: Any) -> Any:
    return cls(
        **{
            "model": "openai/gpt-5.5",
            "account_id": "acct",
            "api_token": "token-one",
            "http_client": gateway.client(),
            "http_async_client": gateway.async_client(),
            **kwargs,
        }
    )


def _call(model: Any) -> None:
    if isinstance(model, ChatCloudflareAIGateway):
        model.invoke("hi")
    else:
        model.chat([ChatMessage(role="user", content="hi")])


async def _acall(model: Any) -> None:
    if isinstance(model, ChatCloudflareAIGateway):
        await model.ainvoke("hi")
    else:
        await model.achat([ChatMessage(role="user", content="hi")])


def _gateway_headers(gateway: FakeGateway) -> dict[str, str]:
    request = gateway.last_request
    assert request is not None
    return {k: v for k, v in request.headers.items() if k.startswith("cf-aig-")}


@pytest.mark.parametrize("cls", CHAT)
def test_assigned_gateway_options_reach_the_next_request(cls: type) -> None:
    gateway = FakeGateway()
    model = _build(cls, gateway)
    model.gateway_options = {"cache_ttl": 120}
    _call(model)
    assert _gateway_headers(gateway)["cf-aig-cache-ttl"] == "120"
    asyncio.run(_acall(model))
    assert _gateway_headers(gateway)["cf-aig-cache-ttl"] == "120"


@pytest.mark.parametrize("cls", CHAT)
def test_assigning_none_removes_options_given_at_construction(cls: type) -> None:
    gateway = FakeGateway()
    model = _build(cls, gateway, gateway_options={"cache_ttl": 120})
    model.gateway_options = None
    _call(model)
    assert "cf-aig-cache-ttl" not in _gateway_headers(gateway)


@pytest.mark.parametrize("cls", CHAT)
def test_an_assigned_token_is_the_one_sent(cls: type) -> None:
    gateway = FakeGateway()
    model = _build(cls, gateway)
    model.api_token = "token-two"
    _call(model)
    request = gateway.last_request
    assert request is not None
    assert request.headers["authorization"] == "Bearer token-two"
    assert "token-two" not in repr(model)


@pytest.mark.parametrize("cls", CHAT)
def test_an_assigned_base_url_is_where_the_next_request_goes(cls: type) -> None:
    gateway = FakeGateway()
    model = _build(cls, gateway)
    model.base_url = "https://gateway.example.test/client/v4"
    _call(model)
    request = gateway.last_request
    assert request is not None
    assert request.url.startswith("https://gateway.example.test/client/v4/")


@pytest.mark.parametrize("cls", CHAT)
@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("max_retries", "2", "max_retries"),
        ("timeout", -1, "timeout"),
        ("gateway_options", {"cache_tll": 1}, "cache_tll"),
        ("base_url", "http://gateway.example.test/client/v4", "allow_insecure_http"),
        ("api_token", 12345, "api_token"),
    ],
)
def test_a_refused_value_changes_nothing(cls: type, name: str, value: Any, named: str) -> None:
    gateway = FakeGateway()
    model = _build(cls, gateway, gateway_options={"cache_ttl": 60})
    before = getattr(model, name)
    with pytest.raises(GatewayConfigError) as info:
        setattr(model, name, value)
    assert named in str(info.value)
    assert "token-one" not in str(info.value)
    assert getattr(model, name) == before
    _call(model)
    request = gateway.last_request
    assert request is not None
    assert request.url.startswith("https://api.cloudflare.com/")
    assert request.headers["authorization"] == "Bearer token-one"
    assert _gateway_headers(gateway)["cf-aig-cache-ttl"] == "60"


@pytest.mark.parametrize("cls", CHAT)
def test_model_copy_with_new_options_leaves_the_original_alone(cls: type) -> None:
    gateway = FakeGateway()
    model = _build(cls, gateway, gateway_options={"cache_ttl": 60})
    variant = model.model_copy(update={"gateway_options": {"cache_ttl": 600}})
    _call(variant)
    assert _gateway_headers(gateway)["cf-aig-cache-ttl"] == "600"
    _call(model)
    assert _gateway_headers(gateway)["cf-aig-cache-ttl"] == "60"


@pytest.mark.parametrize("cls", CHAT)
def test_model_copy_with_a_refused_value_raises_before_any_request(cls: type) -> None:
    gateway = FakeGateway()
    model = _build(cls, gateway)
    with pytest.raises(GatewayConfigError, match="max_retries"):
        model.model_copy(update={"max_retries": "3"})
    assert gateway.requests == []


def test_embeddings_take_assigned_options_too() -> None:
    gateway = FakeGateway()
    embeddings = CloudflareAIGatewayEmbeddings(
        model="@cf/baai/bge-base-en-v1.5",
        account_id="acct",
        api_token="token-one",
        http_client=gateway.client(),
    )
    embeddings.gateway_options = {"cache_ttl": 300}
    embeddings.embed_query("hi")
    assert _gateway_headers(gateway)["cf-aig-cache-ttl"] == "300"
