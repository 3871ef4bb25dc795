"""Parse the ``x-emulator-reply`` request header: a per-request script for the emulator.

Grammar (tokens are split like a POSIX shell, so quote values that hold spaces)::

    x-emulator-reply: error [status=N] [code=N] [message="…"] [retry-after=N]
    x-emulator-reply: text="…"
    x-emulator-reply: tool=NAME [args='{"json": "object"}']

``error`` answers with a Cloudflare v4 error envelope; ``status`` (400–599) may be left out when
``code`` is a known Cloudflare code (``2003`` → 429, ``10000`` → 401, ``7003`` → 404…).
``text`` answers with exactly that text. ``tool`` answers with a call to ``NAME`` whose arguments
are ``args`` or, without it, synthesised from the offered tool's JSON schema. Anything else —
an unknown word, a repeated or unknown parameter, a bad number, an unclosed quote — is an error
whose message says what is wrong. Conversations (one reply per turn, ``;;``), several tool calls,
escapes in text, the 2026 error bodies and stream modifiers are in
:mod:`~cf_gateway_core.emulator._turns`, which builds on this grammar.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cf_gateway_core.testing.errors import CODE_MESSAGES, CODE_STATUS

__all__ = [
    "CODE_MESSAGES",
    "CODE_STATUS",
    "HEADER",
    "ErrorScript",
    "Script",
    "ScriptError",
    "TextScript",
    "ToolScript",
    "parse_script",
]

HEADER = "x-emulator-reply"
"""The request header that scripts one reply."""


class ScriptError(ValueError):
    """The header does not follow the grammar; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ErrorScript:
    """Answer with a v4 error envelope."""

    status: int
    code: int | None = None
    message: str | None = None
    retry_after: int | None = None
    body: Mapping[str, Any] | None = None
    """A whole JSON body instead of the v4 envelope (the Policies spend cap's shape)."""


@dataclass(frozen=True, slots=True)
class TextScript:
    """Answer with exactly this text."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolScript:
    """Answer with a call to this tool (``arguments`` ``None``: synthesise from its schema)."""

    name: str
    arguments: Mapping[str, Any] | None = field(default=None)


Script = ErrorScript | TextScript | ToolScript
"""One parsed header."""


def parse_script(value: str) -> Script:
    """Parse an ``x-emulator-reply`` header value.

    Raises:
        ScriptError: the value does not follow the grammar in the module docstring.
    """
    try:
        tokens = shlex.split(value)
    except ValueError as exc:
        raise ScriptError(f"{HEADER}: cannot split {value!r} into words ({exc}).") from exc
    if not tokens:
        raise ScriptError(f"{HEADER} is empty; {_USAGE}")
    head, params = tokens[0], _params(tokens[1:])
    kind, _, inline = head.partition("=")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ScriptError(f"{HEADER}: unknown reply {kind!r}; {_USAGE}")
    if (kind == "error") == ("=" in head):
        shape = "'error' takes no '='" if kind == "error" else f"{kind!r} needs '{kind}=VALUE'"
        raise ScriptError(f"{HEADER}: {shape}; {_USAGE}")
    return parser(inline, params)


_USAGE = (
    "use 'error status=429 code=2003 [message=\"…\"] [retry-after=N]', 'text=\"…\"', "
    "'tool=NAME [args=JSON]', 'spend-cap [spent=N] [limit=N] [bucket=NAME]', 'byok-rejected' "
    "or 'credentials-rejected' (see cf-gateway emulator --help)."
)


def _params(tokens: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for token in tokens:
        name, sep, value = token.partition("=")
        if not sep or not name:
            raise ScriptError(f"{HEADER}: {token!r} is not NAME=VALUE; {_USAGE}")
        if name in params:
            raise ScriptError(f"{HEADER}: parameter {name!r} is given twice.")
        params[name] = value
    return params


def _only(kind: str, params: Mapping[str, str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ScriptError(
            f"{HEADER}: {kind!r} does not take {', '.join(unknown)} (it takes: {known})."
        )


def _int(name: str, value: str, low: int, high: int) -> int:
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise ScriptError(
            f"{HEADER}: {name} must be an integer from {low} to {high}, got {value!r}."
        )
    return int(value)


def _parse_error(_: str, params: Mapping[str, str]) -> Script:
    _only("error", params, frozenset({"status", "code", "message", "retry-after"}))
    code = _int("code", params["code"], 0, 10**9) if "code" in params else None
    if "status" in params:
        status = _int("status", params["status"], 400, 599)
    elif code is not None and code in CODE_STATUS:
        status = CODE_STATUS[code]
    else:
        raise ScriptError(
            f"{HEADER}: 'error' needs status=N (400-599), or code=N with a known Cloudflare "
            f"code ({', '.join(str(c) for c in sorted(CODE_STATUS))})."
        )
    retry = params.get("retry-after")
    return ErrorScript(
        status=status,
        code=code,
        message=params.get("message") or None,
        retry_after=None if retry is None else _int("retry-after", retry, 0, 86_400),
    )


def _parse_text(text: str, params: Mapping[str, str]) -> Script:
    _only("text", params, frozenset())
    return TextScript(text)


def _parse_tool(name: str, params: Mapping[str, str]) -> Script:
    _only("tool", params, frozenset({"args"}))
    if not name:
        raise ScriptError(f"{HEADER}: 'tool=' needs a tool name.")
    if "args" not in params:
        return ToolScript(name)
    try:
        arguments = json.loads(params["args"])
    except ValueError as exc:
        raise ScriptError(f"{HEADER}: args is not valid JSON ({exc}).") from exc
    if not isinstance(arguments, dict):
        raise ScriptError(f"{HEADER}: args must be a JSON object, got {type(arguments).__name__}.")
    return ToolScript(name, arguments)


_PARSERS: dict[str, Callable[[str, Mapping[str, str]], Script]] = {
    "error": _parse_error,
    "text": _parse_text,
    "tool": _parse_tool,
}
