"""Limits: timeouts and retry counts are validated at construction; known input limits are
enforced before any request (or handled by batching), counted at the server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import math
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from cf_gateway_core import (
    AsyncGatewayClient,
    BadRequestError,
    EmbeddingRequest,
    GatewayClient,
    GatewayConfigError,
    RetryPolicy,
)
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding
from tests.reliability.conftest import (
    ACCOUNT,
    TOKEN,
    async_client,
    chat_request,
    lc_chat,
    li_chat,
    sync_client,
)
from tests.reliability.fault_server import Action, Exchange, FaultServer, json_reply

BAD_TIMEOUTS = [0, -1, -0.5, math.nan, math.inf, -math.inf, 3601, 1e9, "60", True, [1]]
BAD_RETRIES = [-1, 11, 1000, 1.0, 2.5, None, True, "2", math.nan]
CLIENTS = [GatewayClient, AsyncGatewayClient]


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("timeout", BAD_TIMEOUTS, ids=repr)
def test_limits_bad_timeout_is_rejected_at_construction(cls: Any, timeout: object) -> None:
    with pytest.raises(GatewayConfigError, match="timeout"):
        cls(account_id=ACCOUNT, api_token=TOKEN, timeout=timeout)


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("max_retries", BAD_RETRIES, ids=repr)
def test_limits_bad_max_retries_is_rejected_at_construction(cls: Any, max_retries: object) -> None:
    with pytest.raises(GatewayConfigError, match="max_retries"):
        cls(account_id=ACCOUNT, api_token=TOKEN, max_retries=max_retries)


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize(("timeout", "max_retries"), [(0.001, 0), (3600, 10), (None, 2), (60, 2)])
def test_limits_boundary_values_are_accepted(
    cls: Any, timeout: float | None, max_retries: int
) -> None:
    client = cls(account_id=ACCOUNT, api_token=TOKEN, timeout=timeout, max_retries=max_retries)
    assert client.config.timeout == timeout
    assert client.retry_policy.max_retries == max_retries


def test_limits_default_retry_budget_is_bounded() -> None:
    # Without Retry-After the worst case for the largest allowed max_retries stays about a minute;
    # a server asking for more than max_retry_after gets the error at once, not a long sleep.
    policy = RetryPolicy(max_retries=10)
    from cf_gateway_core.errors import error_from_response

    error = error_from_response(429, {}, b'{"errors":[{"code":2003,"message":"Rate limited"}]}')
    delays = [policy.next_delay(attempt, error) for attempt in range(10)]
    assert all(d is not None and d <= policy.max_delay for d in delays)
    assert sum(d for d in delays if d is not None) <= 64.0
    assert policy.next_delay(10, error) is None
    slow = error_from_response(429, {"retry-after": "61"}, b"{}")
    assert policy.next_delay(0, slow) is None


# --- options with known limits fail before any request -----------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"metadata": {f"k{i}": i for i in range(6)}},  # the gateway keeps 5 entries
        {"max_attempts": 6},  # cf-aig-max-attempts is at most 5
        {"cache_ttl": 10},  # at least 60 s
        {"metadata": {"k": None}},
        {"request_timeout_ms": -1},
    ],
    ids=["metadata-6", "max-attempts-6", "cache-ttl-10", "metadata-null", "timeout-negative"],
)
def test_limits_bad_gateway_options_fail_before_any_request(
    options: dict[str, Any], server: FaultServer
) -> None:
    with pytest.raises(GatewayConfigError):
        sync_client(server.base_url, options=options)
    with sync_client(server.base_url) as client, pytest.raises(GatewayConfigError):
        client.chat(chat_request(), options=options)
    assert server.requests == []


def test_limits_bad_model_or_endpoint_fails_before_any_request(server: FaultServer) -> None:
    with sync_client(server.base_url) as client:
        with pytest.raises(GatewayConfigError):
            client.chat(chat_request(model="no-author-prefix"))
        with pytest.raises(GatewayConfigError):
            client.chat(chat_request(model="@cf/meta/llama-3.1-8b-instruct"), endpoint="messages")
        with pytest.raises(GatewayConfigError):
            client.chat(chat_request(), endpoint="bogus")
    assert server.requests == []


def test_limits_request_too_large_is_a_typed_error_not_retried(server: FaultServer) -> None:
    too_large = {"success": False, "errors": [{"code": 3006, "message": "Request is too large"}]}
    server.script_times(3, json_reply(too_large, status=413))
    with (
        sync_client(server.base_url, max_retries=2) as client,
        pytest.raises(BadRequestError) as info,
    ):
        client.chat(chat_request())
    assert (info.value.status_code, info.value.code) == (413, 3006)
    assert len(server.requests) == 1


# --- embeddings: more than 100 texts are batched, not rejected ---------------------------------


def embeddings_echo() -> Action:
    """Answer each embeddings request with one vector per input text: [position in the input]."""

    async def action(ex: Exchange) -> bool:
        texts = ex.request.json["input"]
        body = {
            "object": "list",
            "model": "@cf/baai/bge-base-en-v1.5",
            "data": [
                {"object": "embedding", "index": i, "embedding": [float(t.split("-")[1])]}
                for i, t in enumerate(texts)
            ],
            "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
        }
        return await json_reply(body)(ex)

    return action


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("count", "batches"), [(0, []), (1, [1]), (100, [100]), (250, [100, 100, 50])]
)
def test_limits_embeddings_are_batched_by_100_counted_at_the_server(
    mode: str, count: int, batches: list[int], server: FaultServer
) -> None:
    server.default = embeddings_echo()
    request = EmbeddingRequest(
        model="@cf/baai/bge-base-en-v1.5", texts=[f"t-{i}" for i in range(count)]
    )
    if mode == "sync":
        with sync_client(server.base_url) as client:
            result = client.embed(request)
    else:

        async def go() -> Any:
            async with async_client(server.base_url) as client:
                return await client.embed(request)

        result = asyncio.run(go())
    assert [len(r.json["input"]) for r in server.requests] == batches
    assert [v[0] for v in result.vectors] == [float(i) for i in range(count)]
    if count:
        assert result.usage is not None and result.usage.input_tokens == count


# --- the framework adapters ---------------------------------------------------------------------

ADAPTERS = [
    ChatCloudflareAIGateway,
    CloudflareAIGateway,
    CloudflareAIGatewayEmbeddings,
    CloudflareAIGatewayEmbedding,
]
ABSURD = [
    {"timeout": -1},
    {"timeout": 0},
    {"timeout": math.inf},
    {"timeout": math.nan},
    {"timeout": 86_400},
    {"max_retries": -1},
    {"max_retries": 11},
    {"max_retries": 1_000},
]


def _adapter(cls: Any, **kwargs: Any) -> Any:
    if cls in (ChatCloudflareAIGateway, CloudflareAIGateway):
        kwargs.setdefault("model", "openai/gpt-5.5")
    return cls(account_id=ACCOUNT, api_token=TOKEN, **kwargs)


@pytest.mark.parametrize("cls", ADAPTERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kwargs", ABSURD, ids=repr)
def test_limits_adapters_reject_absurd_timeout_and_retries(
    cls: Any, kwargs: dict[str, Any]
) -> None:
    (name,) = kwargs
    with pytest.raises(GatewayConfigError, match=name):
        _adapter(cls, **kwargs)


@pytest.mark.parametrize("cls", ADAPTERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kwargs", [{"max_retries": None}, {"max_retries": 2.5}], ids=repr)
def test_limits_adapters_reject_non_integer_retries_naming_the_field(
    cls: Any, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        _adapter(cls, **kwargs)


@pytest.mark.parametrize("cls", ADAPTERS, ids=lambda c: c.__name__)
def test_limits_adapters_pass_timeout_and_retries_to_the_core(cls: Any) -> None:
    model = _adapter(cls, timeout=12.5, max_retries=0)
    assert (model.timeout, model.max_retries) == (12.5, 0)


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_limits_adapter_embeddings_are_batched_counted_at_the_server(
    framework: str, mode: str, server: FaultServer
) -> None:
    server.default = embeddings_echo()
    texts = [f"t-{i}" for i in range(250)]
    common = {"account_id": ACCOUNT, "api_token": TOKEN, "base_url": server.base_url}
    if framework == "langchain":
        lc = CloudflareAIGatewayEmbeddings(**common)
        call: Any = lc.embed_documents if mode == "sync" else lc.aembed_documents
    else:
        li = CloudflareAIGatewayEmbedding(**common)
        call = li.get_text_embedding_batch if mode == "sync" else li.aget_text_embedding_batch
    result = call(texts)
    if mode == "async":
        result = asyncio.run(result)
    sizes = [len(r.json["input"]) for r in server.requests]
    assert sum(sizes) == 250 and max(sizes) <= 100
    assert len(sizes) == 3
    assert [v[0] for v in result] == [float(i) for i in range(250)]


# --- values JSON cannot carry fail before any request ------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"temperature": math.nan},
        {"top_p": math.inf},
        {"extra_body": {"seed": -math.inf}},
        {"extra_body": {"when": datetime.date(2026, 1, 1)}},
        {"extra_body": {"tags": {"a", "b"}}},
    ],
    ids=["nan-temperature", "inf-top-p", "inf-extra", "date-extra", "set-extra"],
)
def test_limits_non_json_values_fail_before_any_request(
    fields: dict[str, Any], server: FaultServer
) -> None:
    request = dataclasses.replace(chat_request(), **fields)
    # The message names the parameter (a sampling field) or says the value is not JSON.
    refused = pytest.raises(GatewayConfigError, match=r"JSON|temperature|top_p")
    with sync_client(server.base_url) as client, refused:
        client.chat(request)
    assert server.requests == []


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_limits_adapters_refuse_nan_before_any_request(framework: str, server: FaultServer) -> None:
    with pytest.raises(GatewayConfigError):
        if framework == "langchain":
            lc_chat(server.base_url).invoke("hi", temperature=math.nan)
        else:
            li_chat(server.base_url).chat(
                [ChatMessage(role="user", content="hi")], temperature=math.nan
            )
    assert server.requests == []
