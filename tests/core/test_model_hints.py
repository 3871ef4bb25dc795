"""Model-name hints from the model table: "did you mean" at construction for a respelling of a
known id, and in the ``NotFoundError`` when the gateway does not know the model."""

from __future__ import annotations

import pytest

from cf_gateway_core import GatewayClient, GatewayConfigError, NotFoundError
from cf_gateway_core.messages import ChatRequest, Message
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGateway

CREDENTIALS = {"account_id": "acct", "api_token": "tok"}


@pytest.mark.parametrize(
    ("model", "meant"),
    [
        ("gpt-5.5", "openai/gpt-5.5"),
        ("claude-sonnet-4.5", "anthropic/claude-sonnet-4.5"),
        ("claude-sonnet-4-5", "anthropic/claude-sonnet-4.5"),
    ],
)
def test_missing_author_prefix_suggests_the_full_id(model: str, meant: str) -> None:
    with pytest.raises(GatewayConfigError, match="no author prefix") as info:
        ChatCloudflareAIGateway(model=model, **CREDENTIALS)
    assert f"Did you mean {meant!r}?" in str(info.value)


@pytest.mark.parametrize(
    ("model", "meant"),
    [
        ("anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4.5"),
        ("openai/gpt-5-5", "openai/gpt-5.5"),
        ("OpenAI/GPT-5.5", "openai/gpt-5.5"),
        ("@cf/meta/llama-3-1-8b-instruct", "@cf/meta/llama-3.1-8b-instruct"),
    ],
)
def test_respelled_known_model_is_refused_at_construction(model: str, meant: str) -> None:
    for build in (
        lambda: ChatCloudflareAIGateway(model=model, **CREDENTIALS),
        lambda: CloudflareAIGateway(model=model, **CREDENTIALS),
    ):
        with pytest.raises(GatewayConfigError) as info:
            build()
        assert f"did you mean {meant!r}?" in str(info.value)


def test_respelled_embedding_model_is_refused() -> None:
    with pytest.raises(GatewayConfigError, match=r"did you mean '@cf/baai/bge-base-en-v1\.5'"):
        CloudflareAIGatewayEmbeddings(model="@cf/baai/bge-base-en-v1-5", **CREDENTIALS)


@pytest.mark.parametrize("model", ["openai/gpt-5.5", "openai/gpt-5.6", "acme/new-model-2"])
def test_known_and_unknown_ids_are_accepted(model: str) -> None:
    # A model the table does not know may be new: only the gateway can say it does not exist.
    assert ChatCloudflareAIGateway(model=model, **CREDENTIALS).model == model


def _ask_404(model: str) -> NotFoundError:
    fake = FakeGateway()
    fake.queue_error(404, code=7003, message=f"Model not found: {model}")
    request = ChatRequest(model=model, messages=(Message.user("hi"),))
    with (
        GatewayClient(http_client=fake.client(), max_retries=0, **CREDENTIALS) as client,
        pytest.raises(NotFoundError) as info,
    ):
        client.chat(request)
    return info.value


def test_not_found_suggests_a_near_model() -> None:
    error = _ask_404("openai/gpt-5.6")
    assert str(error) == (
        "HTTP 404, code 7003: Model not found: openai/gpt-5.6 (did you mean 'openai/gpt-5.5'?)"
    )
    assert error.status_code == 404 and error.code == 7003


def test_not_found_without_a_near_model_has_no_hint() -> None:
    error = _ask_404("acme/no-such-model")
    assert str(error) == "HTTP 404, code 7003: Model not found: acme/no-such-model"


def test_langchain_not_found_keeps_the_hint() -> None:
    fake = FakeGateway()
    fake.queue_error(404, code=7003, message="Model not found")
    llm = ChatCloudflareAIGateway(
        model="anthropic/claude-sonnet-4.5-20250929",
        http_client=fake.client(),
        max_retries=0,
        **CREDENTIALS,
    )
    with pytest.raises(NotFoundError, match=r"did you mean 'anthropic/claude-sonnet-4\.5'\?"):
        llm.invoke("hi")


def test_not_found_message_attribute_stays_the_servers() -> None:
    assert _ask_404("openai/gpt-5.6").message == "Model not found: openai/gpt-5.6"
