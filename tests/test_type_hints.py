"""``typing.get_type_hints`` resolves the annotations of the public API.

Introspecting tools evaluate annotations: LangChain's tool and schema helpers, pydantic's
``validate_call``, ``inspect.signature(..., eval_str=True)``, IDE and documentation generators.
With ``from __future__ import annotations`` every annotation is a string, so a name imported only
under ``TYPE_CHECKING`` makes them raise ``NameError``. Such an import is kept only where the
real one would load a heavy module that the calls never need (listed below with the reason).
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# The public modules (README): their __all__ is the public surface.
MODULES = (
    "cf_gateway_core",
    "cf_gateway_core.testing",
    "langchain_cf_gateway",
    "langchain_cf_gateway.feedback",
    "langchain_cf_gateway.tools",
    "llamaindex_cf_gateway",
    "llamaindex_cf_gateway.feedback",
    "llamaindex_cf_gateway.tools",
)
OURS = ("cf_gateway_core", "langchain_cf_gateway", "llamaindex_cf_gateway")

# Annotations left unresolvable on purpose: resolving them would load a module at import time
# that importing the class does not load today (docs/architecture.md, "Import cost").
UNRESOLVED = {
    # httpx is loaded by the first request, not by an import; the streams are built by the
    # clients, never by users.
    "cf_gateway_core.EventStream.__init__": "httpx",
    "cf_gateway_core.AsyncEventStream.__init__": "aiohttp (the async default I/O)",
    # A plain call never loads the stream modules (tests/core/test_sync_call_footprint.py): the
    # clients' stream() methods return their classes, imported with the first stream.
    "cf_gateway_core.GatewayClient.stream": "cf_gateway_core._streams",
    "cf_gateway_core.AsyncGatewayClient.stream": "cf_gateway_core._streams",
    # langchain_core.tools costs ~9 ms to import and a chat model does not load it;
    # langchain-core's own BaseChatModel.bind_tools has the same annotation.
    "langchain_cf_gateway.ChatCloudflareAIGateway.bind_tools": "langchain_core.tools",
    # Test helpers: the emulator's HTTP server (http.server) and FakeGateway (httpx) are loaded
    # when offline_unless_credentials() starts the emulator, not by importing it.
    "cf_gateway_core.testing.GatewayTarget.__init__": "http.server",
    "cf_gateway_core.testing.offline_unless_credentials": "httpx",
}


def _own_functions(cls: type) -> Iterator[tuple[str, Callable[..., Any]]]:
    """The public methods (and ``__init__``) a class of ours defines itself."""
    for name, value in vars(cls).items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(value, (classmethod, staticmethod)):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        if inspect.isfunction(value) and value.__module__.startswith(OURS):
            yield name, value


def _public_callables() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and value.__module__.startswith(OURS):
                found.setdefault(f"{module_name}.{name}", value)
                for attr, function in _own_functions(value):
                    found.setdefault(f"{module_name}.{name}.{attr}", function)
            elif inspect.isfunction(value) and value.__module__.startswith(OURS):
                found.setdefault(f"{module_name}.{name}", value)
    return found


PUBLIC = _public_callables()


def test_the_public_surface_was_found() -> None:
    assert "cf_gateway_core.GatewayClient.chat" in PUBLIC
    assert "cf_gateway_core.BatchAPI.wait" in PUBLIC
    assert "llamaindex_cf_gateway.CloudflareAIGateway.chat" in PUBLIC
    assert set(UNRESOLVED) <= set(PUBLIC)


@pytest.mark.parametrize("name", sorted(set(PUBLIC) - set(UNRESOLVED)))
def test_get_type_hints_resolves_every_annotation(name: str) -> None:
    hints = typing.get_type_hints(PUBLIC[name])
    assert all(not isinstance(hint, (str, typing.ForwardRef)) for hint in hints.values())


@pytest.mark.parametrize("name", sorted(UNRESOLVED))
def test_the_unresolved_ones_are_exactly_those_listed(name: str) -> None:
    # When one of these resolves (its module is loaded anyway now), take it off the list.
    with pytest.raises(NameError):
        typing.get_type_hints(PUBLIC[name])
