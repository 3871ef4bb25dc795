"""The request, response, stream-event and settings values behave as frozen, slotted dataclasses.

Every value class of ``cf_gateway_core.messages`` and ``cf_gateway_core.events`` is compared with
a twin built by ``dataclasses.make_dataclass(..., frozen=True, slots=True)`` (generated equality,
hash and repr) from the same fields: the same values give the same ``repr``, the same equality
answers and the same hash, whatever way the classes are built inside the package. Immutability,
pickling, copies and ``dataclasses.replace`` are checked on the classes themselves.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from cf_gateway_core import events, messages

VALUE_CLASSES = [
    value
    for module in (messages, events)
    for name in module.__all__
    if isinstance(value := getattr(module, name), type) and dataclasses.is_dataclass(value)
]


def _twin(cls: type) -> type:
    """The same fields in a dataclass with generated ``__eq__``/``__hash__``/``__repr__``."""
    specs = []
    for f in dataclasses.fields(cls):
        options: dict[str, Any] = {
            "repr": f.repr,
            "compare": f.compare,
            "hash": f.hash,
            "kw_only": f.kw_only,
        }
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**options)))
    return dataclasses.make_dataclass(cls.__name__, specs, frozen=True, slots=True)


def _values(cls: type, salt: str) -> dict[str, Any]:
    """Hashable values for every field (strings; the reply's finish reason left unset)."""
    return {
        f.name: f"{f.name}-{salt}"
        for f in dataclasses.fields(cls)
        if f.init and f.name != "finish_reason"
    }


def _other_values() -> list[Any]:
    """Values of the other frozen classes on a chat import: configuration, routing, retries."""
    from cf_gateway_core import GatewayOptions, ModelProfile, RetryPolicy, resolve_route
    from cf_gateway_core.config import GatewayConfig

    route = resolve_route("openai/gpt-5.5", "auto")
    config = GatewayConfig.resolve(account_id="acct", api_token="tok-secret", env={})
    return [
        GatewayOptions(cache_ttl=60, metadata={"team": "a"}),
        ModelProfile(context_window=1000),
        RetryPolicy(max_retries=3),
        route,
        route.model,
        config,
    ]


@pytest.mark.parametrize("value", _other_values(), ids=lambda value: type(value).__name__)
def test_other_frozen_values_compare_hash_and_show_as_generated(value: Any) -> None:
    cls = type(value)
    init = {f.name: getattr(value, f.name) for f in dataclasses.fields(cls) if f.init}
    reference = _twin(cls)(**init)
    assert repr(value) == repr(reference)
    assert "tok-secret" not in repr(value)
    assert value == dataclasses.replace(value)
    try:
        expected: Any = hash(reference)
    except TypeError as exc:
        expected = str(exc)
        with pytest.raises(TypeError, match="unhashable"):
            hash(value)
    else:
        assert hash(value) == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, dataclasses.fields(cls)[0].name, None)
    assert pickle.loads(pickle.dumps(value)) == value


def test_every_public_value_class_is_checked() -> None:
    names = {cls.__name__ for cls in VALUE_CLASSES}
    assert {"ChatRequest", "ChatResponse", "Message", "TextPart", "TextDelta", "Finish"} <= names
    assert len(VALUE_CLASSES) == 26


@pytest.mark.parametrize("cls", VALUE_CLASSES, ids=lambda cls: cls.__name__)
def test_equality_hash_and_repr_are_those_of_a_generated_dataclass(cls: type) -> None:
    twin = _twin(cls)
    one, same, other = cls(**_values(cls, "a")), cls(**_values(cls, "a")), cls(**_values(cls, "b"))
    reference = twin(**_values(cls, "a"))
    assert repr(one) == repr(reference)
    assert repr(one).startswith(f"{cls.__qualname__}(")
    assert (one == same, one != same) == (True, False)
    assert (one == other, one != other) == (False, True)
    assert one.__eq__(reference) is NotImplemented  # another class is never equal
    assert one != reference
    assert (hash(one) == hash(reference)) and hash(one) == hash(same)
    assert cls.__eq__.__qualname__ == f"{cls.__qualname__}.__eq__"


@pytest.mark.parametrize("cls", VALUE_CLASSES, ids=lambda cls: cls.__name__)
def test_values_are_frozen_slotted_and_travel(cls: type) -> None:
    value = cls(**_values(cls, "a"))
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, first, "changed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(value, first)
    assert "__slots__" in vars(cls) and not hasattr(value, "__dict__")
    assert pickle.loads(pickle.dumps(value)) == value
    assert copy.copy(value) == value and copy.deepcopy(value) == value
    changed = dataclasses.replace(value, **{first: "changed"})
    assert getattr(changed, first) == "changed" and changed != value
    assert dataclasses.asdict(value) == dataclasses.asdict(_twin(cls)(**_values(cls, "a")))


def test_unhashable_fields_make_an_unhashable_value_as_in_a_dataclass() -> None:
    request = messages.ChatRequest(model="m", messages=())  # extra_body defaults to a dict
    with pytest.raises(TypeError, match="unhashable"):
        hash(request)
    assert request == messages.ChatRequest(model="m", messages=())


def test_a_value_holding_itself_shows_an_ellipsis() -> None:
    blocks: list[Any] = []
    value = events.ContentBlocks(blocks=blocks)  # type: ignore[arg-type]
    blocks.append(value)
    assert repr(value) == "ContentBlocks(blocks=[...])"
