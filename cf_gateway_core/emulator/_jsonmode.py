"""JSON mode without a schema: an object whose keys are the ones the prompt asks for.

A model told "Return the result as a JSON with 'setup' and 'punchline' keys" answers with those
keys; so does the emulator. Keys are read from quoted or back-ticked words of a prompt that speaks
of keys, fields or properties, and from "keys a, b and c"; each gets a value synthesised from the
prompt (numbers for number-like keys). Without any, the answer is ``{"answer": <text>}``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["schema_for_prompt"]

_MENTIONS_KEYS = re.compile(r"(?i)\b(?:keys?|fields?|properties|property|attributes?)\b")
_QUOTED = re.compile(r"""['"`]([A-Za-z_][\w-]{0,63})['"`]""")
_LISTED = re.compile(
    r"(?i)\b(?:keys?|fields?|properties)\s+(?:named\s+|called\s+)?"
    r"([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*(?:\s*,?\s+and\s+[A-Za-z_]\w*)?)"
)
_NUMBER_KEYS = re.compile(
    r"(?i)age|count|number|year|amount|total|price|quantity|score|rating|size|population"
)
_FILLER = frozenset({"and", "the", "a", "an", "with", "of", "only", "json"})


def _keys(text: str) -> list[str]:
    if not _MENTIONS_KEYS.search(text):
        return []
    found = _QUOTED.findall(text)
    if not found:
        for match in _LISTED.finditer(text):
            words = re.split(r"\s*,\s*|\s+and\s+|\s+", match.group(1))
            found += [w for w in words if w and w.lower() not in _FILLER]
    return list(dict.fromkeys(found))


def schema_for_prompt(text: str) -> dict[str, Any] | None:
    """A JSON schema with the keys ``text`` asks for, or ``None`` when it names none."""
    keys = _keys(text)
    if not keys:
        return None
    properties = {
        key: {"type": "integer" if _NUMBER_KEYS.search(key) else "string"} for key in keys
    }
    return {"type": "object", "properties": properties, "required": keys}
