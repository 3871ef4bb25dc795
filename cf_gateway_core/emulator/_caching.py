"""Prompt caching in the emulator: which prefixes a gateway has seen, and the usage that follows.

Anthropic (``/ai/v1/messages`` and ``anthropic/`` models on ``/ai/run``): the prompt is read as
one sequence — tools, then the system prompt, then every message block — and each block marked
``cache_control`` ends a cacheable prefix. A request reads the longest prefix seen before
(``cache_read_input_tokens``) and writes the rest up to its last breakpoint
(``cache_creation_input_tokens``); ``input_tokens`` counts only what follows. OpenAI (Chat
Completions and Responses): a request with a ``prompt_cache_key`` whose prompt was seen before
with the same key reports the whole prompt as ``cached_tokens``. The stream flag is not part of
the prompt. Simplification: no minimum cacheable length (Anthropic's is 1024+ tokens) and no
expiry, so short offline examples show cache hits.

Validation follows the Anthropic prompt-caching docs: ``cache_control`` is ``{"type":
"ephemeral"}`` with an optional ``ttl`` of ``"5m"`` or ``"1h"``, at most four a request.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from cf_gateway_core.emulator._prompt import _strings, count_tokens

__all__ = ["CacheUsage", "PromptCache", "check_cache_controls"]

CacheUsage = tuple[int, int, int]
"""(prompt tokens in total, cache-read tokens, cache-creation tokens)."""

_MAX_BREAKPOINTS = 4
_TTLS = frozenset({"5m", "1h"})
_NOT_PROMPT = frozenset({"stream", "stream_options"})


# Keys whose values are the caller's data, not request structure: a tool_use block's input and a
# tool's input_schema may hold a "cache_control" key of their own.
_USER_DATA = frozenset({"cache_control", "input", "input_schema"})


def _cache_controls(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping):
        if "cache_control" in value:
            yield value["cache_control"]
        for key, item in value.items():
            if key not in _USER_DATA:
                yield from _cache_controls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _cache_controls(item)


def check_cache_controls(body: Mapping[str, Any]) -> str | None:
    """Why an Anthropic body's ``cache_control`` objects are invalid, or ``None``."""
    found = list(_cache_controls(body))
    for value in found:
        if (
            not isinstance(value, Mapping)
            or value.get("type") != "ephemeral"
            or value.get("ttl", "5m") not in _TTLS
        ):
            return f"cache_control: Input should be {{'type': 'ephemeral'}}, got {value!r}"
    if len(found) > _MAX_BREAKPOINTS:
        return (
            f"A maximum of {_MAX_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {len(found)}."
        )
    return None


def _units(body: Mapping[str, Any]) -> list[Any]:
    """The Anthropic prompt in cache order: tools, system, then each message block."""
    units: list[Any] = list(body.get("tools") or [])
    if body.get("system"):
        units.append({"system": body["system"]})
    for message in body.get("messages") or []:
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        units.extend({"role": message.get("role"), **b} for b in blocks if isinstance(b, Mapping))
    return units


def _tokens(unit: Any) -> int:
    text = " ".join([*_strings(unit, "content"), str(unit.get("description", ""))])
    return count_tokens(text) + count_tokens(json.dumps(unit.get("input_schema", "")))


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class PromptCache:
    """The prefixes one emulated gateway has cached (thread-safe; one per ``FakeGateway``)."""

    def __init__(self) -> None:
        """Start with nothing cached."""
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def anthropic(self, body: Mapping[str, Any]) -> CacheUsage | None:
        """Usage for an Anthropic body with ``cache_control`` breakpoints, else ``None``."""
        units = _units(body)
        marks = [i for i, unit in enumerate(units) if isinstance(unit.get("cache_control"), dict)]
        if not marks:
            return None
        plain = [{k: v for k, v in unit.items() if k != "cache_control"} for unit in units]
        sizes = [_tokens(unit) for unit in plain]
        total = max(1, sum(sizes))
        with self._lock:
            read_end = 0
            for mark in marks:
                key = _digest(plain[: mark + 1])
                if key in self._seen:
                    read_end = mark + 1
                self._seen.add(key)
        read = sum(sizes[:read_end])
        creation = sum(sizes[read_end : marks[-1] + 1])
        return total, read, creation

    def openai(self, body: Mapping[str, Any], input_tokens: int) -> CacheUsage | None:
        """Usage for an OpenAI body with a ``prompt_cache_key``, else ``None``."""
        key = body.get("prompt_cache_key")
        if not isinstance(key, str):
            return None
        digest = _digest({k: v for k, v in body.items() if k not in _NOT_PROMPT})
        with self._lock:
            hit = digest in self._seen
            self._seen.add(digest)
        return input_tokens, input_tokens if hit else 0, 0
