"""Layering: the core imports no framework; adapters talk to the core only through its API."""

from __future__ import annotations

import ast
import re
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
        "cf_gateway_core.calls",
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


def _import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the three packages it imports (anywhere in the file, including
    function-level and TYPE_CHECKING imports: each is a dependency a reader has to follow)."""
    root = Path(__file__).resolve().parent.parent
    modules: dict[str, Path] = {}
    for package in ("cf_gateway_core", "langchain_cf_gateway", "llamaindex_cf_gateway"):
        for path in (root / package).rglob("*.py"):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                subs = {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
                graph[name].update(subs)
                if len(subs) < len(node.names):  # names taken from the module itself
                    graph[name].add(node.module)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_in_the_three_packages() -> None:
    assert _cycles(_import_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _layers() -> dict[str, int]:
    """Core module -> its row in docs/architecture.md's layer table (0 is the top row)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("from the bottom up", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    layers: dict[str, int] = {}
    for row, line in enumerate(rows):
        for name in re.findall(r"`([^`]+)`", line.split("|")[2]):
            stem = name.removesuffix(".py").removesuffix("/*").removesuffix("/")
            layers[f"cf_gateway_core.{stem.replace('/', '.')}"] = row
    return layers


def _layer_of(module: str, layers: dict[str, int]) -> int | None:
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        if ".".join(parts[:end]) in layers:
            return layers[".".join(parts[:end])]
    return None


def test_core_modules_import_only_their_layer_or_the_layers_above() -> None:
    layers = _layers()
    assert len(layers) > 20  # the table was found and read
    graph = _import_graph()
    core = [name for name in graph if name.startswith("cf_gateway_core.")]
    unplaced = sorted(
        name
        for name in core
        if _layer_of(name, layers) is None and name != "cf_gateway_core._version"
    )
    assert unplaced == [], "modules missing from docs/architecture.md's layer table"
    upward = []
    for name in core:
        mine = _layer_of(name, layers)
        for target in graph[name]:
            theirs = _layer_of(target, layers)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{name} -> {target}")
    assert sorted(upward) == []
