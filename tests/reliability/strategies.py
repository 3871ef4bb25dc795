"""Hypothesis strategies shared by the property tests: JSON whose keys and string values come
from the wire modules' own literals (so random bodies reach deep into the parsers), and text."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import strategies as st

from cf_gateway_core import wire

__all__ = ["arguments", "json_objects", "json_values", "texts", "words"]

_WIRE_DIR = Path(wire.__file__).resolve().parent
_WORDS = sorted(
    {
        word
        for path in [*_WIRE_DIR.glob("*.py"), _WIRE_DIR.parent / "errors.py"]
        for word in re.findall(r"\"([A-Za-z_][A-Za-z0-9_.\-]{0,40})\"", path.read_text())
    }
)
words = st.sampled_from(_WORDS)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | words
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(words | st.text(max_size=6), children, max_size=6)
    ),
    max_leaves=16,
)
json_objects = st.dictionaries(words, json_values, max_size=8)
texts = st.text(max_size=20)
arguments = st.dictionaries(st.text(max_size=5), json_values, max_size=3)
"""Tool-call arguments: a JSON object."""
