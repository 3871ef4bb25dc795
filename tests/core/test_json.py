"""cf_gateway_core._json: the orjson parser gives json.loads's results; the stdlib one is json."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from cf_gateway_core import _json

Loads = Callable[[str | bytes], Any]

SAME = [
    '{"id":"c1","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}',
    '{"a": [1, -2, 3.5, -0.0, 1e-7, true, false, null], "b": {"c": "\\u00e9\\n\\"x\\""}}',
    '{"x": 1, "x": 2}',  # duplicate keys: the last wins, in both
    '"caf\u00e9 \U0001f600"',
    "18446744073709551615",  # the largest unsigned 64-bit integer
    "-9223372036854775808",  # the smallest signed 64-bit integer
    "99999999999999999999999999",  # beyond 64 bits: orjson alone would return a float
    "-9223372036854775809",
    '{"arguments": {"id": 123456789012345678901234567890}}',
    "NaN",
    "[Infinity, -Infinity]",
    "1e400",  # beyond a double: inf in json, an error in orjson
    '"\\ud800"',  # an escaped lone surrogate
    '{"id": "12345678901234567890123"}',  # a long digit run inside a string
    " [1, 2] ",
]
INVALID = ["", "{", "[1,]", "{'a': 1}", "nul", '"\x01"', "[1] x"]


def _orjson_parsers() -> tuple[Loads, Callable[[bytes], Any]]:
    pytest.importorskip("orjson")
    parsers = _json._orjson_parsers()
    assert parsers is not None
    return parsers


def _orjson_loads() -> Loads:
    return _orjson_parsers()[0]


def _orjson_utf8() -> Callable[[bytes], Any]:
    return _orjson_parsers()[1]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b and repr(a) == repr(b)


@pytest.mark.parametrize("text", SAME)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_json_orjson_loads_matches_json_loads(text: str, as_bytes: bool) -> None:
    data: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert _same(_orjson_loads()(data), json.loads(data))


@pytest.mark.parametrize("text", SAME)
@pytest.mark.parametrize("loader", ["orjson", "stdlib"])
def test_json_utf8_loads_matches_json_loads_of_the_decoded_text(text: str, loader: str) -> None:
    data = text.encode()
    loads_utf8 = _orjson_utf8() if loader == "orjson" else _json._utf8_stdlib
    assert _same(loads_utf8(data), json.loads(data.decode()))


@pytest.mark.parametrize("loader", ["orjson", "stdlib"])
def test_json_utf8_loads_refuses_bytes_that_are_not_utf8(loader: str) -> None:
    loads_utf8 = _orjson_utf8() if loader == "orjson" else _json._utf8_stdlib
    for data in (b'"\xff"', '"caf\u00e9"'.encode("latin-1"), '"x"'.encode("utf-16")):
        with pytest.raises(ValueError):
            loads_utf8(data)


@pytest.mark.parametrize("text", SAME)
def test_json_stdlib_loads_is_json_loads(text: str) -> None:
    assert _same(_json._loads_stdlib(text), json.loads(text))


def test_json_orjson_loads_keeps_big_integers_exact() -> None:
    value = _orjson_loads()('{"n": 123456789012345678901234567890}')
    assert value == {"n": 123456789012345678901234567890}
    assert type(value["n"]) is int


@pytest.mark.parametrize("text", INVALID)
@pytest.mark.parametrize("loader", ["orjson", "stdlib"])
def test_json_loads_invalid_input_raises_json_error(text: str, loader: str) -> None:
    loads = _orjson_loads() if loader == "orjson" else _json._loads_stdlib
    with pytest.raises(json.JSONDecodeError):
        loads(text)


def test_json_loads_invalid_utf8_raises_value_error() -> None:
    with pytest.raises(ValueError):
        _orjson_loads()(b'"\xff"')
    with pytest.raises(ValueError):
        _json._loads_stdlib(b'"\xff"')


def test_json_module_loads_chooses_orjson_when_installed() -> None:
    assert _json.loads('{"a": [1]}') == {"a": [1]}
    try:
        import orjson  # noqa: F401
    except ImportError:
        assert _json.loads is _json._loads_stdlib
    else:
        assert _json.loads.__name__ == "_loads_orjson"
        assert _json.loads_utf8.__name__ == "_utf8_orjson"


@pytest.mark.parametrize("text", SAME)
@pytest.mark.parametrize("padding", [0, _json.BODY_ORJSON_MIN])
def test_json_loads_body_is_json_loads_for_small_and_large_bodies(text: str, padding: int) -> None:
    data = (" " * padding + text).encode("utf-8", "surrogatepass")
    assert _same(_json.loads_body(data), json.loads(data))


@pytest.mark.parametrize("text", INVALID)
def test_json_loads_body_invalid_input_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        _json.loads_body(text.encode())
