from __future__ import annotations

from typing import Any

import pytest

from cf_gateway_core.errors import (
    APIStatusError,
    GatewayConfigError,
    GatewayError,
    NotFoundError,
    RateLimitError,
)
from cf_gateway_core.messages import EmbeddingRequest, Usage
from cf_gateway_core.routing import Endpoint, Route, embeddings_route, parse_model
from cf_gateway_core.wire import embeddings
from cf_gateway_core.wire.embeddings import MAX_BATCH, build_payload, parse_response
from tests.core.wire._helpers import load_fixture


def load(name: str) -> Any:
    return load_fixture("embeddings", name)


# --------------------------------------------------------------------------- payloads


def test_build_payload_openai_endpoint_sends_model_and_input() -> None:
    route = embeddings_route("@cf/baai/bge-m3")
    request = EmbeddingRequest(model="@cf/baai/bge-m3", texts=("a", "b"))
    assert build_payload(request, route) == {"model": "@cf/baai/bge-m3", "input": ["a", "b"]}


def test_build_payload_openai_endpoint_sends_dimensions_when_set() -> None:
    route = embeddings_route("openai/text-embedding-3-small")
    request = EmbeddingRequest(model="openai/text-embedding-3-small", texts=["x"], dimensions=256)
    assert build_payload(request, route) == {
        "model": "openai/text-embedding-3-small",
        "input": ["x"],
        "dimensions": 256,
    }


def test_build_payload_native_run_sends_text_list_and_merges_extra_body_last() -> None:
    route = embeddings_route("@cf/baai/bge-base-en-v1.5", "run")
    request = EmbeddingRequest(
        model="@cf/baai/bge-base-en-v1.5",
        texts=["hello", "world"],
        extra_body={"pooling": "cls", "text": ["overridden"]},
    )
    assert build_payload(request, route) == {"text": ["overridden"], "pooling": "cls"}


def test_build_payload_native_run_without_extra_body() -> None:
    route = embeddings_route("@cf/baai/bge-base-en-v1.5", "run")
    request = EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=["hello"])
    assert build_payload(request, route) == {"text": ["hello"]}


def test_build_payload_openai_endpoint_merges_extra_body_last() -> None:
    route = embeddings_route("@cf/baai/bge-m3")
    request = EmbeddingRequest(
        model="@cf/baai/bge-m3", texts=["a"], extra_body={"input_type": "query", "model": "m"}
    )
    assert build_payload(request, route) == {"model": "m", "input": ["a"], "input_type": "query"}


def test_build_payload_accepts_exactly_max_batch_texts() -> None:
    route = embeddings_route("@cf/baai/bge-m3")
    request = EmbeddingRequest(model="@cf/baai/bge-m3", texts=[str(i) for i in range(MAX_BATCH)])
    assert len(build_payload(request, route)["input"]) == MAX_BATCH == 100


@pytest.mark.parametrize("count", [0, MAX_BATCH + 1])
def test_build_payload_rejects_empty_or_oversized_batch(count: int) -> None:
    route = embeddings_route("@cf/baai/bge-m3")
    request = EmbeddingRequest(model="@cf/baai/bge-m3", texts=["t"] * count)
    with pytest.raises(GatewayConfigError, match=f"got {count}"):
        build_payload(request, route)


def test_build_payload_native_run_rejects_dimensions() -> None:
    route = embeddings_route("@cf/baai/bge-m3", "run")
    request = EmbeddingRequest(model="@cf/baai/bge-m3", texts=["a"], dimensions=128)
    with pytest.raises(GatewayConfigError, match="dimensions"):
        build_payload(request, route)


def test_build_payload_rejects_a_chat_route() -> None:
    route = Route(Endpoint.CHAT_COMPLETIONS, "ai/v1/chat/completions", parse_model("openai/x"))
    request = EmbeddingRequest(model="openai/x", texts=["a"])
    with pytest.raises(GatewayConfigError, match="ai/v1/chat/completions"):
        build_payload(request, route)


# --------------------------------------------------------------------------- replies


def test_parse_response_openai_list_sorts_by_index() -> None:
    result = parse_response(load("openai_list.json"))
    assert result.vectors == [[0.125, 0.0, -1.5], [0.25, -0.5, 1.0]]
    assert all(isinstance(x, float) for v in result.vectors for x in v)
    assert result.model == "@cf/baai/bge-m3"
    assert result.usage == Usage(input_tokens=12, total_tokens=12)


