"""Gateway logs and feedback through the core clients, at the wire and at the public API, against
FakeGateway in-process and the emulator over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cf_gateway_core import (
    AsyncGatewayClient,
    AuthenticationError,
    ChatRequest,
    GatewayClient,
    GatewayConfigError,
    Message,
    NotFoundError,
    PermissionDeniedError,
)
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.logs import GatewayLog
from cf_gateway_core.testing import FakeGateway

TOKEN = "tok-SECRET-logs-123"
REQUEST = ChatRequest(model="openai/gpt-5.5", messages=(Message.user("What is Cloudflare?"),))


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


def client_for(fake: FakeGateway, **kw: Any) -> GatewayClient:
    return GatewayClient(account_id="acct", api_token=TOKEN, http_client=fake.client(), **kw)


@pytest.fixture
def server_client(fake: FakeGateway) -> Iterator[GatewayClient]:
    with run_in_thread(fake) as emulator:
        client = GatewayClient(
            account_id="acct", api_token=TOKEN, base_url=emulator.base_url, gateway_id="evals"
        )
        with client:
            yield client


def test_a_chat_reply_log_is_read_back_with_its_numbers(fake: FakeGateway) -> None:
    client = client_for(fake, gateway_id="evals")
    reply = client.chat(REQUEST)
    assert reply.gateway is not None and reply.gateway.log_id
    log = client.logs.get(reply.gateway.log_id)
    assert isinstance(log, GatewayLog)
    assert log.id == reply.gateway.log_id
    assert (log.model, log.provider, log.status_code, log.success) == (
        "openai/gpt-5.5",
        "openai",
        200,
        True,
    )
    assert reply.usage is not None
    assert (log.tokens_in, log.tokens_out) == (reply.usage.input_tokens, reply.usage.output_tokens)
    assert log.cost is not None and log.cost > 0
    assert log.cached is False and log.duration_ms is not None


def test_get_sends_a_get_to_the_logs_path_of_the_clients_gateway(fake: FakeGateway) -> None:
    client = client_for(fake, gateway_id="evals", options={"cache_ttl": 60})
    log_id = client.chat(REQUEST).gateway.log_id  # type: ignore[union-attr]
    client.logs.get(log_id)
    sent = fake.last_request
    assert sent.method == "GET"
    assert sent.path == f"/client/v4/accounts/acct/ai-gateway/gateways/evals/logs/{log_id}"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert not [h for h in sent.headers if h.startswith("cf-aig-")]  # gateway options stay off
    assert sent.content == b""


def test_without_a_gateway_id_the_default_gateway_is_read(fake: FakeGateway) -> None:
    client = client_for(fake)
    log_id = client.chat(REQUEST).gateway.log_id  # type: ignore[union-attr]
    assert client.logs.gateway_id == "default"
    assert client.logs.get(log_id).id == log_id
    assert "/ai-gateway/gateways/default/logs/" in fake.last_request.path


def test_feedback_is_a_patch_and_is_read_back(fake: FakeGateway) -> None:
    client = client_for(fake, gateway_id="evals")
    log_id = client.chat(REQUEST).gateway.log_id  # type: ignore[union-attr]
    assert client.logs.feedback(log_id, feedback=-1, score=12.5, metadata={"user": "u-7"}) is None
    sent = fake.last_request
    assert sent.method == "PATCH"
    assert sent.path.endswith(f"/gateways/evals/logs/{log_id}")
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == {"feedback": -1, "score": 12.5, "metadata": {"user": "u-7"}}
    log = client.logs.get(log_id)
    assert (log.feedback, log.score, log.metadata["user"]) == (-1, 12.5, "u-7")


def test_request_metadata_header_shows_in_the_log(fake: FakeGateway) -> None:
    client = client_for(fake, options={"metadata": {"team": "search"}})
    log_id = client.chat(REQUEST).gateway.log_id  # type: ignore[union-attr]
    assert client.logs.get(log_id).metadata == {"team": "search"}


def test_request_and_response_bodies(fake: FakeGateway) -> None:
    client = client_for(fake)
    reply = client.chat(REQUEST)
    log_id = reply.gateway.log_id  # type: ignore[union-attr]
    assert client.logs.request_body(log_id)["messages"][0]["content"] == "What is Cloudflare?"
    stored = client.logs.response_body(log_id)
    assert stored["choices"][0]["message"]["content"] == reply.text
    assert fake.last_request.path.endswith(f"/logs/{log_id}/response")


def test_list_pages_newest_first_and_filters(fake: FakeGateway) -> None:
    client = client_for(fake)
    ids = [
        client.chat(ChatRequest(model=m, messages=(Message.user(f"q{i}"),))).gateway.log_id  # type: ignore[union-attr]
        for i, m in enumerate(["openai/gpt-5.5", "anthropic/claude-sonnet-4.5", "openai/gpt-5.5"])
    ]
    page = client.logs.list(per_page=2)
    assert [log.id for log in page.logs] == [ids[2], ids[1]]
    assert (page.page, page.per_page, page.total_count) == (1, 2, 3)
    assert [log.id for log in client.logs.list(page=2, per_page=2).logs] == [ids[0]]
    only = client.logs.list(where={"model": "anthropic/claude-sonnet-4.5"})
    assert [log.id for log in only.logs] == [ids[1]]
    query = fake.last_request.url.split("?", 1)[1]
    assert "filters=" in query and "order_by=created_at" in query


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "at least one"),
        ({"feedback": 2}, "feedback must be 1"),
        ({"feedback": True}, "feedback must be 1"),
        ({"score": 101}, "score must be from 0 to 100"),
        ({"score": float("nan")}, "score must be a number"),
        ({"metadata": {"k": [1]}}, "metadata maps string keys"),
    ],
)
def test_bad_feedback_is_refused_before_any_request(
    fake: FakeGateway, kwargs: dict[str, Any], fragment: str
) -> None:
    client = client_for(fake)
    with pytest.raises(GatewayConfigError, match=fragment):
        client.logs.feedback("0197c7d0-1b2c-7d3e-8f40-a1b2c3d4e5f6", **kwargs)
    assert fake.requests == []


@pytest.mark.parametrize("log_id", ["", "../secrets", "a/b", "id?x=1", "..", 5])
def test_a_log_id_cannot_change_the_path(fake: FakeGateway, log_id: Any) -> None:
    with pytest.raises(GatewayConfigError, match="log_id"):
        client_for(fake).logs.get(log_id)
    assert fake.requests == []


def test_unknown_log_is_not_found(fake: FakeGateway) -> None:
    with pytest.raises(NotFoundError):
        client_for(fake).logs.get("0197c7d0-1b2c-7d3e-8f40-a1b2c3d4e5f6")


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [(401, 10000, AuthenticationError), (403, None, PermissionDeniedError)],
)
def test_missing_permission_names_it(
    fake: FakeGateway, status: int, code: int | None, cls: type[Exception]
) -> None:
    client = client_for(fake, max_retries=0)
    fake.queue_error(status, code=code, message="Authentication error", endpoint="logs")
    with pytest.raises(cls, match="AI Gateway > Read") as read_error:
        client.logs.get("log-1")
    assert TOKEN not in str(read_error.value)
    fake.queue_error(status, code=code, message="Authentication error", endpoint="logs")
    with pytest.raises(cls, match="AI Gateway > Edit"):
        client.logs.feedback("log-1", feedback=1)


def test_no_log_is_kept_when_logging_is_off(fake: FakeGateway) -> None:
    reply = client_for(fake, options={"collect_log": False}).chat(REQUEST)
    assert reply.gateway is not None and reply.gateway.log_id is None
    assert len(fake.logs) == 0


def test_logs_over_http_with_the_emulator_server(
    fake: FakeGateway, server_client: GatewayClient
) -> None:
    log_id = server_client.chat(REQUEST).gateway.log_id  # type: ignore[union-attr]
    server_client.logs.feedback(log_id, feedback=1, score=100)
    log = server_client.logs.get(log_id)
    assert (log.feedback, log.score, log.model) == (1, 100.0, "openai/gpt-5.5")
    assert fake.logs.get(log_id) is not None
    assert server_client.logs.list().logs[0].id == log_id


async def test_async_logs_share_the_store(fake: FakeGateway) -> None:
    async with AsyncGatewayClient(
        account_id="acct", api_token=TOKEN, http_client=fake.async_client(), gateway_id="evals"
    ) as client:
        log_id = (await client.chat(REQUEST)).gateway.log_id  # type: ignore[union-attr]
        await client.logs.feedback(log_id, score=55, metadata={"judge": "rubric-v2"})
        log = await client.logs.get(log_id)
        assert (log.score, log.metadata) == (55.0, {"judge": "rubric-v2"})
        assert (await client.logs.request_body(log_id))["model"] == "openai/gpt-5.5"
        assert (await client.logs.response_body(log_id))["object"] == "chat.completion"
        assert [entry.id for entry in (await client.logs.list()).logs] == [log_id]
        other = client.logs_for("other")
        with pytest.raises(NotFoundError):
            await other.get(log_id)


def test_emulator_rejects_out_of_range_feedback_at_the_wire(fake: FakeGateway) -> None:
    client = client_for(fake)
    log_id = client.chat(REQUEST).gateway.log_id  # type: ignore[union-attr]
    base = "https://api.cloudflare.com/client/v4/accounts/acct/ai-gateway/gateways/default/logs"
    with fake.client(headers={"authorization": "Bearer x"}) as http:
        reply = http.patch(f"{base}/{log_id}", content=json.dumps({"score": 500}))
        assert reply.status_code == 400
        assert http.get(f"{base}/{log_id}").json()["result"].get("score") is None


def test_queued_replies_keep_their_log_id_and_are_logged(fake: FakeGateway) -> None:
    body = {
        "id": "c1",
        "object": "chat.completion",
        "model": "openai/gpt-5.5",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    for _ in range(2):
        fake.queue_json(body, endpoint="chat_completions", headers={"cf-aig-log-id": "log-1"})
    client = client_for(fake)
    ids = [client.chat(REQUEST).gateway.log_id for _ in range(2)]  # type: ignore[union-attr]
    assert ids == ["log-1", "log-1"]  # exactly as scripted
    assert (client.logs.get("log-1").tokens_in, len(fake.logs)) == (3, 1)
    emulated = [client.chat(REQUEST).gateway.log_id for _ in range(2)]  # type: ignore[union-attr]
    assert len(set(emulated)) == 2  # each emulated request its own log
