"""The README's "Prompt caching, documents, audio and server tools" examples run offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Prompt caching, documents, audio and server tools"


def _examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    body = text[start : end if end != -1 else len(text)]
    return re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)


def test_the_section_has_examples() -> None:
    assert _examples()


@pytest.mark.parametrize("index", range(len(_examples())))
def test_example_runs_offline(index: int) -> None:
    exec(compile(_examples()[index], f"README example {index}", "exec"), {})
