"""GatewayOptions: every field to its cf-aig-* header, validation, coerce and merged."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import pickle
from typing import Any

import httpx
import pytest

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.options import GatewayOptions

# docs/wire-notes.md §3.1: field -> (value, exact header name, exact header value).
FIELD_HEADERS: list[tuple[str, Any, str, str]] = [
    ("cache_ttl", 3600, "cf-aig-cache-ttl", "3600"),
    ("skip_cache", True, "cf-aig-skip-cache", "true"),
    ("skip_cache", False, "cf-aig-skip-cache", "false"),
    ("cache_key", "my-key", "cf-aig-cache-key", "my-key"),
    ("metadata", {"user": "u1", "n": 3}, "cf-aig-metadata", '{"user":"u1","n":3}'),
    ("collect_log", False, "cf-aig-collect-log", "false"),
    ("collect_log", True, "cf-aig-collect-log", "true"),
    ("event_id", "evt-123", "cf-aig-event-id", "evt-123"),
    ("request_timeout_ms", 5000, "cf-aig-request-timeout", "5000"),
    ("max_attempts", 3, "cf-aig-max-attempts", "3"),
    ("retry_delay_ms", 250, "cf-aig-retry-delay", "250"),
    ("backoff", "exponential", "cf-aig-backoff", "exponential"),
    ("byok_alias", "default", "cf-aig-byok-alias", "default"),
    # docs/gateway-2026.md: the documented headers added in 2026.
    ("collect_log_payload", False, "cf-aig-collect-log-payload", "false"),
    ("collect_log_payload", True, "cf-aig-collect-log-payload", "true"),
    (
        "custom_cost",
        {"per_token_in": 0.000001, "per_token_out": 0.000002},
        "cf-aig-custom-cost",
        '{"per_token_in":1e-06,"per_token_out":2e-06}',
    ),
    (
        "custom_cost",
        {"per_cache_read_token": 0, "per_cache_write_token": 3},
        "cf-aig-custom-cost",
        '{"per_cache_read_token":0,"per_cache_write_token":3}',
    ),
    ("no_wholesale", True, "cf-aig-no-wholesale", "true"),
    ("no_wholesale", False, "cf-aig-no-wholesale", "false"),
]


@pytest.mark.parametrize(("name", "value", "header", "rendered"), FIELD_HEADERS)
def test_options_field_renders_its_exact_header(
    name: str, value: Any, header: str, rendered: str
) -> None:
    options = GatewayOptions(**{name: value})
    assert options.headers() == {header: rendered}
    assert options.as_dict() == {name: value}


def test_options_empty_sends_nothing() -> None:
    assert GatewayOptions().headers() == {}
    assert GatewayOptions().as_dict() == {}
    assert GatewayOptions.coerce({}) == GatewayOptions()


def test_options_all_fields_together() -> None:
    options = GatewayOptions(**{name: value for name, value, _, _ in FIELD_HEADERS})
    headers = options.headers()
    assert len(headers) == 14
    assert all(name.startswith("cf-aig-") for name in headers)


def test_options_metadata_is_compact_json_with_scalar_types() -> None:
    options = GatewayOptions(metadata={"a": "x", "b": 1, "c": 1.5, "d": True, "e": False})
    header = options.headers()["cf-aig-metadata"]
    assert header == '{"a":"x","b":1,"c":1.5,"d":true,"e":false}'
    assert " " not in header
    assert json.loads(header) == {"a": "x", "b": 1, "c": 1.5, "d": True, "e": False}


def test_options_metadata_non_ascii_is_escaped_so_httpx_can_send_it() -> None:
    options = GatewayOptions(metadata={"user": "Zoë ☃"})
    header = options.headers()["cf-aig-metadata"]
    assert header.isascii()
    assert json.loads(header) == {"user": "Zoë ☃"}
    request = httpx.Request("POST", "https://api.cloudflare.com/x", headers=options.headers())
    assert json.loads(request.headers["cf-aig-metadata"]) == {"user": "Zoë ☃"}


def test_options_metadata_is_copied_so_later_changes_do_not_desync() -> None:
    tags: dict[str, str | int | float | bool] = {"a": "1"}
    options = GatewayOptions(metadata=tags)
    tags["b"] = "2"
    assert options.metadata == {"a": "1"}
    assert options.headers() == {"cf-aig-metadata": '{"a":"1"}'}


def test_options_headers_returns_a_fresh_dict() -> None:
    options = GatewayOptions(skip_cache=True)
    options.headers()["cf-aig-skip-cache"] = "false"
    assert options.headers() == {"cf-aig-skip-cache": "true"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metadata": {str(i): i for i in range(6)}}, "6 entries; the gateway keeps at most 5"),
        ({"metadata": {"a": {"nested": 1}}}, r"metadata\['a'\] must be"),
        ({"metadata": {"a": [1, 2]}}, r"metadata\['a'\] must be"),
        ({"metadata": {"a": None}}, r"metadata\['a'\] must be"),
        ({"metadata": {"a": math.nan}}, "finite"),
        ({"metadata": {"a": math.inf}}, "finite"),
        ({"metadata": {1: "x"}}, "keys must be strings"),
        ({"metadata": "user=1"}, "must be a dict"),
        ({"max_attempts": 6}, "between 1 and 5"),
        ({"max_attempts": 0}, "between 1 and 5"),
        ({"max_attempts": 2.0}, "must be an integer"),
        ({"max_attempts": True}, "must be an integer"),
        ({"cache_ttl": 0}, "skip_cache=True"),
        ({"cache_ttl": 59}, "between 60 and 2592000"),
        ({"cache_ttl": 2592001}, "between 60 and 2592000"),
        ({"cache_ttl": "60"}, "must be an integer"),
        ({"request_timeout_ms": 0}, ">= 1"),
        ({"retry_delay_ms": -1}, "between 0 and 5000"),
        ({"retry_delay_ms": 5001}, "between 0 and 5000"),
        ({"retry_delay_ms": 60000}, "maximum retry delay is 5 seconds"),
        ({"backoff": "fibonacci"}, "constant, linear, exponential"),
        ({"backoff": "Exponential"}, "constant, linear, exponential"),
        ({"backoff": ["linear"]}, "constant, linear, exponential"),
        ({"skip_cache": "true"}, "skip_cache must be True or False"),
        ({"collect_log": 1}, "collect_log must be True or False"),
        ({"zdr": "yes"}, "zdr must be True or False"),
        ({"cache_key": ""}, "cache_key must be a non-empty string"),
        ({"cache_key": 5}, "cache_key must be a non-empty string"),
        ({"event_id": "a\r\nX-Injected: 1"}, "event_id must be printable ASCII"),
        ({"byok_alias": "clé"}, "byok_alias must be printable ASCII"),
        ({"byok_alias": "team-a"}, "'team-a' would be ignored.*only the provider key stored"),
        ({"byok_alias": "team-a"}, "provider-native endpoints.*gateway_id="),
        ({"byok_alias": "Default"}, "would be ignored"),
        ({"zdr": True}, "zdr would be ignored.*setting of the gateway.*gateway_id="),
        ({"zdr": False}, "zdr would be ignored"),
        ({"collect_log_payload": "false"}, "collect_log_payload must be True or False"),
        ({"no_wholesale": 1}, "no_wholesale must be True or False"),
        ({"custom_cost": {}}, "custom_cost must be a non-empty dict"),
        ({"custom_cost": 0.5}, "custom_cost must be a non-empty dict"),
        ({"custom_cost": {"input": 1}}, "unknown key 'input'; the keys are per_token_in"),
        ({"custom_cost": {"per_token_in": -1}}, "finite number >= 0"),
        ({"custom_cost": {"per_token_in": math.nan}}, "finite number >= 0"),
        ({"custom_cost": {"per_token_in": "0.1"}}, "finite number >= 0"),
        ({"custom_cost": {"per_token_in": True}}, "finite number >= 0"),
    ],
)
def test_options_validation_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(GatewayConfigError, match=match):
        GatewayOptions(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"metadata": {str(i): i for i in range(5)}},
        {"metadata": {}},
        {"max_attempts": 1},
        {"max_attempts": 5},
        {"cache_ttl": 60},
        {"cache_ttl": 2592000},
        {"retry_delay_ms": 0},
        {"retry_delay_ms": 5000},
        {"backoff": "constant"},
        {"backoff": "linear"},
        {"event_id": "0190a4b2-7c1d-7e8f-9a0b-1c2d3e4f5a6b"},
    ],
)
def test_options_boundary_values_are_accepted(kwargs: dict[str, Any]) -> None:
    assert GatewayOptions(**kwargs).as_dict() == kwargs


def test_options_coerce_accepts_options_dict_or_none() -> None:
    options = GatewayOptions(skip_cache=True)
    assert GatewayOptions.coerce(options) is options
    assert GatewayOptions.coerce(None) is None
    assert GatewayOptions.coerce({"skip_cache": True, "max_attempts": 2}) == GatewayOptions(
        skip_cache=True, max_attempts=2
    )


def test_options_coerce_rejects_unknown_keys_and_lists_known_ones() -> None:
    with pytest.raises(GatewayConfigError, match="unknown gateway_options key") as info:
        GatewayOptions.coerce({"skip_cache": True, "cache_tll": 60, "retries": 2})
    message = str(info.value)
    assert "'cache_tll'" in message
    assert "'retries'" in message
    assert "cache_ttl" in message
    assert "zdr" in message


def test_options_coerce_rejects_private_fields_and_non_string_keys() -> None:
    with pytest.raises(GatewayConfigError, match="'_headers'"):
        GatewayOptions.coerce({"_headers": {"x": "y"}})
    with pytest.raises(GatewayConfigError, match="unknown gateway_options key"):
        GatewayOptions.coerce({1: True, "skip_cache": True})  # type: ignore[dict-item]


def test_options_coerce_rejects_other_types() -> None:
    with pytest.raises(GatewayConfigError, match="got list"):
        GatewayOptions.coerce([("skip_cache", True)])  # type: ignore[arg-type]


def test_options_coerce_validates_values() -> None:
    with pytest.raises(GatewayConfigError, match="max_attempts"):
        GatewayOptions.coerce({"max_attempts": 9})


def test_options_merged_override_replaces_set_fields_only() -> None:
    base = GatewayOptions(cache_ttl=600, skip_cache=False, metadata={"team": "a"})
    override = GatewayOptions(skip_cache=True, event_id="evt-1")
    merged = base.merged(override)
    assert merged == GatewayOptions(
        cache_ttl=600, skip_cache=True, metadata={"team": "a"}, event_id="evt-1"
    )
    assert merged.headers() == {
        "cf-aig-cache-ttl": "600",
        "cf-aig-skip-cache": "true",
        "cf-aig-metadata": '{"team":"a"}',
        "cf-aig-event-id": "evt-1",
    }
    # Neither input changed.
    assert base.headers()["cf-aig-skip-cache"] == "false"
    assert "cf-aig-event-id" not in base.headers()


def test_options_merged_false_overrides_true() -> None:
    merged = GatewayOptions(collect_log=True).merged(GatewayOptions(collect_log=False))
    assert merged.headers() == {"cf-aig-collect-log": "false"}


def test_options_merged_metadata_is_replaced_not_combined() -> None:
    merged = GatewayOptions(metadata={"a": 1}).merged(GatewayOptions(metadata={"b": 2}))
    assert merged.metadata == {"b": 2}


def test_options_merged_with_none_or_empty_returns_self() -> None:
    base = GatewayOptions(collect_log_payload=False)
    assert base.merged(None) is base
    assert base.merged(GatewayOptions()) is base


def test_options_are_frozen_and_compare_by_value() -> None:
    options = GatewayOptions(cache_key="k")
    with pytest.raises(AttributeError):
        options.cache_key = "other"  # type: ignore[misc]
    assert options == GatewayOptions(cache_key="k")
    assert "_headers" not in repr(options)


def test_options_custom_cost_is_copied_so_later_changes_do_not_desync() -> None:
    cost = {"per_token_in": 0.5}
    options = GatewayOptions(custom_cost=cost)
    cost["per_token_out"] = 1.0
    assert options.headers() == {"cf-aig-custom-cost": '{"per_token_in":0.5}'}


# The fields of gateway_options in the README's gateway features table, in the order of the class.
OPTION_FIELDS = (
    "cache_ttl",
    "skip_cache",
    "cache_key",
    "metadata",
    "collect_log",
    "event_id",
    "request_timeout_ms",
    "max_attempts",
    "retry_delay_ms",
    "backoff",
    "byok_alias",
    "zdr",
    "collect_log_payload",
    "custom_cost",
    "no_wholesale",
)
ROUND_TRIP = GatewayOptions(
    cache_ttl=60,
    metadata={"team": "search", "n": 2},
    custom_cost={"per_token_in": 0.5},
    backoff="linear",
    skip_cache=False,
)


def test_options_asdict_holds_exactly_the_documented_fields_and_rebuilds_them() -> None:
    as_dict = dataclasses.asdict(ROUND_TRIP)
    assert set(as_dict) == set(OPTION_FIELDS)
    assert [f.name for f in dataclasses.fields(GatewayOptions)] == list(OPTION_FIELDS)
    rebuilt = GatewayOptions(**as_dict)
    assert rebuilt == ROUND_TRIP
    assert rebuilt.headers() == ROUND_TRIP.headers()
    assert GatewayOptions(**dataclasses.asdict(GatewayOptions())).headers() == {}


def test_options_astuple_holds_the_field_values_in_order() -> None:
    values = dataclasses.astuple(ROUND_TRIP)
    assert len(values) == len(OPTION_FIELDS)
    assert values[OPTION_FIELDS.index("cache_ttl")] == 60


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o)), dataclasses.replace],
    ids=["copy", "deepcopy", "pickle", "replace"],
)
def test_options_copies_are_equal_and_send_the_same_headers(duplicate: Any) -> None:
    twin = duplicate(ROUND_TRIP)
    assert twin == ROUND_TRIP
    assert repr(twin) == repr(ROUND_TRIP)
    assert twin.headers() == ROUND_TRIP.headers()
    assert twin.headers() == {
        "cf-aig-cache-ttl": "60",
        "cf-aig-metadata": '{"team":"search","n":2}',
        "cf-aig-custom-cost": '{"per_token_in":0.5}',
        "cf-aig-backoff": "linear",
        "cf-aig-skip-cache": "false",
    }


def test_options_replace_renders_the_headers_of_the_new_values() -> None:
    changed = dataclasses.replace(ROUND_TRIP, cache_ttl=120, backoff=None)
    assert changed.headers()["cf-aig-cache-ttl"] == "120"
    assert "cf-aig-backoff" not in changed.headers()
    assert ROUND_TRIP.headers()["cf-aig-cache-ttl"] == "60"
    with pytest.raises(GatewayConfigError, match="cache_ttl"):
        dataclasses.replace(ROUND_TRIP, cache_ttl=1)
