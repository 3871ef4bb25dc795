"""The repository stands on its own: no file points outside it, and the docs it cites exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A path into a machine or a sibling folder, or a reference document that is not in the repository
# (the wire notes, architecture and reliability pages live in docs/).
_OUTSIDE = re.compile(
    r"\.\./shared|/work/|/root/|/home/[a-z]|(?<!file://)/tmp/[A-Za-z]"
    r"|(?<![\w/-])(?:cloudflare-api|design|perf|peers|api)\.md"
)
_TEXT = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".json", ".yml", ".yaml", ""}
_CITED = re.compile(r"docs/([\w.-]+\.md)")


def _tracked() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if (ROOT / n).suffix in _TEXT and (ROOT / n).is_file()]


def test_no_tracked_file_points_outside_the_repository() -> None:
    offenders = []
    for path in _tracked():
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == []


def test_every_cited_docs_page_exists() -> None:
    missing = set()
    for path in _tracked():
        for name in _CITED.findall(path.read_text(errors="replace")):
            if not (ROOT / "docs" / name).is_file():
                missing.add(f"{path.relative_to(ROOT)} cites docs/{name}")
    assert sorted(missing) == []
