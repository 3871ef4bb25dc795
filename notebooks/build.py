"""Build the tutorial notebooks (``NN_*.ipynb``) from their jupytext sources (``NN_*.py``).

Each source is a Python file in jupytext's percent format: ``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell whose lines are comments
(https://jupytext.readthedocs.io/en/latest/formats-scripts.html#the-percent-format). The sources
are what you edit, lint and review; the ``.ipynb`` files are written from them without outputs,
with fixed cell ids and metadata, so building twice gives the same bytes.

    python notebooks/build.py            # write every notebook
    python notebooks/build.py --check    # exit 1 if a committed notebook differs from its source

``tests/test_notebooks.py`` runs the same check, and executes the notebooks offline.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent
SOURCE_FORMAT = "py:percent"
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def sources() -> list[Path]:
    """The notebook sources: ``NN_name.py`` files next to this script."""
    return sorted(HERE.glob("[0-9][0-9]_*.py"))


def notebook(source: Path) -> NotebookNode:
    """The notebook of one source: its cells without outputs or metadata, with stable ids."""
    parsed = jupytext.read(source, fmt=SOURCE_FORMAT)
    nb = nbformat.v4.new_notebook()
    nb.metadata = METADATA
    for number, cell in enumerate(parsed.cells):
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source)
        else:
            raise ValueError(f"{source.name}: unexpected {cell.cell_type} cell {number}")
        new.id = f"cell-{number:02d}"
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def build() -> dict[str, str]:
    """Notebook file name -> its JSON text, exactly as written to disk."""
    return {
        source.with_suffix(".ipynb").name: nbformat.writes(notebook(source)) + "\n"
        for source in sources()
    }


def main(argv: list[str]) -> int:
    """Write every notebook next to this script, or with ``--check`` only compare."""
    check = argv == ["--check"]
    if argv and not check:
        print("usage: python notebooks/build.py [--check]", file=sys.stderr)
        return 2
    stale = []
    for name, text in build().items():
        target = HERE / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if check:
            stale.append(name)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote notebooks/{name}")
    for name in stale:
        print(f"notebooks/{name} differs from its source: run python notebooks/build.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
