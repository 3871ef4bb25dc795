"""Layering: the core imports no framework; adapters talk to the core only through its API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _fresh_interpreter(code: str) -> str:
    """What ``code`` prints in a new Python process (stripped)."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return out.stdout.strip()


def test_core_import_loads_no_framework() -> None:
    code = (
        "import sys, cf_gateway_core, cf_gateway_core.testing, cf_gateway_core.client;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('langchain_core', 'llama_index',"
        " 'langchain', 'openai', 'anthropic')];"
        "print(','.join(bad))"
    )
    assert _fresh_interpreter(code) == ""


def test_core_import_leaves_rare_path_modules_unloaded() -> None:
    # Imported on first use: Retry-After dates (email.utils), retry jitter (random), secret
    # comparison (hmac), base-URL checks (urllib.parse, which httpx needs anyway).
    code = (
        "import sys;"
        "rare = ('email.utils', 'hmac', 'random', 'urllib.parse', 'ipaddress');"
        "before = {m for m in rare if m in sys.modules};"
        "import cf_gateway_core;"
        "print(sorted(m for m in rare if m in sys.modules and m not in before))"
    )
    assert _fresh_interpreter(code) == "[]"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_adapters_use_only_public_core_names_and_no_sdks() -> None:
    allowed_core = {
        "cf_gateway_core",
        "cf_gateway_core.testing",
        "cf_gateway_core.pydantic_fields",
        "cf_gateway_core.session",
    }
    for package in ("langchain_cf_gateway", "llamaindex_cf_gateway"):
        for path in (ROOT / package).glob("*.py"):
            for name in _imports(path):
                root = name.split(".")[0]
                assert root not in ("openai", "anthropic"), f"{path} imports an SDK: {name}"
                if root == "cf_gateway_core":
                    assert name in allowed_core, f"{path} reaches into the core: {name}"


def test_core_never_imports_frameworks_statically() -> None:
    for path in (ROOT / "cf_gateway_core").rglob("*.py"):
        for name in _imports(path):
            assert name.split(".")[0] not in ("langchain_core", "llama_index"), (path, name)
