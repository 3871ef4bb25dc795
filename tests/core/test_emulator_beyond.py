"""The emulator server's logs, catalogue and media replies at the wire (plain httpx, no client)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from cf_gateway_core.emulator.server import run_in_thread

HEADERS = {"authorization": "Bearer any-token"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with (
        run_in_thread() as emulator,
        httpx.Client(
            base_url=f"{emulator.base_url}/accounts/acct/", headers=HEADERS, timeout=10
        ) as client,
    ):
        yield client


def chat(http: httpx.Client, gateway: str | None = None) -> httpx.Response:
    body = {"model": "openai/gpt-5.5", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"cf-aig-gateway-id": gateway} if gateway else {}
    return http.post("ai/v1/chat/completions", json=body, headers=headers)


def test_log_row_shape(http: httpx.Client) -> None:
    log_id = chat(http, "evals").headers["cf-aig-log-id"]
    reply = http.get(f"ai-gateway/gateways/evals/logs/{log_id}")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["success"] is True and body["errors"] == []
    row = body["result"]
    for key in ("id", "cached", "created_at", "duration", "model", "path", "provider", "success",
                "tokens_in", "tokens_out", "cost", "metadata", "status_code", "step"):  # fmt: skip
        assert key in row, key
    assert isinstance(row["metadata"], str)  # a JSON string, as the API reference types it
    assert http.get(f"ai-gateway/gateways/default/logs/{log_id}").status_code == 404


def test_stored_bodies_and_feedback(http: httpx.Client) -> None:
    reply = chat(http)
    log_id = reply.headers["cf-aig-log-id"]
    base = f"ai-gateway/gateways/default/logs/{log_id}"
    assert http.get(f"{base}/request").json()["result"]["messages"][0]["content"] == "hi"
    assert http.get(f"{base}/response").json()["result"] == reply.json()
    bad = http.patch(base, json={"feedback": 3})
    assert bad.status_code == 400 and bad.json()["success"] is False
    ok = http.patch(base, json={"feedback": -1, "score": 10, "metadata": {"k": True}})
    assert ok.json() == {"result": {}, "success": True, "errors": [], "messages": []}
    row = http.get(base).json()["result"]
    assert (row["feedback"], row["score"], json.loads(row["metadata"])) == (-1, 10, {"k": True})
    assert http.delete(base).status_code == 405


def test_list_pages_and_filters(http: httpx.Client) -> None:
    ids = [chat(http).headers["cf-aig-log-id"] for _ in range(3)]
    page = http.get("ai-gateway/gateways/default/logs", params={"per_page": 2, "page": 2}).json()
    assert page["result_info"] == {"page": 2, "per_page": 2, "count": 1, "total_count": 3}
    assert [row["id"] for row in page["result"]] == [ids[0]]
    filters = json.dumps([{"key": "id", "operator": "eq", "value": [ids[1]]}])
    only = http.get("ai-gateway/gateways/default/logs", params={"filters": filters}).json()
    assert [row["id"] for row in only["result"]] == [ids[1]]


def test_catalogue_search_and_schema(http: httpx.Client) -> None:
    page = http.get("ai/models/search", params={"task": "Text-to-Speech"}).json()
    names = [entry["name"] for entry in page["result"]]
    assert "@cf/myshell-ai/melotts" in names and page["result_info"]["total_count"] == len(names)
    entry = page["result"][0]
    assert set(entry) == {"id", "source", "name", "description", "task", "tags", "properties"}
    schema = http.get("ai/models/schema", params={"model": "@cf/myshell-ai/melotts"}).json()
    assert schema["success"] is True and "input" in schema["result"]
    assert http.post("ai/models/search").status_code == 405


def test_media_bodies(http: httpx.Client) -> None:
    flux = http.post("ai/run/@cf/black-forest-labs/flux-1-schnell", json={"prompt": "x"})
    assert base64.b64decode(flux.json()["result"]["image"])[:4] == b"\x89PNG"
    aura = http.post("ai/run/@cf/deepgram/aura-1", json={"text": "hello there"})
    assert aura.headers["content-type"] == "audio/mpeg" and aura.content[:3] == b"ID3"
    heard = http.post(
        "ai/run/@cf/deepgram/nova-3", content=aura.content, headers={"content-type": "audio/mpeg"}
    )
    alternative = heard.json()["result"]["results"]["channels"][0]["alternatives"][0]
    assert alternative["transcript"] == "hello there"
    refused = http.post("ai/run/@cf/deepgram/nova-3", json={"audio": "x"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == 7003
    ranked = http.post(
        "ai/run/@cf/baai/bge-reranker-base",
        json={"query": "red", "contexts": [{"text": "blue"}, {"text": "red"}], "top_k": 1},
    ).json()["result"]["response"]
    assert [row["id"] for row in ranked] == [1]
