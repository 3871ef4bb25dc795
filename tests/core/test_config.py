"""GatewayConfig.resolve: precedence, the missing-credentials error, secrets, URL and limits."""

from __future__ import annotations

import copy
import math
import pickle
import re

import pytest
from pydantic import SecretStr

from cf_gateway_core.config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_ACCOUNT_ID,
    ENV_API_TOKEN,
    ENV_BASE_URL,
    ENV_GATEWAY_ID,
    GatewayConfig,
    Secret,
)
from cf_gateway_core.errors import GatewayConfigError

CANARY = "cf-canary-token-7f3a9c"
ACCOUNT = "0123456789abcdef0123456789abcdef"
ALL_ENV = [ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_GATEWAY_ID, ENV_BASE_URL]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)


def test_env_var_names_match_the_contract() -> None:
    assert ENV_ACCOUNT_ID == "CLOUDFLARE_ACCOUNT_ID"
    assert ENV_API_TOKEN == "CLOUDFLARE_API_TOKEN"
    assert ENV_GATEWAY_ID == "CLOUDFLARE_GATEWAY_ID"
    assert ENV_BASE_URL == "CLOUDFLARE_API_BASE_URL"


def test_resolve_defaults() -> None:
    config = GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, env={})
    assert config.account_id == ACCOUNT
    assert config.api_token.get_secret_value() == CANARY
    assert config.gateway_id is None
    assert config.base_url == DEFAULT_BASE_URL == "https://api.cloudflare.com/client/v4"
    assert config.timeout == DEFAULT_TIMEOUT == 60.0
    assert config.max_retries == DEFAULT_MAX_RETRIES == 2
    assert config.account_url == f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/"


def test_resolve_reads_every_value_from_the_env_mapping() -> None:
    env = {
        ENV_ACCOUNT_ID: ACCOUNT,
        ENV_API_TOKEN: CANARY,
        ENV_GATEWAY_ID: "my-gateway",
        ENV_BASE_URL: "http://127.0.0.1:8787/client/v4/",
    }
    config = GatewayConfig.resolve(env=env)
    assert config.account_id == ACCOUNT
    assert config.api_token.get_secret_value() == CANARY
    assert config.gateway_id == "my-gateway"
    assert config.base_url == "http://127.0.0.1:8787/client/v4"


def test_resolve_explicit_arguments_beat_the_environment() -> None:
    env = {
        ENV_ACCOUNT_ID: "envaccount",
        ENV_API_TOKEN: "env-token",
        ENV_GATEWAY_ID: "env-gateway",
        ENV_BASE_URL: "https://env.example/client/v4",
    }
    config = GatewayConfig.resolve(
        account_id=ACCOUNT,
        api_token=CANARY,
        gateway_id="explicit-gateway",
        base_url="https://explicit.example/client/v4",
        env=env,
    )
    assert config.account_id == ACCOUNT
    assert config.api_token.get_secret_value() == CANARY
    assert config.gateway_id == "explicit-gateway"
    assert config.base_url == "https://explicit.example/client/v4"


def test_resolve_reads_the_real_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ACCOUNT_ID, ACCOUNT)
    monkeypatch.setenv(ENV_API_TOKEN, CANARY)
    monkeypatch.setenv(ENV_GATEWAY_ID, "real-env-gateway")
    monkeypatch.setenv(ENV_BASE_URL, "https://proxy.example/client/v4")
    config = GatewayConfig.resolve()
    assert config.account_id == ACCOUNT
    assert config.api_token == Secret(CANARY)
    assert config.gateway_id == "real-env-gateway"
    assert config.base_url == "https://proxy.example/client/v4"


def test_resolve_explicit_env_mapping_ignores_the_real_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_ACCOUNT_ID, ACCOUNT)
    monkeypatch.setenv(ENV_API_TOKEN, CANARY)
    with pytest.raises(GatewayConfigError):
        GatewayConfig.resolve(env={})


def test_resolve_strips_whitespace_and_treats_blank_as_missing() -> None:
    config = GatewayConfig.resolve(
        env={ENV_ACCOUNT_ID: f"  {ACCOUNT}\n", ENV_API_TOKEN: f" {CANARY} ", ENV_GATEWAY_ID: " "}
    )
    assert config.account_id == ACCOUNT
    assert config.api_token.get_secret_value() == CANARY
    assert config.gateway_id is None
    assert GatewayConfig.resolve(
        account_id=ACCOUNT, api_token=CANARY, base_url="  ", env={}
    ).base_url == (DEFAULT_BASE_URL)


