"""The tutorial notebooks: built from their sources, stored without outputs, run offline.

Each ``notebooks/NN_*.ipynb`` is generated from its jupytext percent-format source
``notebooks/NN_*.py`` by ``python notebooks/build.py``; the committed file must equal the build,
carry no outputs, and run top to bottom offline (each starts the local emulator itself when no
credentials are set).

The kernel inherits ``os.environ``, which the autouse ``clean_environ`` fixture has already
scrubbed of ``CLOUDFLARE_*`` variables, so these runs never reach the real gateway.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
EXPECTED = [
    "01_langchain_quickstart.ipynb",
    "02_llamaindex_quickstart.ipynb",
    "03_gateway_features.ipynb",
    "04_beyond_chat.ipynb",
    "05_content.ipynb",
]
CELL_TIMEOUT = 60
# Cell metadata that front-ends add when a notebook is run or viewed; none belongs in the repo.
RUNTIME_METADATA = frozenset({"execution", "collapsed", "scrolled", "jupyter", "tags"})


def _ids(path: Path) -> str:
    return path.stem


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stream_text(cell: nbformat.NotebookNode, name: str) -> str:
    return "".join(
        out.get("text", "")
        for out in cell.get("outputs", [])
        if out.output_type == "stream" and out.name == name
    )


def test_notebooks_all_present() -> None:
    assert [path.name for path in PATHS] == EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_notebook_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, "no widget state or other extras"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for number, cell in enumerate(nb.cells):
        where = f"{path.name} cell {number}"
        assert not RUNTIME_METADATA & set(cell.metadata), where
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{where} has outputs: run notebooks/build.py"
            assert cell.execution_count is None, where


def test_every_notebook_has_a_percent_format_source() -> None:
    builder = _load_builder()
    sources = builder.sources()
    assert [path.name for path in sources] == [name.replace(".ipynb", ".py") for name in EXPECTED]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        assert "# %% [markdown]\n" in text and "\n# %%\n" in text, source.name
        cells = builder.notebook(source).cells
        assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), source.name


def test_notebooks_match_their_sources() -> None:
    built = _load_builder().build()
    assert sorted(built) == EXPECTED
    for name, text in built.items():
        stored = (NOTEBOOKS / name).read_text(encoding="utf-8")
        source = name.replace(".ipynb", ".py")
        assert stored == text, (
            f"{name} differs from notebooks/{source}: run python notebooks/build.py, commit both"
        )


def test_notebook_build_follows_each_source_cell(tmp_path: Path) -> None:
    """The builder reads cells from the source, so a changed source changes the notebook."""
    builder = _load_builder()
    source = tmp_path / "99_probe.py"
    source.write_text(
        "# %% [markdown]\n# # Probe\n#\n# Some *text*.\n\n# %%\nx = 1\nx\n\n# %%\nprint(x)\n",
        encoding="utf-8",
    )
    nb = builder.notebook(source)
    assert [(cell.cell_type, cell.source, cell.id) for cell in nb.cells] == [
        ("markdown", "# Probe\n\nSome *text*.", "cell-00"),
        ("code", "x = 1\nx", "cell-01"),
        ("code", "print(x)", "cell-02"),
    ]
    assert nb.metadata == builder.METADATA
    assert all(cell.metadata == {} for cell in nb.cells)
    assert all(cell.outputs == [] for cell in nb.cells if cell.cell_type == "code")


_EXECUTED: dict[str, nbformat.NotebookNode] = {}


def _executed(name: str) -> nbformat.NotebookNode:
    """The notebook run top to bottom offline (once per test session)."""
    if name not in _EXECUTED:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        client = NotebookClient(
            nb,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        )
        client.execute()  # raises CellExecutionError on the first failing cell
        _EXECUTED[name] = nb
    return _EXECUTED[name]


def _output_of(name: str, marker: str) -> str:
    """All a reader sees under the one code cell whose source is, or else contains, ``marker``."""
    code = [cell for cell in _executed(name).cells if cell.cell_type == "code"]
    cells = [cell for cell in code if cell.source.strip() == marker.strip()]
    cells = cells or [cell for cell in code if marker in cell.source]
    assert len(cells) == 1, f"{name}: {len(cells)} cells contain {marker!r}"
    shown = [_stream_text(cells[0], "stdout")]
    for out in cells[0].get("outputs", []):
        if out.output_type in ("execute_result", "display_data"):
            shown.append(out.data.get("text/plain", ""))
    return "".join(shown)


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_notebook_runs_offline_top_to_bottom(path: Path) -> None:
    nb = _executed(path.name)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "running offline" in _stream_text(code_cells[0], "stdout")
    for number, cell in enumerate(code_cells):
        # A warning or traceback printed at the reader is a bug, even when the cell succeeds.
        assert _stream_text(cell, "stderr") == "", f"{path.name} code cell {number}"


@pytest.mark.slow
def test_unknown_model_demos_name_a_really_unknown_model() -> None:
    shown = _output_of(
        "03_gateway_features.ipynb", '("error code=7003", "example/no-such-model"),  #'
    )
    assert "Model not found: example/no-such-model" in shown
    assert "openai/gpt-5.5" not in shown.split("NotFoundError")[1]
    handled = _output_of("03_gateway_features.ipynb", "except SpendLimitError:")
    assert "unknown model: Model not found: example/no-such-model" in handled
    li = _output_of("03_gateway_features.ipynb", "li_fake.complete(")
    assert "example/no-such-model" in li


@pytest.mark.slow
def test_near_miss_model_names_get_did_you_mean() -> None:
    shown = _output_of("03_gateway_features.ipynb", 'for typo in ["anthropic/claude-haiku-4-5"')
    assert "did you mean 'anthropic/claude-haiku-4.5'?" in shown
    assert "Did you mean 'openai/gpt-5.5'?" in shown


@pytest.mark.slow
def test_each_request_has_its_own_log_id() -> None:
    shown = _output_of(
        "03_gateway_features.ipynb", '("error code=7003", "example/no-such-model"),  #'
    )
    log_ids = re.findall(r"\(log_id ([^)]+)\)", shown)
    assert len(log_ids) == 3 and len(set(log_ids)) == 3, log_ids
    langchain = _output_of("03_gateway_features.ipynb", 'reply.response_metadata["gateway"]')
    llamaindex = _output_of("03_gateway_features.ipynb", "li_llm.complete(")
    ids = [re.search(r"'log_id': '([^']+)'", text) for text in (langchain, llamaindex)]
    assert all(ids) and ids[0].group(1) != ids[1].group(1)


@pytest.mark.slow
def test_structured_output_reads_the_prompt() -> None:
    shown = _output_of("01_langchain_quickstart.ipynb", "extract.invoke(")
    assert shown.strip() == "City(name='Lisbon', country='Portugal')"


@pytest.mark.slow
def test_content_notebook_shows_caching_documents_tool_images_and_server_tools() -> None:
    name = "05_content.ipynb"
    caching = _output_of(name, "first = claude.invoke([question])")
    assert "first call:  {'cache_creation': 402, 'cache_read': 0}" in caching
    assert "second call: {'cache_creation': 0, 'cache_read': 402}" in caching
    documents = _output_of(name, "pdf = base64.b64encode(")
    assert "sent block: document" in documents
    assert "citations: ['Report']" in documents
    assert "Responses part: input_file" in documents
    images = _output_of(name, "gpt_responses.invoke(history)")
    assert "sent: input_image" in images
    assert "GatewayConfigError" in images and "'chat_completions'" in images
    tools = _output_of(name, "search = claude.bind_tools(")
    assert "blocks: ['server_tool_use', 'web_search_tool_result'" in tools
    assert "sent back: ['server_tool_use', 'web_search_tool_result'" in tools
