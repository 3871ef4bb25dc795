"""The README's "Beyond chat" examples run offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Beyond chat: logs and feedback, rerankers, the catalogue, images and speech"


def _examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.DOTALL)


def test_the_section_has_three_examples() -> None:
    assert len(_examples()) == 3


@pytest.fixture
def restore_model_table():
    from cf_gateway_core import profiles

    yield
    profiles._reset()


@pytest.mark.usefixtures("restore_model_table")
@pytest.mark.parametrize("index", range(len(_examples())))
def test_example_runs_offline(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(_examples()[index], f"README beyond-chat example {index}", "exec"), {})
    assert capsys.readouterr().out.strip()