@pytest.mark.parametrize(
    ("kwargs", "env", "named", "not_named"),
    [
        ({}, {}, ["account_id=", ENV_ACCOUNT_ID, "api_token=", ENV_API_TOKEN], []),
        (
            {"api_token": CANARY},
            {},
            ["account_id=", ENV_ACCOUNT_ID],
            ["api_token=", ENV_API_TOKEN],
        ),
        ({}, {ENV_API_TOKEN: CANARY}, ["account_id=", ENV_ACCOUNT_ID], [ENV_API_TOKEN]),
        ({"account_id": ACCOUNT}, {}, ["api_token=", ENV_API_TOKEN], [ENV_ACCOUNT_ID]),
        ({}, {ENV_ACCOUNT_ID: ACCOUNT, ENV_API_TOKEN: "   "}, ["api_token=", ENV_API_TOKEN], []),
        ({"account_id": "", "api_token": ""}, {}, [ENV_ACCOUNT_ID, ENV_API_TOKEN], []),
    ],
)
def test_resolve_missing_credentials_names_keyword_and_env_var(
    kwargs: dict[str, str], env: dict[str, str], named: list[str], not_named: list[str]
) -> None:
    with pytest.raises(GatewayConfigError) as info:
        GatewayConfig.resolve(**kwargs, env=env)  # type: ignore[arg-type]
    message = str(info.value)
    for text in named:
        assert text in message
    for text in not_named:
        assert text not in message
    assert CANARY not in message


def test_resolve_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match=ENV_ACCOUNT_ID):
        GatewayConfig.resolve(env={})


def test_config_token_never_in_repr_or_str() -> None:
    config = GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, env={})
    for text in (repr(config), str(config), repr(config.api_token), str(config.api_token)):
        assert CANARY not in text
    assert "**********" in str(config.api_token)
    assert "api_token" not in repr(config)
    assert ACCOUNT in repr(config)
    assert f"{config.api_token}" == "**********"


def test_secret_equality_hash_and_pickle() -> None:
    secret = Secret(CANARY)
    assert secret == Secret(CANARY)
    assert secret != Secret("other")
    assert secret != CANARY
    assert hash(secret) == hash(Secret(CANARY))
    restored = pickle.loads(pickle.dumps(secret))
    assert restored.get_secret_value() == CANARY
    assert copy.deepcopy(secret) == secret


def test_resolve_accepts_a_secret_or_a_pydantic_secret_str() -> None:
    a = GatewayConfig.resolve(account_id=ACCOUNT, api_token=Secret(CANARY), env={})
    b = GatewayConfig.resolve(account_id=ACCOUNT, api_token=SecretStr(CANARY), env={})  # type: ignore[arg-type]
    assert a.api_token.get_secret_value() == b.api_token.get_secret_value() == CANARY
    assert a == b


@pytest.mark.parametrize("token", [f"{CANARY} extra", f"{CANARY}\nX-Evil: 1", "tökén", "a\tb"])
def test_resolve_rejects_a_token_that_cannot_be_a_header_without_echoing_it(token: str) -> None:
    with pytest.raises(GatewayConfigError, match="api_token") as info:
        GatewayConfig.resolve(account_id=ACCOUNT, api_token=token, env={})
    assert token.strip() not in str(info.value)
    assert CANARY not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "keyword"),
    [
        ({"account_id": 123, "api_token": CANARY}, "account_id"),
        ({"account_id": ACCOUNT, "api_token": 123}, "api_token"),
        ({"account_id": ACCOUNT, "api_token": CANARY, "gateway_id": 5}, "gateway_id"),
        ({"account_id": ACCOUNT, "api_token": CANARY, "base_url": b"https://x"}, "base_url"),
    ],
)
def test_resolve_rejects_non_string_values(kwargs: dict[str, object], keyword: str) -> None:
    with pytest.raises(GatewayConfigError, match=f"{keyword} must be a string"):
        GatewayConfig.resolve(**kwargs, env={})  # type: ignore[arg-type]


@pytest.mark.parametrize("account", ["abc/def", "..", ".", "a?b", "a#b", "a b", "ä", "a%2f"])
def test_resolve_rejects_account_ids_that_would_change_the_url(account: str) -> None:
    with pytest.raises(GatewayConfigError, match="account id") as info:
        GatewayConfig.resolve(account_id=account, api_token=CANARY, env={})
    assert ENV_ACCOUNT_ID in str(info.value)


