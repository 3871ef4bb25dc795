r"""Scripts for whole conversations: the ``x-emulator-reply`` language beyond one reply.

On top of the one-reply grammar of :mod:`~cf_gateway_core.emulator._script`::

    REPLY [;; REPLY ...]          one reply per assistant turn of the conversation, in order;
                                  a conversation longer than the list gets the last one
    text="line one\nline two"     escapes \n, \t and \\ in text (a header is one line)
    tool=A [args=JSON] tool=B …   several tool calls in one reply
    … interleave                  stream the calls' argument fragments interleaved
                                  (Chat Completions streams)
    tool=A … cut                  the tool call is cut off by max_tokens: half its arguments,
                                  finish reason "length" (Chat Completions format)
    … no-end                      the stream stops before its terminal event ([DONE], the finish
                                  chunk, message_stop, response.completed)
    spend-cap [spent=N] [limit=N] [bucket=NAME]
                                  the Policies spend cap: 429, no code, {"error": {"message":
                                  "Spending limit exceeded", "bucket", "spent", "limit"}}
    byok-rejected                 401 / 2009: the provider rejected the stored (BYOK) key
    credentials-rejected          503: the provider rejected the Unified Billing credentials

``error code=5007`` gives Workers AI's 400 "No such model". The turn of a request is the number of
assistant messages (Responses: assistant and ``function_call`` items, adjacent calls counted once)
it already holds.
"""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cf_gateway_core.emulator._script import (
    HEADER,
    ErrorScript,
    Script,
    ScriptError,
    TextScript,
    ToolScript,
    parse_script,
)
from cf_gateway_core.testing.errors import BYOK_REJECTED, CREDENTIALS_REJECTED, spend_cap_body

__all__ = [
    "Turn",
    "assistant_turns",
    "cut_arguments",
    "interleave_tool_fragments",
    "parse_turns",
    "strip_terminal",
]

_SEPARATOR = ";;"
_FLAGS = frozenset({"no-end", "interleave", "cut"})
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Turn:
    """One scripted reply with its stream modifiers."""

    script: Script | None = None
    more_tools: tuple[ToolScript, ...] = ()
    no_end: bool = False
    interleave: bool = False
    cut: bool = False


