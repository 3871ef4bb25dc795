"""``offline_unless_credentials()``: your account when its credentials are set, else the emulator.

The promise (docs/testing.md): models built from the environment reach the emulator when no
credentials are set, and the environment is left alone when they are; ``stop()`` puts back what
it changed. The autouse ``clean_environ`` fixture starts each test without ``CLOUDFLARE_*``.
"""

from __future__ import annotations

import os

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from cf_gateway_core import APIConnectionError, GatewayConfigError
from cf_gateway_core.testing import FakeGateway, Turn, offline_unless_credentials
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway

TOKEN = "cfut_offline_helper_secret_77"
NAMES = ("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_BASE_URL")


def _ask_both_frameworks() -> list[str]:
    langchain = ChatCloudflareAIGateway(model="openai/gpt-5.5", max_retries=0)
    llamaindex = CloudflareAIGateway(model="openai/gpt-5.5", max_retries=0)
    message = ChatMessage(role=MessageRole.USER, content="Hi")
    return [
        str(langchain.invoke("Hi").content),
        str(llamaindex.chat([message]).message.content),
    ]


def test_without_credentials_models_from_the_environment_reach_the_emulator() -> None:
    fake = FakeGateway()
    fake.queue_turns(Turn(text="from the emulator"), Turn(text="again"))
    with offline_unless_credentials(fake) as gateway:
        assert gateway.offline
        assert gateway.base_url.startswith("http://127.0.0.1:")
        assert gateway.base_url.endswith("/client/v4")
        assert str(gateway) == (
            "No Cloudflare credentials: running offline against the emulator at " + gateway.base_url
        )
        assert os.environ["CLOUDFLARE_API_BASE_URL"] == gateway.base_url
        assert _ask_both_frameworks() == ["from the emulator", "again"]
    assert len(fake.requests) == 2
    assert {request.endpoint for request in fake.requests} == {"chat_completions"}


def test_stop_restores_the_environment_and_stops_the_emulator() -> None:
    os.environ["CLOUDFLARE_API_BASE_URL"] = "http://127.0.0.1:9/client/v4"  # scrubbed after
    gateway = offline_unless_credentials()
    assert gateway.base_url != "http://127.0.0.1:9/client/v4"
    llm = ChatCloudflareAIGateway(model="openai/gpt-5.5", max_retries=0)
    assert llm.invoke("Hi").content
    gateway.stop()
    gateway.stop()  # idempotent
    assert os.environ["CLOUDFLARE_API_BASE_URL"] == "http://127.0.0.1:9/client/v4"
    assert "CLOUDFLARE_ACCOUNT_ID" not in os.environ
    assert "CLOUDFLARE_API_TOKEN" not in os.environ
    with pytest.raises(APIConnectionError):  # the model still points at the stopped emulator
        llm.invoke("Hi")


def test_with_credentials_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    before = {name: os.environ.get(name) for name in NAMES}
    with offline_unless_credentials() as gateway:
        assert not gateway.offline
        assert gateway.base_url == "https://api.cloudflare.com/client/v4"
        assert str(gateway) == (
            "Using your Cloudflare account from CLOUDFLARE_ACCOUNT_ID / CLOUDFLARE_API_TOKEN"
        )
        assert TOKEN not in repr(gateway)
        assert {name: os.environ.get(name) for name in NAMES} == before
    assert {name: os.environ.get(name) for name in NAMES} == before


def test_with_credentials_the_base_url_is_the_configured_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", "https://gateway.example.com/client/v4")
    gateway = offline_unless_credentials()
    assert not gateway.offline
    assert gateway.base_url == "https://gateway.example.com/client/v4"


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN"),
        ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"),
    ],
)
def test_half_the_credentials_is_a_config_error_not_a_silent_switch(
    monkeypatch: pytest.MonkeyPatch, present: str, missing: str
) -> None:
    monkeypatch.setenv(present, TOKEN)
    with pytest.raises(GatewayConfigError) as info:
        offline_unless_credentials()
    message = str(info.value)
    assert f"{missing} is not" in message and present in message
    assert "set both" in message and "unset both" in message
    assert TOKEN not in message
    assert os.environ[present] == TOKEN
    assert "CLOUDFLARE_API_BASE_URL" not in os.environ


def test_a_given_environment_mapping_is_used_instead_of_the_process_one() -> None:
    env: dict[str, str] = {}
    with offline_unless_credentials(env=env) as gateway:
        assert gateway.offline
        assert env["CLOUDFLARE_API_BASE_URL"] == gateway.base_url
        assert env["CLOUDFLARE_ACCOUNT_ID"] and env["CLOUDFLARE_API_TOKEN"]
        assert "CLOUDFLARE_API_BASE_URL" not in os.environ
    assert env == {}
