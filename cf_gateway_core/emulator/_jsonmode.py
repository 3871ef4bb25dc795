"""JSON mode without a schema: an object whose keys are the ones the prompt asks for.

A model told "Return the result as a JSON with 'setup' and 'punchline' keys" answers with those
keys; so does the emulator. Keys are read from quoted or back-ticked words of a prompt that speaks
of keys, fields or properties, from "keys a, b and c", and from "a JSON object with the title and
author"; each gets a short value synthesised from the prompt (a proper noun for name-like keys,
numbers for number-like keys). Without any, the answer is ``{"answer": <text>}``.
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
_NAMES = (
    r"[A-Za-z_]\w*(?:\s*,\s*(?:the\s+)?[A-Za-z_]\w*)*(?:\s*,?\s+and\s+(?:the\s+)?[A-Za-z_]\w*)?"
)
_JSON_WITH = re.compile(
    rf"(?i)\bJSON(?:\s+object)?\s+(?:with|containing|having)\s+(?:the\s+|an?\s+)?({_NAMES})"
)
_NUMBER_KEYS = re.compile(
    r"(?i)age|count|number|year|amount|total|price|quantity|score|rating|size|population"
)
_FILLER = frozenset(
    {"and", "the", "a", "an", "with", "of", "only", "json", "keys", "key", "fields", "field"}
)


def _listed(pattern: re.Pattern[str], text: str) -> list[str]:
    found: list[str] = []
    for match in pattern.finditer(text):
        words = re.split(r"\s*,\s*|\s+and\s+|\s+", match.group(1))
        found += [w for w in words if w and w.lower() not in _FILLER]
    return found


def _keys(text: str) -> list[str]:
    found: list[str] = []
    if _MENTIONS_KEYS.search(text):
        found = _QUOTED.findall(text) or _listed(_LISTED, text)
    return list(dict.fromkeys(found or _listed(_JSON_WITH, text)))


def schema_for_prompt(text: str) -> dict[str, Any] | None:
    """A JSON schema with the keys ``text`` asks for, or ``None`` when it names none."""
    keys = _keys(text)
    if not keys:
        return None
    properties = {
        key: {"type": "integer" if _NUMBER_KEYS.search(key) else "string"} for key in keys
    }
    return {"type": "object", "properties": properties, "required": keys}
