"""Import time and peak RSS, each measured in fresh interpreters.

``python footprint.py TARGET ROOT`` is the child of the RSS scenario: it imports, builds and
calls one client (or a baseline) against the fake server at ``ROOT`` and prints its ``VmHWM``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import floors
import rows  # imported by every probe alike, baselines included (_probe says why)
from harness import Series, shuffled

# --------------------------------------------------------------------------- fresh interpreters

_IMPORT_CODE = (
    "{pre}\nimport time\nt = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t)\n"
)
AFTER = "after its framework: "

# Fresh interpreters run as a user's would: writing byte-code caches. A PYTHONDONTWRITEBYTECODE
# in the caller's environment would leave this editable checkout without .pyc files (pip
# compiles the installed peers and frameworks), so every timed import of ours would include
# compiling its source.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time_import(target: tuple[str, str]) -> float:
    pre, stmt = target
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_CODE.format(pre=pre, stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        env=CHILD_ENV,
    )
    return float(out.stdout.strip().splitlines()[-1])


def scenario_import(targets: dict[str, tuple[str, str]], repeats: int) -> dict[str, Series]:
    """Import time of each statement in a fresh interpreter (after ``pre``, untimed, when given:
    the marginal cost beyond the framework), interleaved, after one warm-up."""
    results = {name: Series() for name in targets}
    items = list(targets.items())
    started = time.perf_counter()
    for name, stmt in items:  # warm-up: byte-code caches written, files in the page cache
        try:
            _time_import(stmt)
        except subprocess.CalledProcessError as exc:
            results[name].error = f"failed: {exc.stderr.strip().splitlines()[-1][:140]}"
    for round_no in range(repeats):
        for name, stmt in shuffled(items, round_no):
            if not results[name].error:
                results[name].add(round_no, _time_import(stmt))
    print(f"  import: {time.perf_counter() - started:.1f} s", flush=True)
    return results


PROBE_BASELINES: dict[str, str] = {
    "bare python (runner modules only)": "",
    "httpx floor call": "floor",
    "langchain framework: GenericFakeChatModel.invoke + httpx floor call": "langchain",
    "llamaindex framework: MockLLM.chat + httpx floor call": "llamaindex",
}


def _probe(target: str, root: str) -> None:
    """Child process: import + build + one call, then print VmHWM in KiB. Every probe, baseline
    or row, has imported the same runner modules before it starts (this module's imports:
    ``floors``, ``rows`` with every row module, ``harness``), so a row's peak beyond its
    baseline holds only what the row itself loads and allocates."""
    if target in ("floor", "langchain", "llamaindex"):
        if target == "langchain":
            from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

            GenericFakeChatModel(messages=iter(["hi"])).invoke("hi")
        elif target == "llamaindex":
            from llama_index.core.llms import ChatMessage, MockLLM

            MockLLM().chat([ChatMessage(role="user", content="hi")])
        floors.Floor(root, "chat_completions").invoke()
    elif target:
        client = next(c for c in rows.all_clients() if c.name == target)
        client.invoke(client.build(root))
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]))
            return


def scenario_rss(names: list[str], root: str, repeats: int) -> dict[str, Series]:
    """Peak RSS (VmHWM, MiB) after import + build + one call, each in a fresh interpreter."""
    targets = {**PROBE_BASELINES, **{n: n for n in names}}
    results = {name: Series() for name in targets}
    started = time.perf_counter()
    for round_no in range(repeats):
        for label, target in shuffled(list(targets.items()), round_no):
            if results[label].error:
                continue
            out = subprocess.run(
                [sys.executable, __file__, target, root],
                capture_output=True,
                text=True,
                env=CHILD_ENV,
            )
            if out.returncode != 0:
                results[label].error = "failed: " + out.stderr.strip().splitlines()[-1][:140]
                continue
            results[label].add(round_no, int(out.stdout.strip().splitlines()[-1]) / 1024)
    print(f"  rss: {time.perf_counter() - started:.1f} s", flush=True)
    return results


if __name__ == "__main__":
    _probe(sys.argv[1], sys.argv[2])
