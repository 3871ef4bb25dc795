"""Routing: the README's routing table, explicit endpoints and impossible pairs."""

from __future__ import annotations

import pytest

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.routing import (
    ENDPOINTS,
    Endpoint,
    ModelKind,
    ModelRef,
    Route,
    embeddings_route,
    parse_model,
    resolve_route,
)

# The README's routing table (endpoint="auto"): model -> (endpoint, path under the account URL).
AUTO_TABLE = [
    ("anthropic/claude-sonnet-4.5", Endpoint.MESSAGES, "ai/v1/messages"),
    ("anthropic/claude-opus-4.8", Endpoint.MESSAGES, "ai/v1/messages"),
    ("@cf/meta/llama-3.1-8b-instruct", Endpoint.CHAT_COMPLETIONS, "ai/v1/chat/completions"),
    ("@hf/thebloke/llama-2-13b-chat-awq", Endpoint.CHAT_COMPLETIONS, "ai/v1/chat/completions"),
    ("openai/gpt-5.5", Endpoint.CHAT_COMPLETIONS, "ai/v1/chat/completions"),
    ("google/gemini-3-flash", Endpoint.CHAT_COMPLETIONS, "ai/v1/chat/completions"),
    ("deepseek/deepseek-v4-pro", Endpoint.CHAT_COMPLETIONS, "ai/v1/chat/completions"),
]


@pytest.mark.parametrize("model", ["dynamic/support", "dynamic/a/b", "cloudflare/auto"])
@pytest.mark.parametrize("endpoint", ["auto", "chat_completions", "responses", "run"])
def test_dynamic_routes_and_the_auto_router_are_not_on_the_rest_api(
    model: str, endpoint: str
) -> None:
    # Documented only on gateway.ai.cloudflare.com/.../compat — docs/gateway-2026.md.
    with pytest.raises(GatewayConfigError, match="does not serve") as info:
        resolve_route(model, endpoint)
    assert "/compat/chat/completions" in str(info.value)
    with pytest.raises(GatewayConfigError, match="does not serve"):
        embeddings_route(model)


@pytest.mark.parametrize("model", ["cloudflare/automatic", "openai/dynamic-x", "acme/dynamic"])
def test_models_that_only_resemble_routes_are_routed(model: str) -> None:
    assert resolve_route(model).path == "ai/v1/chat/completions"


@pytest.mark.parametrize(("model", "endpoint", "path"), AUTO_TABLE)
def test_resolve_route_auto_follows_the_routing_table(
    model: str, endpoint: Endpoint, path: str
) -> None:
    route = resolve_route(model)
    assert route.endpoint is endpoint
    assert route.path == path
    assert route.model.id == model
    assert resolve_route(model, "auto") == route


@pytest.mark.parametrize(
    ("model", "kind", "author", "name"),
    [
        ("anthropic/claude-sonnet-4.5", ModelKind.ANTHROPIC, "anthropic", "claude-sonnet-4.5"),
        ("@cf/meta/llama-3.1-8b-instruct", ModelKind.WORKERS_AI, "meta", "llama-3.1-8b-instruct"),
        ("@hf/thebloke/zephyr-7b", ModelKind.WORKERS_AI, "thebloke", "zephyr-7b"),
        ("openai/gpt-5.5", ModelKind.THIRD_PARTY, "openai", "gpt-5.5"),
        ("  openai/gpt-5.5 ", ModelKind.THIRD_PARTY, "openai", "gpt-5.5"),
        ("google/models/gemini", ModelKind.THIRD_PARTY, "google", "models/gemini"),
    ],
)
def test_parse_model_splits_kind_author_and_name(
    model: str, kind: ModelKind, author: str, name: str
) -> None:
    assert parse_model(model) == ModelRef(model.strip(), kind, author, name)


@pytest.mark.parametrize(
    ("model", "endpoint", "path"),
    [
        ("openai/gpt-5.5", "chat_completions", "ai/v1/chat/completions"),
        ("openai/gpt-5.5", "responses", "ai/v1/responses"),
        ("openai/gpt-5.5", Endpoint.RESPONSES, "ai/v1/responses"),
        ("openai/gpt-5.5", "messages", "ai/v1/messages"),
        ("anthropic/claude-sonnet-4.5", "chat_completions", "ai/v1/chat/completions"),
        ("anthropic/claude-sonnet-4.5", "messages", "ai/v1/messages"),
        ("@cf/meta/llama-3.1-8b-instruct", "chat_completions", "ai/v1/chat/completions"),
        ("@cf/openai/gpt-oss-120b", "responses", "ai/v1/responses"),
    ],
)
def test_resolve_route_explicit_endpoint(model: str, endpoint: str, path: str) -> None:
    route = resolve_route(model, endpoint)
    assert route.endpoint.value == endpoint
    assert route.path == path
    assert not route.native


def test_resolve_route_run_with_workers_ai_model_puts_the_model_in_the_path_unescaped() -> None:
    route = resolve_route("@cf/meta/llama-3.1-8b-instruct", "run")
    assert route == Route(
        Endpoint.RUN,
        "ai/run/@cf/meta/llama-3.1-8b-instruct",
        ModelRef(
            "@cf/meta/llama-3.1-8b-instruct", ModelKind.WORKERS_AI, "meta", "llama-3.1-8b-instruct"
        ),
    )
    assert "%" not in route.path
    assert route.native


def test_resolve_route_run_with_hf_model_is_native() -> None:
    route = resolve_route("@hf/nousresearch/hermes-2-pro-mistral-7b", Endpoint.RUN)
    assert route.path == "ai/run/@hf/nousresearch/hermes-2-pro-mistral-7b"
    assert route.native


