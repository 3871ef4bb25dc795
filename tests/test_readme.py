"""Every Python block in README.md runs as written against a `cf-gateway emulator` process.

Each block runs on its own (a fresh namespace: no block may lean on an earlier one's imports)
with the environment a reader would have after following the README: ``CLOUDFLARE_ACCOUNT_ID``,
``CLOUDFLARE_API_TOKEN`` and ``CLOUDFLARE_API_BASE_URL`` pointing at the local emulator. The
blocks run in one child interpreter, so the frameworks are imported once; the blocks that wait
for a Workers AI batch job (their client polls after 1 s, 2 s, 4 s, ...) run meanwhile in a second
one, so those waits do not add to the run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests._helpers import emulator_process

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARK = "--- README block results ---"

# Runs in the child: each block in a fresh namespace, its stdout captured, a JSON list at the end.
RUNNER = f"""
import contextlib, io, json, sys, traceback
results = []
for line, code in json.load(sys.stdin):
    out = io.StringIO()
    namespace = {{"__name__": "__main__"}}
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"README.md block at line {{line}}", "exec"), namespace)
        results.append({{"ok": True, "stdout": out.getvalue()}})
    except BaseException:
        results.append({{"ok": False, "stdout": out.getvalue(), "error": traceback.format_exc()}})
print({MARK!r})
print(json.dumps(results))
"""


def python_blocks() -> list[tuple[int, str]]:
    """(first line number, code) of each ```python block."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    ]


BLOCKS = python_blocks()


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with emulator_process(wait=60.0) as url:
        yield url


def _environment(emulator: str) -> dict[str, str]:
    """This process's environment with the emulator's address and credentials, none of yours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    env.update(
        CLOUDFLARE_ACCOUNT_ID="emulator",
        CLOUDFLARE_API_TOKEN="emulator",
        CLOUDFLARE_API_BASE_URL=emulator,
    )
    return env


def _polls_a_batch_job(code: str) -> bool:
    """Whether a block submits a Workers AI batch job and waits for it (seconds of polling)."""
    return "batch_api=True" in code or "BatchAPI(" in code


def _run_blocks(
    blocks: list[tuple[int, str]], env: dict[str, str], cwd: Path
) -> list[dict[str, Any]]:
    """Run ``blocks`` in one new interpreter (in ``cwd``, not the repository: as a user's own
    script); one result per block."""
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(blocks),
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )
    assert MARK in done.stdout, f"the runner died:\n{done.stdout}\n{done.stderr}"
    parsed: list[dict[str, Any]] = json.loads(done.stdout.split(MARK, 1)[1])
    assert len(parsed) == len(blocks)
    return parsed


@pytest.fixture(scope="module")
def results(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    env = _environment(emulator)
    polling = [i for i, (_, code) in enumerate(BLOCKS) if _polls_a_batch_job(code)]
    groups = [g for g in ([i for i in range(len(BLOCKS)) if i not in polling], polling) if g]
    with ThreadPoolExecutor(len(groups)) as pool:
        runs = [
            pool.submit(_run_blocks, [BLOCKS[i] for i in g], env, tmp_path_factory.mktemp("reader"))
            for g in groups
        ]
        found: dict[int, dict[str, Any]] = {}
        for group, run in zip(groups, runs, strict=True):
            found.update(zip(group, run.result(), strict=True))
    return [found[i] for i in range(len(BLOCKS))]


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=[f"line-{n}" for n, _ in BLOCKS])
def test_block_runs_as_written(results: list[dict[str, Any]], index: int) -> None:
    result = results[index]
    assert result["ok"], f"README.md block at line {BLOCKS[index][0]} failed:\n{result['error']}"


def test_process_pool_block_runs_where_workers_spawn(emulator: str, tmp_path: Path) -> None:
    """The process-pool block, saved as a script, runs where workers start by spawn (the default
    on macOS and Windows; Linux's forkserver from Python 3.14 re-imports the script the same way):
    a spawned worker re-imports the script, so the pool must sit under ``__main__``."""
    (line, code) = next((n, c) for n, c in BLOCKS if "ProcessPoolExecutor" in c)
    script = tmp_path / "pool_example.py"
    script.write_text(
        'import multiprocessing\nmultiprocessing.set_start_method("spawn", force=True)\n' + code,
        encoding="utf-8",
    )
    env = _environment(emulator)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=script.parent,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"README.md block at line {line}:\n{done.stderr[-2000:]}"
    assert "What is R2?" in done.stdout and "What is D1?" in done.stdout
