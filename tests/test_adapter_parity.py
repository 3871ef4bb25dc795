"""The same configuration mistake gets the same GatewayConfigError in both frameworks."""

from __future__ import annotations

from typing import Any

import pytest

from cf_gateway_core import GatewayConfigError, GatewayError
from langchain_cf_gateway import (
    ChatCloudflareAIGateway,
    CloudflareAIGatewayEmbeddings,
    CloudflareAIGatewayRerank,
)
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding
from llamaindex_cf_gateway.rerank import CloudflareAIGatewayRerank as LlamaIndexRerank

CHAT = [ChatCloudflareAIGateway, CloudflareAIGateway]
EMBED = [CloudflareAIGatewayEmbeddings, CloudflareAIGatewayEmbedding]
RERANK = [CloudflareAIGatewayRerank, LlamaIndexRerank]


def _make(cls: type, **kwargs: Any) -> Any:
    if cls in RERANK:
        return cls(**{"account_id": "acct", **kwargs})
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
    message = _message(cls, api_token="t", async_http_client=object())
    assert "async_http_client" in message
    assert "did you mean 'http_async_client'" in message


@pytest.mark.parametrize("classes", [CHAT, EMBED, RERANK], ids=["chat", "embeddings", "rerank"])
def test_a_misspelled_keyword_is_the_same_config_error_without_its_value(classes) -> None:
    # pydantic's "Extra inputs are not permitted" quotes the value: a mistyped api_token would
    # put the token in the message. Both frameworks name the keyword and the likely one instead.
    secret = "tok-MISSPELT-987"
    messages = set()
    for cls in classes:
        message = _message(cls, api_token="t", api_tokne=secret)
        assert secret not in message
        assert "'api_tokne' (did you mean 'api_token'?)" in message
        messages.add(message.replace(cls.__name__, "<class>"))
    assert len(messages) == 1


@pytest.mark.parametrize("typo", ["API_TOKEN", "token_api", "Api_Tokne"])
@pytest.mark.parametrize("classes", [CHAT, EMBED, RERANK], ids=["chat", "embeddings", "rerank"])
def test_a_keyword_in_other_case_or_word_order_gets_the_same_hint(classes, typo: str) -> None:
    messages = set()
    for cls in classes:
        message = _message(cls, api_token="t", **{typo: "tok-OTHER-CASE-55"})
        assert "tok-OTHER-CASE-55" not in message
        assert f"{typo!r} (did you mean 'api_token'?)" in message
        messages.add(message.replace(cls.__name__, "<class>"))
    assert len(messages) == 1


@pytest.mark.parametrize("cls", RERANK)
def test_rerank_api_key_and_api_token_with_the_same_value_are_one_setting(cls) -> None:
    model = cls(account_id="acct", api_key="same", api_token="same")
    assert model.api_token.get_secret_value() == "same"


@pytest.mark.parametrize("value", ["", "bad\nid"])
def test_an_unusable_session_affinity_is_the_same_config_error(value: str) -> None:
    # LangChain read an empty session_affinity as "unset" while LlamaIndex (and the per-call
    # check of both) refused it.
    messages = {
        _message(cls, api_token="t", model="@cf/meta/llama-3.1-8b-instruct", session_affinity=value)
        for cls in CHAT
    }
    assert len(messages) == 1
    assert "session_affinity" in messages.pop()


WRONG_TYPES = [
    pytest.param({"api_token": 987654321}, "api_token", id="token-as-int"),
    pytest.param({"api_token": "t", "max_retries": [2]}, "max_retries", id="max-retries-list"),
    pytest.param({"api_token": "t", "extra_body": "x"}, "extra_body", id="extra-body-str"),
    pytest.param({"api_token": "t", "http_client": "x"}, "http_client", id="http-client-str"),
]


@pytest.mark.parametrize("classes", [CHAT, EMBED, RERANK], ids=["chat", "embeddings", "rerank"])
@pytest.mark.parametrize(("settings", "field"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_a_config_error_that_never_quotes_it(
    classes, settings: dict[str, Any], field: str
) -> None:
    # The README promises a GatewayConfigError for bad input; pydantic's own ValidationError
    # would quote the value given (input_value=987654321), a mistyped token included.
    for cls in classes:
        if field not in cls.model_fields and field != "api_token":
            continue
        message = _message(cls, **settings)
        assert field in message
        assert "987654321" not in message


def test_feedback_from_a_model_takes_its_connection_settings_but_not_its_options() -> None:
    import httpx

    from langchain_cf_gateway.feedback import GatewayFeedback as LangChainFeedback
    from llamaindex_cf_gateway.feedback import GatewayFeedback as LlamaIndexFeedback

    caller_owned = httpx.Client()
    settings: dict[str, Any] = {
        "account_id": "acct",
        "api_token": "tok-secret",
        "gateway_id": "gw-1",
        "base_url": "http://gateway.internal:8080/client/v4",
        "allow_insecure_http": True,
        "timeout": 7.5,
        "max_retries": 4,
        "http_client": caller_owned,
    }
    options = {"cache_ttl": 120, "metadata": {"team": "a"}}
    try:
        pairs = [
            (LangChainFeedback, LangChainFeedback.from_model, ChatCloudflareAIGateway),
            (LlamaIndexFeedback, LlamaIndexFeedback.from_llm, CloudflareAIGateway),
        ]
        for feedback_class, from_model, model_class in pairs:
            model = model_class(model="openai/gpt-5.5", gateway_options=options, **settings)
            feedback = from_model(model)
            assert isinstance(feedback, feedback_class)
            for name, value in settings.items():
                got = getattr(feedback, name)
                got = got.get_secret_value() if name == "api_token" else got
                assert got == value or got is value, (feedback_class, name)
            assert feedback.gateway_options is None  # the model's features stay with the model
    finally:
        caller_owned.close()