def _unescape(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        nxt = next(chars, "")
        out.append(_ESCAPES.get(nxt, "\\" + nxt))
    return "".join(out)


def _number(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ScriptError(f"{HEADER}: {name} must be a number, got {value!r}.") from None


def _spend_cap(params: Mapping[str, str]) -> ErrorScript:
    unknown = sorted(set(params) - {"spent", "limit", "bucket"})
    if unknown:
        raise ScriptError(f"{HEADER}: 'spend-cap' takes spent, limit and bucket, not {unknown}.")
    body = spend_cap_body(
        spent=_number("spent", params.get("spent", "10.5")),
        limit=_number("limit", params.get("limit", "10")),
        bucket=params.get("bucket", "emulator"),
    )
    return ErrorScript(status=429, body=body)


# Words for the error bodies of the 2026 changes (docs/gateway-2026.md).
_ERROR_WORDS: dict[str, ErrorScript] = {
    "byok-rejected": ErrorScript(*BYOK_REJECTED),
    "credentials-rejected": ErrorScript(*CREDENTIALS_REJECTED),
}


def _one(tokens: list[str]) -> Turn:
    flags = {t for t in tokens if t in _FLAGS}
    words = [t for t in tokens if t not in _FLAGS]
    if not words:
        raise ScriptError(f"{HEADER}: a reply between ';;' is empty.")
    head = words[0]
    if head in _ERROR_WORDS or head == "spend-cap":
        params = dict(w.partition("=")[::2] for w in words[1:])
        script: Script = _spend_cap(params) if head == "spend-cap" else _ERROR_WORDS[head]
        if head != "spend-cap" and len(words) > 1:
            raise ScriptError(f"{HEADER}: {head!r} takes no parameters.")
        return Turn(script)
    groups = [list(g) for g in _tool_groups(words)]
    scripts = [parse_script(shlex.join(g)) for g in groups]
    first = scripts[0]
    if isinstance(first, TextScript):
        first = TextScript(_unescape(first.text))
    if len(scripts) > 1 and not all(isinstance(s, ToolScript) for s in scripts):
        raise ScriptError(f"{HEADER}: only 'tool=' replies can be combined in one turn.")
    if "cut" in flags and not isinstance(first, ToolScript):
        raise ScriptError(f"{HEADER}: 'cut' applies to a tool call (tool=NAME … cut).")
    more = tuple(s for s in scripts[1:] if isinstance(s, ToolScript))
    return Turn(first, more, "no-end" in flags, "interleave" in flags, "cut" in flags)


def _tool_groups(words: list[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    for word in words:
        if not groups or (word.startswith("tool=") and groups[-1][0].startswith("tool=")):
            groups.append([word])
        else:
            groups[-1].append(word)
    return groups


def parse_turns(value: str) -> tuple[Turn, ...]:
    """Parse an ``x-emulator-reply`` header into its turns (see the module docstring).

    Raises:
        ScriptError: the value does not follow the grammar.
    """
    try:
        tokens = shlex.split(value)
    except ValueError as exc:
        raise ScriptError(f"{HEADER}: cannot split {value!r} into words ({exc}).") from exc
    turns = [list(g) for sep, g in itertools.groupby(tokens, lambda t: t == _SEPARATOR) if not sep]
    if not turns:
        raise ScriptError(f"{HEADER} is empty.")
    return tuple(_one(words) for words in turns)


# ----------------------------------------------------------------- which turn


def _roles(body: Mapping[str, Any]) -> list[str]:
    inner = body.get("input") if isinstance(body.get("input"), Mapping) else body
    assert isinstance(inner, Mapping)
    items: Any = inner.get("messages")
    if not isinstance(items, list):
        items = inner.get("input") if isinstance(inner.get("input"), list) else []
    roles = []
    for item in items:
        if isinstance(item, Mapping):
            kind = "assistant" if item.get("type") == "function_call" else item.get("role")
            roles.append(str(kind))
    return roles


def assistant_turns(body: Any) -> int:
    """How many assistant turns the conversation in a request body already holds."""
    if not isinstance(body, Mapping):
        return 0
    roles = _roles(body)
    return sum(1 for i, r in enumerate(roles) if r == "assistant" and (i == 0 or roles[i - 1] != r))


# ----------------------------------------------------------------- stream modifiers


def _is_content(frame: Any) -> bool:
    if isinstance(frame, tuple):
        return frame[0] in (
            "content_block_delta",
            "response.output_text.delta",
            "response.function_call_arguments.delta",
        )
    if not isinstance(frame, Mapping):
        return False
    choices = frame.get("choices")
    if isinstance(choices, list) and choices:
        delta = choices[0].get("delta") or {}
        return bool(delta.get("content") or delta.get("tool_calls"))
    return bool(frame.get("response") or frame.get("tool_calls"))


def strip_terminal(frames: list[Any]) -> list[Any]:
    """The frames up to the last one that carries content: no end event, no ``[DONE]``."""
    last = max((i for i, f in enumerate(frames) if _is_content(f)), default=0)
    return frames[: last + 1]


def _call_index(frame: Any) -> int | None:
    if not isinstance(frame, Mapping) or not frame.get("choices"):
        return None
    calls = (frame["choices"][0].get("delta") or {}).get("tool_calls")
    return calls[0].get("index") if isinstance(calls, list) and calls else None


def interleave_tool_fragments(frames: list[Any]) -> list[Any]:
    """Chat Completions frames with the tool calls' fragments taking turns (index 0, 1, 0, 1…)."""
    positions = [i for i, f in enumerate(frames) if _call_index(f) is not None]
    if not positions:
        return frames
    by_call: dict[int, list[Any]] = {}
    for i in positions:
        by_call.setdefault(_call_index(frames[i]) or 0, []).append(frames[i])
    mixed = [f for group in itertools.zip_longest(*by_call.values()) for f in group if f]
    out = list(frames)
    for position, frame in zip(positions, mixed, strict=True):
        out[position] = frame
    return out


def cut_arguments(arguments: Mapping[str, Any]) -> str:
    """A tool call's argument JSON cut in half, as ``max_tokens`` leaves it."""
    text = json.dumps(arguments, ensure_ascii=False)
    return text[: max(1, len(text) // 2)]
