"""The sync client's own httpx client, request by request, against what httpx itself does.

Per-call gateway options and extra headers reach the wire as ``httpx.Client.send`` sends them
with a caller's client; a cookie a reply sets is sent back on the next request, as httpx's cookie
jar does; and the environment's proxy variables route the sync client as httpx routes them
(``NO_PROXY`` alone changes nothing; ``NO_PROXY`` exempts its hosts from a proxy; a proxy whose
``NO_PROXY`` does not name the host is used).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cf_gateway_core import GatewayClient
from tests.reliability.conftest import ACCOUNT, TOKEN, chat_request
from tests.reliability.fault_server import FaultServer, completion, json_reply

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variable set (in either spelling), whatever the machine running the tests has."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def _client(base_url: str, **kwargs: Any) -> GatewayClient:
    return GatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, base_url=base_url, max_retries=0, **kwargs
    )


def _same_request(first: Any, second: Any, per_request: frozenset[str] = frozenset()) -> None:
    assert (first.method, first.path, first.body) == (second.method, second.path, second.body)
    assert list(first.headers) == list(second.headers)  # same names, same order
    for name in set(first.headers) - per_request:
        assert first.headers[name] == second.headers[name], name


def test_per_call_options_and_headers_are_sent_as_httpx_sends_them(server: FaultServer) -> None:
    per_call: dict[str, Any] = {
        "options": {"cache_ttl": 60, "skip_cache": True},
        "extra_headers": {"x-trace": "abc", "Accept": "application/json"},
    }
    with (
        _client(server.base_url) as owned,
        _client(server.base_url, http_client=httpx.Client(timeout=60.0)) as sent,
    ):
        assert owned.chat(chat_request(), **per_call).text == "ok"
        assert sent.chat(chat_request(), **per_call).text == "ok"
    own, reference = server.requests
    _same_request(own, reference, frozenset({"content-length"}))
    assert own.headers["x-trace"] == "abc"
    assert own.headers["accept"] == "application/json"  # the caller's value over httpx's default
    assert own.headers["cf-aig-cache-ttl"] == "60"
    assert own.headers["cf-aig-skip-cache"] == "true"


@pytest.mark.parametrize("header", ["set-cookie", "Set-Cookie"])
@pytest.mark.parametrize("owned", [True, False], ids=["own client", "caller's client"])
def test_a_cookie_set_by_a_reply_is_sent_back_as_httpx_does(
    owned: bool, header: str, server: FaultServer
) -> None:
    server.script(json_reply(completion("first"), headers={header: "affinity=abc123; Path=/"}))
    kwargs: dict[str, Any] = {} if owned else {"http_client": httpx.Client(timeout=60.0)}
    with _client(server.base_url, **kwargs) as client:
        assert client.chat(chat_request()).text == "first"
        assert client.chat(chat_request()).text == "ok"
        assert client.chat(chat_request(), extra_headers={"x-trace": "1"}).text == "ok"
    first, second, third = server.requests
    assert "cookie" not in first.headers
    assert second.headers["cookie"] == "affinity=abc123"
    assert third.headers["cookie"] == "affinity=abc123"
    assert third.headers["x-trace"] == "1"
    assert second.headers["user-agent"].startswith("cf-gateway/")


def test_no_proxy_alone_changes_nothing(server: FaultServer, no_proxy_env: Any) -> None:
    with _client(server.base_url) as client:
        assert client.chat(chat_request()).text == "ok"
    no_proxy_env.setenv("NO_PROXY", "localhost,127.0.0.1,.internal")
    with _client(server.base_url) as client:
        assert client.chat(chat_request()).text == "ok"
    without, with_no_proxy = server.requests
    _same_request(without, with_no_proxy)


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*"])
def test_no_proxy_exempts_its_hosts_from_a_proxy(
    no_proxy: str, server: FaultServer, no_proxy_env: Any
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    no_proxy_env.setenv("NO_PROXY", no_proxy)
    with _client(server.base_url) as client:
        assert client.chat(chat_request()).text == "ok"
    (request,) = server.requests
    assert request.path.startswith("/client/v4/accounts/")  # direct, not a proxy's absolute URL


def test_a_proxy_is_used_when_no_proxy_names_other_hosts(
    server: FaultServer, no_proxy_env: Any
) -> None:
    # The fault server plays the proxy: it receives the absolute URL of the remote gateway.
    no_proxy_env.setenv("HTTP_PROXY", server.base_url.split("/client")[0])
    no_proxy_env.setenv("NO_PROXY", "localhost,.internal")
    server.default = json_reply(completion("via proxy"))
    with _client("http://gateway.invalid/client/v4", allow_insecure_http=True) as client:
        assert client.chat(chat_request()).text == "via proxy"
    (request,) = server.requests
    assert request.path.startswith("http://gateway.invalid/client/v4/accounts/")