@pytest.mark.parametrize("gateway", ["my gateway", "gw\r\nX: y", "gätewäy"])
def test_resolve_rejects_gateway_ids_that_cannot_be_a_header(gateway: str) -> None:
    with pytest.raises(GatewayConfigError, match="gateway_id") as info:
        GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, gateway_id=gateway, env={})
    assert ENV_GATEWAY_ID in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787/client/v4",
        "http://localhost:8787/client/v4",
        "http://[::1]:8787/client/v4",
        "http://127.5.6.7/x",
        "https://api.cloudflare.com/client/v4/",
        "https://gateway.example:8443/client/v4",
    ],
)
def test_resolve_accepts_https_and_loopback_http(url: str) -> None:
    config = GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, base_url=url, env={})
    assert config.base_url == url.rstrip("/")
    assert config.account_url == f"{url.rstrip('/')}/accounts/{ACCOUNT}/"


@pytest.mark.parametrize(
    "url", ["http://api.cloudflare.com/client/v4", "http://10.0.0.5:8080", "http://example.com"]
)
def test_resolve_refuses_plain_http_to_non_loopback(url: str) -> None:
    with pytest.raises(GatewayConfigError, match="allow_insecure_http=True"):
        GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, base_url=url, env={})
    with pytest.raises(GatewayConfigError, match="allow_insecure_http=True"):
        GatewayConfig.resolve(
            env={ENV_ACCOUNT_ID: ACCOUNT, ENV_API_TOKEN: CANARY, ENV_BASE_URL: url}
        )
    config = GatewayConfig.resolve(
        account_id=ACCOUNT, api_token=CANARY, base_url=url, allow_insecure_http=True, env={}
    )
    assert config.base_url == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://api.cloudflare.com/client/v4", "http(s) URL"),
        ("api.cloudflare.com/client/v4", "http(s) URL"),
        ("https:///client/v4", "http(s) URL"),
        ("https://host:99999/x", "cannot be parsed"),
        ("https://host:0/x", "http(s) URL"),
        ("https://api.cloudflare.com/client/v4?x=1", "query or fragment"),
        ("https://api.cloudflare.com/client/v4#frag", "query or fragment"),
        ("https://api.cloudflare.com\\@evil.example/", "user-info"),
        ("https://api.cloudflare.com\\evil", "backslash"),
        ("https://api.cloudflare.com/client v4", "whitespace"),
    ],
)
def test_resolve_rejects_unusable_base_urls(url: str, reason: str) -> None:
    with pytest.raises(GatewayConfigError, match=re.escape(reason)) as info:
        GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, base_url=url, env={})
    assert ENV_BASE_URL in str(info.value)


def test_resolve_rejects_user_info_without_echoing_it() -> None:
    url = f"https://user:{CANARY}@api.cloudflare.com/client/v4"
    with pytest.raises(GatewayConfigError, match="user-info") as info:
        GatewayConfig.resolve(account_id=ACCOUNT, api_token="t", base_url=url, env={})
    assert CANARY not in str(info.value)
    with pytest.raises(GatewayConfigError, match="user-info"):
        GatewayConfig.resolve(
            account_id=ACCOUNT, api_token="t", base_url="https://api.cloudflare.com@evil.example"
        )


@pytest.mark.parametrize("timeout", [0.5, 1, 60, 3600, None])
def test_resolve_accepts_valid_timeouts(timeout: float | None) -> None:
    config = GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, timeout=timeout, env={})
    assert config.timeout == timeout
    assert config.timeout is None or type(config.timeout) is float


@pytest.mark.parametrize(
    ("timeout", "match"),
    [
        (0, "> 0"),
        (-1, "> 0"),
        (3600.5, "<= 3600"),
        (1e12, "<= 3600"),
        (math.nan, "> 0"),
        (math.inf, "> 0"),
        (True, "number of seconds"),
        ("30", "number of seconds"),
    ],
)
def test_resolve_rejects_bad_timeouts(timeout: object, match: str) -> None:
    with pytest.raises(GatewayConfigError, match=match):
        GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, timeout=timeout, env={})  # type: ignore[arg-type]


@pytest.mark.parametrize("retries", [0, 1, 10])
def test_resolve_accepts_valid_max_retries(retries: int) -> None:
    config = GatewayConfig.resolve(
        account_id=ACCOUNT, api_token=CANARY, max_retries=retries, env={}
    )
    assert config.max_retries == retries


@pytest.mark.parametrize(
    ("retries", "match"),
    [
        (-1, "between 0 and 10"),
        (11, "between 0 and 10"),
        (10**9, "between 0 and 10"),
        (True, "integer"),
        (False, "integer"),
        (1.0, "integer"),
        (None, "integer"),
        (math.nan, "integer"),
    ],
)
def test_resolve_rejects_bad_max_retries(retries: object, match: str) -> None:
    with pytest.raises(GatewayConfigError, match=match):
        GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, max_retries=retries, env={})  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    config = GatewayConfig.resolve(account_id=ACCOUNT, api_token=CANARY, env={})
    with pytest.raises(AttributeError):
        config.account_id = "other"  # type: ignore[misc]
