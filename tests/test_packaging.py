"""What a user installs: the wheel and sdist (license, metadata, README's wheel name), and the
messages that name a missing extra in both install forms."""

from __future__ import annotations

import email
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from cf_gateway_core import __version__

ROOT = Path(__file__).resolve().parents[1]
WHEEL = f"cf_gateway-{__version__}-py3-none-any.whl"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist, built by the project's backend without network access."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.mark.slow
def test_wheel_carries_the_license_and_metadata(dist: Path) -> None:
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")
    with zipfile.ZipFile(dist / WHEEL) as wheel:
        info = f"cf_gateway-{__version__}.dist-info"
        assert wheel.read(f"{info}/licenses/LICENSE").decode() == license_text
        metadata = email.message_from_bytes(wheel.read(f"{info}/METADATA"))
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier")
    for wanted in (
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3.10",
        "Development Status :: 4 - Beta",
        "Framework :: Pydantic :: 2",
    ):
        assert wanted in classifiers
    assert metadata["Requires-Python"] == ">=3.10"
    assert "cf-gateway = cf_gateway_core.cli:main" in entry_points


@pytest.mark.slow
def test_sdist_carries_the_license(dist: Path) -> None:
    with tarfile.open(dist / f"cf_gateway-{__version__}.tar.gz") as sdist:
        names = sdist.getnames()
        member = sdist.extractfile(f"cf_gateway-{__version__}/LICENSE")
        assert member is not None
        assert member.read().decode() == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert f"cf_gateway-{__version__}/README.md" in names
    # the sdist ships tests/scale/test_ray.py, which runs this example
    assert f"cf_gateway-{__version__}/examples/ray_batch.py" in names


def test_readme_names_the_wheel_that_is_built() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"dist/(cf_gateway-[^\"\[]+\.whl)", readme) == [WHEEL]


def _import_error(module: str, hide: str) -> str:
    code = (
        f"import sys; sys.modules[{hide!r}] = None\n"
        f"try:\n    import {module}\nexcept ImportError as exc:\n    print(exc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize(
    ("module", "hide", "extra"),
    [
        ("langchain_cf_gateway", "langchain_core", "langchain"),
        ("llamaindex_cf_gateway", "llama_index", "llamaindex"),
    ],
)
def test_missing_extra_names_both_install_forms(module: str, hide: str, extra: str) -> None:
    message = _import_error(module, hide)
    assert f'pip install -e ".[{extra}]"' in message
    assert f'pip install "cf-gateway[{extra}]"' in message


def _lower_bounds() -> dict[str, str]:
    """Package -> lower bound (``>=``), from pyproject's dependencies and extras."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return dict(re.findall(r'"([a-z][a-z0-9-]*)>=([0-9][0-9.]*)[,"]', text))


def test_lowest_versions_run_pins_the_declared_lower_bounds() -> None:
    pins = dict(
        re.findall(
            r"^([a-z][a-z0-9-]*)==([0-9.]+)$",
            (ROOT / ".ci" / "lowest.txt").read_text(encoding="utf-8"),
            flags=re.MULTILINE,
        )
    )
    assert set(pins) >= {"langchain-core", "llama-index-core", "httpx", "pydantic"}
    bounds = _lower_bounds()
    for package, version in pins.items():
        declared = bounds[package].split(".")
        pinned = version.split(".")
        assert pinned[: len(declared)] == declared, f"{package}: {version} vs >={bounds[package]}"


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run installs and runs the suite as README.md's test command says, in both of its
    virtualenvs, and fails a run that collects no tests."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"Run the test suite:\n\n```bash\n(.+)\n```", readme)
    assert found, "README.md shows the test command under 'Run the test suite:'"
    *_, install, test = (part.strip() for part in found.group(1).split("&&"))
    assert install.startswith("pip install ") and test.startswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.count(install.removeprefix("pip install ")) == 2  # the main and lowest venvs
    assert f"\nrun_pytest {test}\n" in ci
    assert f'\nrun_pytest "$LOW_VENV/bin/python" -m {test}\n' in ci
    assert '"$status" -eq 5' in ci
