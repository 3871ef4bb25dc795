"""The same configuration mistake gets the same GatewayConfigError in both frameworks."""

from __future__ import annotations

from typing import Any

import pytest

from cf_gateway_core import GatewayConfigError, GatewayError
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding

CHAT = [ChatCloudflareAIGateway, CloudflareAIGateway]
EMBED = [CloudflareAIGatewayEmbeddings, CloudflareAIGatewayEmbedding]


def _make(cls: type, **kwargs: Any) -> Any:
    model = "@cf/baai/bge-base-en-v1.5" if cls in EMBED else "openai/gpt-5.5"
    return cls(**{"model": model, "account_id": "acct", **kwargs})


def _message(cls: type, **kwargs: Any) -> str:
    with pytest.raises(GatewayConfigError) as info:
        _make(cls, **kwargs)
    assert isinstance(info.value, GatewayError)
    return str(info.value)


@pytest.mark.parametrize("classes", [CHAT, EMBED], ids=["chat", "embeddings"])
def test_api_key_and_api_token_with_different_values_are_refused_alike(classes) -> None:
    messages = {_message(cls, api_key="key-one", api_token="key-two") for cls in classes}
    assert len(messages) == 1
    (message,) = messages
    assert "api_key" in message and "api_token" in message
    assert "key-one" not in message and "key-two" not in message


@pytest.mark.parametrize("cls", CHAT + EMBED)
def test_api_key_and_api_token_with_the_same_value_are_one_setting(cls) -> None:
    model = _make(cls, api_key="same", api_token="same")
    assert model.api_token.get_secret_value() == "same"


@pytest.mark.parametrize("cls", CHAT + EMBED)
def test_api_key_alone_is_the_token(cls) -> None:
    assert _make(cls, api_key="only").api_token.get_secret_value() == "only"


@pytest.mark.parametrize("classes", [CHAT, EMBED], ids=["chat", "embeddings"])
def test_unknown_endpoint_is_the_same_config_error(classes) -> None:
    messages = {_message(cls, api_token="t", endpoint="chat") for cls in classes}
    assert len(messages) == 1
    assert "'chat'" in messages.pop()


@pytest.mark.parametrize("cls", CHAT + EMBED)
def test_a_misspelled_keyword_is_refused_not_ignored(cls) -> None:
    # LlamaIndex models ignore unknown keywords by default; a typo of http_async_client would
    # then send requests to the real API instead of the caller's client.
    with pytest.raises((GatewayConfigError, ValueError)) as info:
        _make(cls, api_token="t", async_http_client=object())
    assert "async_http_client" in str(info.value)
    if isinstance(info.value, GatewayConfigError):
        assert "did you mean 'http_async_client'" in str(info.value)
