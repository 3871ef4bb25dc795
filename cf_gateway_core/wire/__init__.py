"""Wire formats: one module per REST API, each exposing ``FORMAT`` (a :class:`WireFormat`).

A wire module owns its JSON in both directions and its stream decoding; nothing outside
``wire/`` knows a JSON field name. Modules are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cf_gateway_core.routing import Endpoint

if TYPE_CHECKING:
    from cf_gateway_core.wire._format import ChunkDecoder, WireFormat

__all__ = ["ChunkDecoder", "WireFormat", "get_format"]


def __getattr__(name: str) -> Any:
    """``WireFormat`` and ``ChunkDecoder`` from :mod:`cf_gateway_core.wire._format`.

    Imported with the first wire module rather than by ``import cf_gateway_core`` (a dataclass
    and a protocol, ~2 ms).
    """
    if name not in ("ChunkDecoder", "WireFormat"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from cf_gateway_core.wire import _format

    value = getattr(_format, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_MODULES: dict[Endpoint, str] = {
    Endpoint.CHAT_COMPLETIONS: "cf_gateway_core.wire.openai_chat",
    Endpoint.MESSAGES: "cf_gateway_core.wire.anthropic_messages",
    Endpoint.RESPONSES: "cf_gateway_core.wire.openai_responses",
    Endpoint.RUN: "cf_gateway_core.wire.workers_ai",
}

_LOADED: dict[Endpoint, WireFormat] = {}


def get_format(endpoint: Endpoint) -> WireFormat:
    """The wire format for a chat endpoint (imported on first use)."""
    fmt = _LOADED.get(endpoint)
    if fmt is None:
        module = importlib.import_module(_MODULES[endpoint])
        fmt = _LOADED[endpoint] = module.FORMAT
    return fmt
