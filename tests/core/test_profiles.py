"""The model table: one public lookup, longest-prefix families, a catalogue of exact ids."""

from __future__ import annotations

import dataclasses

import pytest

import cf_gateway_core
from cf_gateway_core import (
    DEFAULT_PROFILE,
    GatewayConfigError,
    ModelProfile,
    get_profile,
    known_models,
    register_profile,
    suggest_model,
)
from cf_gateway_core.profiles import _reset


@pytest.fixture(autouse=True)
def fresh_table():
    _reset()
    yield
    _reset()


def test_profile_is_a_frozen_dataclass_exported_from_the_core() -> None:
    profile = get_profile("openai/gpt-5.5")
    assert isinstance(profile, ModelProfile)
    assert "get_profile" in cf_gateway_core.__all__
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.context_window = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("model", "window", "output"),
    [
        ("anthropic/claude-sonnet-4.5", 200_000, 64_000),
        ("anthropic/claude-opus-4.8", 1_000_000, 32_000),
        ("anthropic/claude-3-5-sonnet-20241022", 200_000, 8_192),
        ("openai/gpt-5.5", 400_000, 128_000),
        ("openai/gpt-4.1", 1_047_576, 32_768),
        ("@cf/meta/llama-3.1-8b-instruct", 7_968, 2_048),
        ("@cf/moonshotai/kimi-k2.6", 262_144, 16_384),
    ],
)
def test_limits_by_longest_prefix_and_catalogue(model: str, window: int, output: int) -> None:
    profile = get_profile(model)
    assert (profile.context_window, profile.max_output_tokens) == (window, output)


def test_unknown_model_gets_the_conservative_default() -> None:
    profile = get_profile("somebody/brand-new-model")
    assert profile == DEFAULT_PROFILE
    assert not profile.tool_calling
    assert not profile.image_inputs
    assert not profile.known
    assert profile.structured_output == frozenset()


def test_dashes_for_dots_is_in_the_family_but_not_known() -> None:
    near = get_profile("anthropic/claude-sonnet-4-5")
    assert near.max_output_tokens == 64_000
    assert not near.known
    assert get_profile("anthropic/claude-sonnet-4.5").known


def test_responses_only_models() -> None:
    pro = get_profile("openai/gpt-5.5-pro")
    assert pro.responses_only
    assert "chat_completions" not in pro.endpoints
    assert not get_profile("openai/gpt-5.5").responses_only


def test_workers_ai_models_never_accept_messages() -> None:
    assert "messages" not in get_profile("@cf/meta/llama-3.1-8b-instruct").endpoints
    assert "messages" not in get_profile("@cf/unknown/model").endpoints
    assert "messages" in get_profile("anthropic/claude-haiku-4.5").endpoints


def test_anthropic_default_max_tokens_is_the_family_output_others_4096() -> None:
    assert get_profile("anthropic/claude-opus-4.1").default_max_tokens == 32_000
    assert get_profile("openai/gpt-5.5").default_max_tokens == 4_096


def test_known_models_by_task() -> None:
    embeddings = known_models("text-embeddings")
    assert "@cf/baai/bge-base-en-v1.5" in embeddings
    assert "openai/gpt-5.5" not in embeddings
    assert "@cf/baai/bge-reranker-base" in known_models("text-classification")
    assert set(embeddings) < set(known_models())


def test_register_a_new_model_and_override_a_known_one() -> None:
    registered = register_profile("@cf/acme/chat-7b", tool_calling=True, context_window=65_536)
    assert registered.known and registered.tool_calling
    assert get_profile("@cf/acme/chat-7b").context_window == 65_536
    assert "@cf/acme/chat-7b" in known_models()
    # a family rule reaches every model under the prefix
    register_profile("@cf/acme/", family=True, image_inputs=True)
    assert get_profile("@cf/acme/vision-1").image_inputs
    # an override changes only what it names
    register_profile("openai/gpt-5.5", context_window=1_000)
    after = get_profile("openai/gpt-5.5")
    assert after.context_window == 1_000
    assert after.max_output_tokens == 128_000


def test_register_refuses_unknown_fields_and_empty_ids() -> None:
    with pytest.raises(GatewayConfigError, match="context_windw"):
        register_profile("@cf/acme/x", context_windw=1)
    with pytest.raises(GatewayConfigError, match="model id"):
        register_profile("  ")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("context_window", "big"),
        ("max_output_tokens", 0),
        ("default_max_tokens", True),
        ("tool_calling", "no"),
        ("image_inputs", 1),
        ("endpoints", "responses"),
        ("endpoints", ("chat",)),
        ("endpoints", ()),
        ("structured_output", ["json"]),
        ("reasoning_efforts", "high"),
    ],
)
def test_register_refuses_values_of_the_wrong_type(field: str, value: object) -> None:
    # LangChain's profile and LlamaIndex's metadata read these fields differently: a "no" for
    # tool_calling was truthy to one and False to the other, a str context window failed in
    # LlamaIndex's metadata only, a bare "responses" was read as its letters.
    with pytest.raises(GatewayConfigError, match=f"register_profile: {field} must be"):
        register_profile("openai/acme-x", **{field: value})
    assert not get_profile("openai/acme-x").known


def test_register_takes_any_list_for_the_set_fields() -> None:
    registered = register_profile(
        "openai/acme-x", endpoints=["responses"], structured_output=("json_schema",)
    )
    assert registered.endpoints == frozenset({"responses"})
    assert registered.structured_output == frozenset({"json_schema"})
    assert registered.responses_only


def test_register_a_lower_max_output_lowers_the_messages_default() -> None:
    # The Messages default max_tokens may not ask for more than the model can write.
    before = get_profile("anthropic/claude-sonnet-4.5").default_max_tokens
    assert before > 1_000
    registered = register_profile("anthropic/claude-sonnet-4.5", max_output_tokens=1_000)
    assert registered.default_max_tokens == 1_000
    explicit = register_profile(
        "anthropic/claude-x-1", max_output_tokens=900, default_max_tokens=50
    )
    assert explicit.default_max_tokens == 50


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("gpt-5.5", "openai/gpt-5.5"),
        ("anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4.5"),
        ("Anthropic/Claude-Haiku-4.5", "anthropic/claude-haiku-4.5"),
        ("@cf/meta/llama-3.1-8b-instruc", "@cf/meta/llama-3.1-8b-instruct"),
        ("openai/gpt-5.5", None),
        ("totally/unrelated-thing", None),
    ],
)
def test_suggest_model(typed: str, meant: str | None) -> None:
    assert suggest_model(typed) == meant
