"""Ray Data batch inference (examples/ray_batch.py) on a local Ray instance against the
``cf-gateway emulator`` server, in a network namespace whose only interface is loopback.

Behind the ``ray`` marker (deselected by default; ``pytest -m ray`` runs it, after
``pip install -e ".[ray]"``): starting Ray and its actors takes minutes on a 2-core machine
(times in docs/scale-out.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "tests" / "scale" / "_ray_sandbox.py"
ROWS = 40

pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.mark.timeout(900)
def test_ray_data_pipeline_against_the_emulator_on_loopback_only() -> None:
    import ray  # a missing extra fails here: pip install -e ".[ray]"

    assert ray.__version__
    proc = subprocess.run(
        [sys.executable, str(SANDBOX), "--rows", str(ROWS), "--actors", "1", "--rps", "100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=880,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["interfaces"] == ["lo"]
    assert report["emulator"].startswith("http://127.0.0.1:")
    result = report["result"]
    assert result["rows"] == ROWS
    assert result["ids_in_order"]
    assert result["nonempty_answers"] == ROWS
    assert "use case 0" in result["first_answer"]  # the emulator quotes the question
    assert result["dimensions"] == [768]  # @cf/baai/bge-base-en-v1.5
