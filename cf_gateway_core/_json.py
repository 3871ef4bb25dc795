"""JSON parsing for replies and stream frames: orjson when installed, else the standard library.

orjson parses a 200-byte stream frame in ~0.6 µs against ``json.loads``'s ~2.2 µs. It comes
with langsmith, so LangChain users already have it (extra ``fast`` installs it too); it is
imported on the first parse, not by ``import cf_gateway_core``. Results are always those of
``json.loads``:

- input orjson rejects (``NaN``/``Infinity`` literals, numbers beyond a double, lone surrogates,
  other encodings than UTF-8, nesting beyond 1024) is parsed again by ``json.loads``, which
  accepts it or raises its own error;
- orjson turns an integer beyond 64 bits into a float, without an error, so input holding a run of
  19 or more digits (the shortest integer that can overflow) is handed to ``json.loads`` up front.

Call them as ``_json.loads(...)`` / ``_json.loads_utf8(...)`` (module attributes): the first call
replaces both. A whole reply body goes through :func:`loads_body`, which leaves orjson unimported
for a small one (docs/io-stack.md, "Memory: what a sync call loads").
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from cf_gateway_core.errors import GatewayError

__all__ = ["load_json", "loads", "loads_body", "loads_utf8"]

Loads = Callable[[str | bytes], Any]

# Every ASCII digit becomes b"0" and every other byte b".", so a run of digits is a run of b"0".
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))
_LONG_RUN = b"0" * 19  # -9223372036854775809 (19 digits) is the shortest that overflows orjson


def _loads_stdlib(data: str | bytes) -> Any:
    """``json.loads``: the parser without orjson, and the fallback for what orjson declines."""
    return json.loads(data)


def _utf8_stdlib(data: bytes) -> Any:
    """``json.loads`` of the text ``data`` holds as UTF-8 (strict: invalid bytes raise)."""
    return json.loads(data.decode())


def _orjson_parsers() -> tuple[Loads, Callable[[bytes], Any]] | None:
    """:data:`loads` and :data:`loads_utf8` on orjson, or ``None`` when orjson is missing."""
    try:
        from orjson import JSONDecodeError as OrjsonError, loads as orjson_loads
    except ImportError:
        return None

    def _loads_orjson(data: str | bytes) -> Any:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        if raw.translate(_DIGITS).find(_LONG_RUN) >= 0:  # find: faster than "in" on bytes
            return json.loads(data)  # a possible > 64-bit integer: orjson would make it a float
        try:
            return orjson_loads(data)
        except OrjsonError:
            return json.loads(data)  # NaN, Infinity, 1e400, lone surrogates… or a real error

    def _utf8_orjson(data: bytes) -> Any:
        # orjson reads bytes as strict UTF-8 only, so what it parses is what the text parses to.
        if data.translate(_DIGITS).find(_LONG_RUN) >= 0:
            return json.loads(data.decode())
        try:
            return orjson_loads(data)
        except OrjsonError:
            return json.loads(data.decode())  # as loads: json decides (and raises on bad UTF-8)

    return _loads_orjson, _utf8_orjson


def _choose() -> None:
    """Choose the parsers once (importing orjson if installed)."""
    global loads, loads_utf8
    loads, loads_utf8 = _orjson_parsers() or (_loads_stdlib, _utf8_stdlib)


def _first_loads(data: str | bytes) -> Any:
    """Choose the parsers, then parse."""
    _choose()
    return loads(data)


def _first_utf8(data: bytes) -> Any:
    """Choose the parsers, then parse."""
    _choose()
    return loads_utf8(data)


loads: Loads = _first_loads
"""Parse JSON text or UTF-8 bytes exactly as ``json.loads`` does (faster with orjson)."""

loads_utf8: Callable[[bytes], Any] = _first_utf8
"""Parse bytes as ``json.loads(data.decode())`` does: a result equal to that of :func:`loads` on
the text, and ``ValueError`` (``UnicodeDecodeError`` included) for bytes that are not valid UTF-8
or not JSON. Unlike ``json.loads`` on bytes, no other encoding is ever guessed."""


BODY_ORJSON_MIN = 16 * 1024
"""From this many bytes, a whole reply body is parsed by :data:`loads` (orjson, if installed)."""


def loads_body(data: bytes) -> Any:
    """A whole reply body, parsed as :data:`loads` parses it (``json.loads``'s results).

    A body under :data:`BODY_ORJSON_MIN` bytes does not import orjson: it is parsed with
    ``json.loads`` unless orjson is loaded already (langsmith loads it in LangChain apps; the
    first stream frame does). Importing it costs ~0.25 MiB of memory for life, to save ~2 µs on a
    reply of a few hundred bytes; larger bodies (embeddings, long answers) save far more.
    """
    if loads is _first_loads and len(data) < BODY_ORJSON_MIN and "orjson" not in sys.modules:
        return json.loads(data)
    return loads(data)


def load_json(content: bytes) -> Any:
    """A whole reply body read as JSON; a :class:`GatewayError` when it is not JSON."""
    try:
        return loads_body(content)
    except ValueError as exc:
        raise GatewayError(
            f"The gateway returned a body that is not JSON: {content[:200]!r}"
        ) from exc
    except RecursionError:
        raise GatewayError(
            "The gateway returned JSON nested too deeply to read "
            f"({len(content)} bytes starting {content[:40]!r})."
        ) from None
