"""The HTTP clients this package creates: the sync one sends what ``httpx.Client.send`` sends
with a caller's own client, the async default (aiohttp) sends the same request as the httpx path
in every header that carries meaning, env proxies apply to both, and a closed client refuses to
send."""

from __future__ import annotations

import logging

import httpx
import pytest

from cf_gateway_core import AsyncGatewayClient, GatewayClient
from tests.reliability.conftest import ACCOUNT, TOKEN, chat_request
from tests.reliability.fault_server import FaultServer, completion, json_reply

# Headers whose value legitimately differs between two clients' requests.
_PER_REQUEST = {"content-length"}


def _owned(base_url: str) -> GatewayClient:
    return GatewayClient(account_id=ACCOUNT, api_token=TOKEN, base_url=base_url, max_retries=0)


def _through_send(base_url: str) -> GatewayClient:
    """A caller-owned httpx client: every request goes through ``httpx.Client.send``."""
    return GatewayClient(
        account_id=ACCOUNT,
        api_token=TOKEN,
        base_url=base_url,
        max_retries=0,
        http_client=httpx.Client(timeout=60.0),
    )


def test_owned_sync_client_sends_what_httpx_send_sends(server: FaultServer) -> None:
    with _owned(server.base_url) as owned, _through_send(server.base_url) as sent:
        assert owned.chat(chat_request()).text == "ok"
        assert sent.chat(chat_request()).text == "ok"
    shortcut, reference = server.requests
    assert (shortcut.method, shortcut.path, shortcut.body) == (
        reference.method,
        reference.path,
        reference.body,
    )
    assert list(shortcut.headers) == list(reference.headers)  # same names, same order
    for name in set(reference.headers) - _PER_REQUEST:
        assert shortcut.headers[name] == reference.headers[name], name
    assert {"accept", "accept-encoding", "connection", "host"} <= set(shortcut.headers)
    assert shortcut.headers["user-agent"].startswith("cf-gateway/")


async def test_default_async_path_sends_what_the_httpx_path_sends(server: FaultServer) -> None:
    kwargs = {"account_id": ACCOUNT, "api_token": TOKEN, "base_url": server.base_url}
    async with AsyncGatewayClient(**kwargs) as owned:
        assert (await owned.chat(chat_request())).text == "ok"
    http = httpx.AsyncClient(timeout=60.0)
    async with http, AsyncGatewayClient(http_client=http, **kwargs) as sent:
        assert (await sent.chat(chat_request())).text == "ok"
    default, reference = server.requests
    assert (default.method, default.path, default.body) == (
        reference.method,
        reference.path,
        reference.body,
    )
    # What carries meaning is the same; the HTTP libraries differ only in their own defaults
    # (aiohttp sends no "connection: keep-alive", which HTTP/1.1 implies).
    for name in ("authorization", "content-type", "user-agent", "host", "content-length"):
        assert default.headers[name] == reference.headers[name], name
    assert {"accept", "accept-encoding"} <= set(default.headers)
    assert "gzip" in default.headers["accept-encoding"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_owned_client_still_goes_through_env_proxies(
    mode: str, server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fault server plays the proxy: it receives the absolute URL of the remote gateway.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base_url.split("/client")[0])
    server.default = json_reply(completion("via proxy"))
    kwargs = {
        "account_id": ACCOUNT,
        "api_token": TOKEN,
        "base_url": "http://gateway.invalid/client/v4",
        "allow_insecure_http": True,
        "max_retries": 0,
    }
    if mode == "sync":
        with GatewayClient(**kwargs) as client:
            text = client.chat(chat_request()).text
    else:
        import asyncio

        async def go() -> str:
            async with AsyncGatewayClient(**kwargs) as client:
                return (await client.chat(chat_request())).text

        text = asyncio.run(go())
    assert text == "via proxy"
    (request,) = server.requests
    assert request.path.startswith("http://gateway.invalid/client/v4/accounts/")


def test_closed_owned_client_refuses_to_send_like_httpx(server: FaultServer) -> None:
    client = _owned(server.base_url)
    client.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        client.chat(chat_request())
    assert server.requests == []


def test_owned_client_keeps_httpx_request_log_line(
    server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with _owned(server.base_url) as client:
        client.chat(chat_request())
    (record,) = [r for r in caplog.records if r.name == "httpx"]
    message = record.getMessage()
    assert message.startswith("HTTP Request: POST http://127.0.0.1:")
    assert message.endswith('/ai/v1/chat/completions "HTTP/1.1 200 OK"')
