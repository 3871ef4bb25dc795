"""langchain-tests standard unit suites for the chat model and the embeddings."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from cf_gateway_core import get_profile
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings

_UNIT_MODEL = "openai/gpt-5.5"
_ENV = {
    "CLOUDFLARE_ACCOUNT_ID": "acct-from-env",
    "CLOUDFLARE_API_TOKEN": "token-from-env",
    "CLOUDFLARE_GATEWAY_ID": "gw-from-env",
}
_EXPECTED = {
    "account_id": "acct-from-env",
    "api_token": "token-from-env",
    "gateway_id": "gw-from-env",
}
# What dumpd() must give for chat_model_params: the token only as a reference to its variable.
_SERIALIZED = {
    "id": ["langchain_cf_gateway", "chat_models", "ChatCloudflareAIGateway"],
    "kwargs": {
        "account_id": "acct",
        "api_token": {"id": ["CLOUDFLARE_API_TOKEN"], "lc": 1, "type": "secret"},
        "base_url": "https://api.cloudflare.com/client/v4",
        "endpoint": "auto",
        "max_retries": 2,
        "max_tokens": 100,
        "model": "openai/gpt-5.5",
        "stop": [],
        "temperature": 0.0,
        "timeout": 60.0,
    },
    "lc": 1,
    "name": "ChatCloudflareAIGateway",
    "type": "constructor",
}


class _Expected(dict[str, Any]):
    """Stands in for the suite's snapshot fixture: ``expected(name=...)`` is the dict itself
    (the syrupy plugin is off in this project, see pyproject's addopts)."""

    def __call__(self, *, name: str) -> dict[str, Any]:
        return self


class TestChatCloudflareAIGatewayUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatCloudflareAIGateway]:
        return ChatCloudflareAIGateway

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": _UNIT_MODEL, "account_id": "acct", "api_key": "test"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return _ENV, {"model": "anthropic/claude-sonnet-4.5"}, _EXPECTED

    # Media flags from the model table and what chat_completions (openai/gpt-5.5's endpoint)
    # carries: PDFs as file parts; no audio for this model; tool messages text only there.
    @property
    def supports_image_inputs(self) -> bool:
        return get_profile(_UNIT_MODEL).image_inputs

    @property
    def supports_pdf_inputs(self) -> bool:
        return get_profile(_UNIT_MODEL).pdf_inputs

    @property
    def supports_audio_inputs(self) -> bool:
        return get_profile(_UNIT_MODEL).audio_inputs

    @property
    def supports_image_tool_message(self) -> bool:
        return False  # Chat Completions tool messages carry text only (docs/content.md)

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False  # Anthropic-format content goes to anthropic/ models on endpoint messages

    @pytest.mark.xfail(
        reason=(
            "langchain-core 1.8 load(allowed_objects='all') admits only classes listed in its own "
            "serialization mappings; dumpd() output still matches _SERIALIZED (no token), and "
            "test_chat_models.py round-trips it with allowed_objects=[ChatCloudflareAIGateway]."
        ),
        raises=ValueError,
        strict=True,
    )
    def test_serdes(self, model: BaseChatModel) -> None:  # type: ignore[override]
        super().test_serdes(model, _Expected(_SERIALIZED))  # type: ignore[arg-type]


class TestCloudflareAIGatewayEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[CloudflareAIGatewayEmbeddings]:
        return CloudflareAIGatewayEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"account_id": "acct", "api_key": "test"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return _ENV, {}, _EXPECTED