@pytest.mark.parametrize("model", ["openai/gpt-5.5", "anthropic/claude-sonnet-4.5", "typesafe/jev"])
def test_resolve_route_run_with_other_models_uses_the_bare_run_path(model: str) -> None:
    route = resolve_route(model, "run")
    assert route.endpoint is Endpoint.RUN
    assert route.path == "ai/run"
    assert not route.native


@pytest.mark.parametrize("model", ["@cf/meta/llama-3.1-8b-instruct", "@hf/thebloke/zephyr-7b"])
def test_resolve_route_workers_ai_on_messages_is_a_config_error_naming_the_fix(model: str) -> None:
    with pytest.raises(GatewayConfigError) as info:
        resolve_route(model, "messages")
    message = str(info.value)
    assert model in message
    assert "messages" in message
    # The fix: the endpoints that do work.
    assert "'auto'" in message
    assert "'chat_completions'" in message
    assert "'run'" in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("endpoint", ["chat", "embeddings", "Messages", "", "v1/messages"])
def test_resolve_route_unknown_endpoint_lists_the_known_ones(endpoint: str) -> None:
    with pytest.raises(GatewayConfigError, match="is not known") as info:
        resolve_route("openai/gpt-5.5", endpoint)
    for known in ENDPOINTS:
        assert known in str(info.value)


def test_resolve_route_embeddings_enum_is_not_a_chat_endpoint() -> None:
    with pytest.raises(GatewayConfigError, match="is not known"):
        resolve_route("openai/gpt-5.5", Endpoint.EMBEDDINGS)


@pytest.mark.parametrize(
    "model",
    ["gpt-5.5", "claude", "/gpt", "openai/", "@cf/", "@cf/meta", "@hf/x", "@cf//x", "@foo/bar"],
)
def test_parse_model_without_author_is_a_config_error(model: str) -> None:
    with pytest.raises(GatewayConfigError, match="author") as info:
        resolve_route(model)
    assert "openai/gpt-5.5" in str(info.value)


@pytest.mark.parametrize("model", ["", "   ", None, 42])
def test_parse_model_missing_model_is_a_config_error(model: object) -> None:
    with pytest.raises(GatewayConfigError, match="model is required"):
        parse_model(model)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "model",
    [
        "@cf/meta/../../../zones",
        "@cf/meta/..",
        "@cf/meta/llama?x=1",
        "@cf/meta/llama#frag",
        "@cf/meta/llama 3",
        "@cf/meta/lla%2fma",
        "@cf/meta/llama\\x",
        "@cf/meta//llama",
        "@cf/meta/llama/",
    ],
)
def test_resolve_route_run_rejects_model_ids_that_would_escape_the_path(model: str) -> None:
    with pytest.raises(GatewayConfigError, match="cannot be placed"):
        resolve_route(model, "run")
    with pytest.raises(GatewayConfigError, match="cannot be placed"):
        embeddings_route(model, "run")


def test_resolve_route_odd_characters_are_harmless_when_the_model_is_in_the_body() -> None:
    # Only the native run path puts the id in the URL; elsewhere it travels in the JSON body.
    assert resolve_route("@cf/meta/llama?x", "chat_completions").path == "ai/v1/chat/completions"
    assert resolve_route("openai/gpt?x", "run").path == "ai/run"


@pytest.mark.parametrize("endpoint", ["auto", "embeddings", Endpoint.EMBEDDINGS])
@pytest.mark.parametrize(
    "model", ["@cf/baai/bge-base-en-v1.5", "openai/text-embedding-3-small", "google/gemini-embed"]
)
def test_embeddings_route_uses_the_embeddings_path(model: str, endpoint: str) -> None:
    route = embeddings_route(model, endpoint)
    assert route.endpoint is Endpoint.EMBEDDINGS
    assert route.path == "ai/v1/embeddings"
    assert route.model == parse_model(model)


def test_embeddings_route_default_endpoint_is_auto() -> None:
    assert embeddings_route("@cf/baai/bge-base-en-v1.5").path == "ai/v1/embeddings"


def test_embeddings_route_run_with_workers_ai_model_is_native() -> None:
    route = embeddings_route("@cf/baai/bge-base-en-v1.5", "run")
    assert route.endpoint is Endpoint.RUN
    assert route.path == "ai/run/@cf/baai/bge-base-en-v1.5"
    assert route.native


@pytest.mark.parametrize(
    ("model", "endpoint"),
    [
        ("openai/text-embedding-3-small", "run"),
        ("@cf/baai/bge-base-en-v1.5", "chat_completions"),
        ("@cf/baai/bge-base-en-v1.5", "messages"),
        ("@cf/baai/bge-base-en-v1.5", "nope"),
    ],
)
def test_embeddings_route_rejects_endpoints_it_cannot_use(model: str, endpoint: str) -> None:
    with pytest.raises(GatewayConfigError, match="embeddings cannot use") as info:
        embeddings_route(model, endpoint)
    assert "endpoint='auto'" in str(info.value)


def test_embeddings_route_rejects_a_model_without_author() -> None:
    with pytest.raises(GatewayConfigError, match="author"):
        embeddings_route("bge-base")


def test_endpoints_lists_what_users_may_pass() -> None:
    assert ENDPOINTS == ("auto", "chat_completions", "messages", "responses", "run")
    assert all(Endpoint(value) for value in ENDPOINTS if value != "auto")


def test_route_native_is_false_for_non_run_endpoints() -> None:
    ref = parse_model("@cf/meta/llama-3.1-8b-instruct")
    assert not Route(Endpoint.CHAT_COMPLETIONS, "ai/v1/chat/completions", ref).native