def test_parse_response_native_v4_envelope() -> None:
    result = parse_response(load("v4_native_bge_base.json"))
    assert result.vectors == [[0.1, 0.2, 0.3, 0.4], [-0.1, -0.2, -0.3, -0.4]]
    assert result.model is None
    assert result.usage == Usage(input_tokens=9, total_tokens=9)


def test_parse_response_a13_binding_result() -> None:
    result = parse_response(load("a13_binding_bge_m3.json"))
    assert len(result.vectors) == 2
    assert [len(v) for v in result.vectors] == [1024, 1024]
    assert result.vectors[0][:2] == [0.0032939910888671875, -0.0259857177734375]
    assert result.usage is None


def test_parse_response_openai_list_wrapped_in_result() -> None:
    result = parse_response(load("v4_wrapped_openai_list.json"))
    assert result.vectors == [[1.0, 2.0]]
    assert result.model == "@cf/baai/bge-small-en-v1.5"
    assert result.usage == Usage(input_tokens=3, total_tokens=3)


def test_parse_response_openai_list_without_index_keeps_order() -> None:
    body = {"data": [{"embedding": [1]}, {"embedding": [2]}]}
    assert parse_response(body).vectors == [[1.0], [2.0]]


@pytest.mark.parametrize(
    "indexes",
    [[None, None, 0], [0, 0, 1], [0, 1, 3], [1, 2, 3], [0, True, 2], [0, "1", 2]],
)
def test_parse_response_openai_list_with_unmatched_indexes_is_refused(indexes: list[Any]) -> None:
    data = [{"embedding": [float(n)], "index": i} for n, i in enumerate(indexes)]
    for item in data:
        if item["index"] is None:
            del item["index"]
    with pytest.raises(GatewayError, match="cannot be matched"):
        parse_response({"data": data})


def test_parse_response_usage_without_total_uses_prompt_tokens() -> None:
    body = {"data": [[1.0]], "usage": {"prompt_tokens": 4, "total_tokens": None}}
    assert parse_response(body).usage == Usage(input_tokens=4, total_tokens=4)


def test_parse_response_usage_with_garbage_counts_is_zero() -> None:
    body = {"data": [[1.0]], "usage": {"prompt_tokens": True}}
    assert parse_response(body).usage == Usage()


def test_parse_response_empty_data_gives_no_vectors() -> None:
    assert parse_response({"result": {"shape": [0, 768], "data": []}}).vectors == []


def test_parse_response_success_false_raises_typed_status_error() -> None:
    # Code 5007 "No such model" is a not-found whatever the status (docs/gateway-2026.md).
    with pytest.raises(NotFoundError) as info:
        parse_response(load("error_envelope_no_such_model.json"))
    assert info.value.code == 5007
    assert info.value.status_code == 200
    assert info.value.message == "No such model"


def test_parse_response_success_false_rate_limit_code_is_classified() -> None:
    body = {"success": False, "errors": [{"code": 3040, "message": "Capacity exceeded"}]}
    with pytest.raises(RateLimitError):
        parse_response(body)


def test_parse_response_base64_embedding_is_an_error() -> None:
    body = {"data": [{"index": 0, "embedding": "AAAAAA=="}]}
    with pytest.raises(GatewayError, match="base64") as info:
        parse_response(body)
    assert not isinstance(info.value, APIStatusError)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "not a JSON object"),
        ({"result": None, "success": True}, "got NoneType"),
        ({"result": {"result": {"result": {"data": []}}}}, "got dict"),
        ({"result": {"shape": [2, 3]}}, "no 'data' list.*shape"),
        ({}, r"keys: none"),
        ({"result": {"shape": [2, 2], "data": [[1, 2]]}}, "shape \\[2, 2\\] but holds 1"),
        ({"data": [{"index": 0}]}, "got NoneType"),
        ({"data": [[1.0], {"embedding": [1.0]}]}, "got dict"),
        ({"data": [[1.0, "x"]]}, "not a number"),
        ({"data": [[1.0, None]]}, "not a number"),
    ],
)
def test_parse_response_rejects_wrong_shapes(body: Any, message: str) -> None:
    with pytest.raises(GatewayError, match=message):
        parse_response(body)


def test_module_exports() -> None:
    assert embeddings.__all__ == ["MAX_BATCH", "build_payload", "parse_response"]
