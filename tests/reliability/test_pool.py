"""The default async transport's pool (cf_gateway_core._pool), checked at a real loopback server:
connections reused and bounded, permits returned on every path (body read, body left unread,
error, cancellation, timeout), idle connections dropped by the server replaced, errors mapped to
httpx's, and everything closed on ``aclose``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from cf_gateway_core._pool import AsyncPoolTransport
from tests.reliability.conftest import async_client, chat_request
from tests.reliability.fault_server import (
    FaultServer,
    garbage,
    hang_up,
    json_reply,
    refused_url,
    reset,
    sse_reply,
    stall,
)


def _client(max_connections: int = 10, max_keepalive: int = 10, **timeouts: float) -> Any:
    transport = AsyncPoolTransport(max_connections=max_connections, max_keepalive=max_keepalive)
    timeout = httpx.Timeout(2.0, **timeouts)
    return httpx.AsyncClient(transport=transport, timeout=timeout)


async def _post(http: httpx.AsyncClient, server: FaultServer) -> httpx.Response:
    return await http.post(server.base_url + "/x", content=b"{}")


async def test_pool_reuses_one_connection_for_sequential_requests(server: FaultServer) -> None:
    async with _client() as http:
        for _ in range(20):
            assert (await _post(http, server)).json()["object"] == "chat.completion"
    assert len(server.requests) == 20
    assert server.connections_opened == 1
    assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 0)


async def test_pool_bounds_connections_under_concurrency(server: FaultServer) -> None:
    server.default = json_reply({"ok": True}, delay=0.005)
    async with _client(max_connections=8, max_keepalive=8) as http:
        replies = await asyncio.gather(*(_post(http, server) for _ in range(200)))
    assert [r.json() for r in replies] == [{"ok": True}] * 200
    assert server.peak_open <= 8
    assert server.connections_opened <= 8  # every connection kept and reused


async def test_pool_keeps_at_most_max_keepalive_idle_connections(server: FaultServer) -> None:
    server.default = json_reply({"ok": True}, delay=0.02)
    async with _client(max_connections=6, max_keepalive=2) as http:
        await asyncio.gather(*(_post(http, server) for _ in range(6)))
        assert server.connections_opened == 6
        assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 2)


async def test_pool_wait_is_bounded_by_the_pool_timeout(server: FaultServer) -> None:
    server.script(sse_reply([b"data: 1\n\n"], ending="stall", stall_limit=5.0))
    async with _client(max_connections=1, pool=0.05) as http:
        held = await http.send(http.build_request("POST", server.base_url + "/x"), stream=True)
        with pytest.raises(httpx.PoolTimeout):
            await _post(http, server)
        await held.aclose()  # an unread body: httpcore closes that connection
        assert (await _post(http, server)).status_code == 200
    assert server.connections_opened == 2


async def test_pool_returns_the_permit_after_errors(server: FaultServer) -> None:
    server.script(reset(), hang_up(), garbage())
    async with _client(max_connections=1) as http:
        for expected in (httpx.ReadError, httpx.RemoteProtocolError, httpx.RemoteProtocolError):
            with pytest.raises(expected):
                await _post(http, server)
        assert (await _post(http, server)).status_code == 200


async def test_pool_maps_connect_and_read_errors_to_httpx() -> None:
    async with _client(max_connections=1) as http:
        with pytest.raises(httpx.ConnectError):
            await http.post(refused_url() + "/x", content=b"{}")
    with FaultServer() as server:
        server.script(stall(2.0))
        async with _client(max_connections=1, read=0.05) as http:
            with pytest.raises(httpx.ReadTimeout) as caught:
                await _post(http, server)
            assert caught.value.__cause__ is not None  # the httpcore error, chained
            assert (await _post(http, server)).status_code == 200


async def test_pool_maps_a_body_cut_mid_stream(server: FaultServer) -> None:
    server.script(sse_reply([b"data: 1\n\n"], ending="cut"))
    async with _client(max_connections=1) as http:
        async with http.stream("POST", server.base_url + "/x") as response:
            with pytest.raises(httpx.RemoteProtocolError):
                async for _ in response.aiter_bytes():
                    pass
        assert (await _post(http, server)).status_code == 200


async def test_pool_replaces_a_connection_the_server_closed(server: FaultServer) -> None:
    server.script(json_reply({"n": 1}, headers={"connection": "close"}), json_reply({"n": 2}))
    async with _client(max_connections=1) as http:
        assert (await _post(http, server)).json() == {"n": 1}
        assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 0)
        assert (await _post(http, server)).json() == {"n": 2}
    assert server.connections_opened == 2


async def test_pool_cancelled_request_returns_its_permit(server: FaultServer) -> None:
    server.script(stall(5.0))
    async with _client(max_connections=1) as http:
        task = asyncio.create_task(_post(http, server))
        assert await asyncio.to_thread(server.wait_until, lambda: len(server.requests) == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await _post(http, server)).status_code == 200


async def test_pool_closes_idle_connections_to_make_room_for_another_origin() -> None:
    with FaultServer() as first, FaultServer() as second:
        async with _client(max_connections=1) as http:
            assert (await _post(http, first)).status_code == 200
            assert (await _post(http, second)).status_code == 200
            assert await asyncio.to_thread(first.wait_until, lambda: first.open_connections == 0)
            assert second.open_connections == 1


async def test_pool_aclose_closes_every_connection_and_refuses_new_requests(
    server: FaultServer,
) -> None:
    server.default = json_reply({"ok": True}, delay=0.01)
    transport = AsyncPoolTransport(max_connections=5)
    http = httpx.AsyncClient(transport=transport)
    await asyncio.gather(*(_post(http, server) for _ in range(5)))
    assert server.open_connections == 5
    await transport.aclose()
    assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 0)
    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("POST", server.base_url + "/x"))


async def test_async_client_uses_the_pool_and_closes_it(server: FaultServer) -> None:
    client = async_client(server.base_url)
    await asyncio.gather(*(client.chat(chat_request()) for _ in range(30)))
    opened = server.connections_opened
    assert opened <= 30
    for _ in range(10):
        await client.chat(chat_request())
    assert server.connections_opened == opened  # idle connections reused
    await client.aclose()
    assert await asyncio.to_thread(server.wait_until, lambda: server.open_connections == 0)
