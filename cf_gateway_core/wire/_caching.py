"""Prompt caching on the wire: Anthropic ``cache_control`` and OpenAI ``prompt_cache_key``.

Anthropic caches a prompt prefix up to each block marked ``cache_control: {"type": "ephemeral",
"ttl"?: "5m" | "1h"}`` (at most four breakpoints a request); OpenAI caches long prefixes by itself
and takes ``prompt_cache_key`` to group requests that share one. Each API takes only its own
spelling, so a request that carries the other one is refused here, naming the endpoint that takes
it (docs/content.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.messages import ChatRequest, ToolResultPart

__all__ = [
    "MAX_BREAKPOINTS",
    "cache_control",
    "count_breakpoints",
    "reject_cache_control",
    "reject_prompt_cache_key",
]

MAX_BREAKPOINTS = 4
"""Anthropic accepts at most four ``cache_control`` blocks in one request."""

_TTLS = frozenset({"5m", "1h"})


def cache_control(value: Mapping[str, Any]) -> dict[str, Any]:
    """A checked copy of an Anthropic ``cache_control`` object.

    Raises:
        GatewayConfigError: not ``{"type": "ephemeral"}`` with an optional ``ttl`` of ``"5m"`` or
            ``"1h"``.
    """
    if (
        not isinstance(value, Mapping)
        or value.get("type") != "ephemeral"
        or not set(value) <= {"type", "ttl"}
        or value.get("ttl", "5m") not in _TTLS
    ):
        raise GatewayConfigError(
            f"cache_control {value!r} is not valid: Anthropic takes {{'type': 'ephemeral'}}, "
            "optionally with 'ttl': '5m' or '1h'."
        )
    return dict(value)


def _marked(request: ChatRequest) -> Iterator[str]:
    """Where the request carries ``cache_control`` (for the error message)."""
    if request.cache_control is not None:
        yield "the per-call cache_control"
    for tool in request.tools:
        if getattr(tool, "cache_control", None) is not None:
            yield f"tool {getattr(tool, 'name', '')!r}"
    for message in request.messages:
        for part in message.parts:
            inner = part.content if isinstance(part, ToolResultPart) else ()
            for item in (part, *inner):
                if getattr(item, "cache_control", None) is not None:
                    yield f"a {message.role} message"
                    break


_SCALARS = frozenset({str, int, float, bool, type(None)})


def count_breakpoints(payload: Any) -> int:
    """The number of ``cache_control`` objects in an Anthropic request body.

    Every object and list is visited (``extra_body`` and blocks sent back verbatim may hold
    marks anywhere); JSON scalars, most of a body, are skipped by their exact type before the
    slower ``Mapping`` check.
    """
    count = 0
    stack = [payload]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is list:
            stack.extend(node)
        elif kind in _SCALARS:
            continue
        elif kind is dict or isinstance(node, Mapping):
            mark = node.get("cache_control")
            if mark is None:
                stack.extend(node.values())
            else:
                count += isinstance(mark, Mapping)
                stack.extend(value for key, value in node.items() if key != "cache_control")
        elif isinstance(node, list):
            stack.extend(node)
    return count


def reject_cache_control(request: ChatRequest, endpoint: str) -> None:
    """Refuse Anthropic ``cache_control`` on an API that has no such field.

    Raises:
        GatewayConfigError: some block, tool or the call carries ``cache_control``.
    """
    where = next(_marked(request), None)
    if where is not None:
        raise GatewayConfigError(
            f"cache_control ({where}) is Anthropic prompt caching, which endpoint {endpoint!r} "
            "does not take: use an anthropic/ model (endpoint 'messages', or 'run'), or remove "
            "cache_control. OpenAI models cache long prompts by themselves; pass "
            "prompt_cache_key=... on endpoint 'chat_completions' or 'responses'."
        )


def reject_prompt_cache_key(request: ChatRequest, endpoint: str) -> None:
    """Refuse OpenAI's ``prompt_cache_key`` on an API that has no such field.

    Raises:
        GatewayConfigError: the request sets ``prompt_cache_key``.
    """
    if request.prompt_cache_key is not None:
        raise GatewayConfigError(
            f"prompt_cache_key is an OpenAI option that endpoint {endpoint!r} does not take: use "
            "endpoint 'chat_completions' or 'responses', or, on Anthropic models, cache_control."
        )
