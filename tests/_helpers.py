"""What the adapter tests share: an adapter's stream converter driven as the adapter drives it."""

from __future__ import annotations

import selectors
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from cf_gateway_core import ChatResponse, GatewayMetadata, StreamAccumulator, StreamEvent

T = TypeVar("T")


def run_stream(
    events: Iterable[StreamEvent],
    on_event: Callable[[StreamEvent], T | None],
    final: Callable[[ChatResponse], T],
    *,
    gateway: GatewayMetadata | None = None,
) -> tuple[list[T], ChatResponse]:
    """Feed ``events`` to a converter and a :class:`StreamAccumulator` side by side.

    Returns what ``on_event`` yielded (``None`` skipped) followed by ``final`` of the folded reply,
    and the folded reply itself.
    """
    accumulator = StreamAccumulator(gateway=gateway)
    out: list[T] = []
    for event in events:
        accumulator.add(event)
        item = on_event(event)
        if item is not None:
            out.append(item)
    response = accumulator.result()
    out.append(final(response))
    return out, response


# Starts the rest of its argv with SIGINT ignored, as a shell's background job or some CI runners
# start processes (the ignore is inherited across exec).
_SIGINT_IGNORED = (
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN);"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])",
)


def cli_argv(*args: str, sigint_ignored: bool = False) -> list[str]:
    """The argv of ``cf-gateway ARGS`` (as ``python -m cf_gateway_core.cli``), optionally started
    with SIGINT ignored."""
    launcher = _SIGINT_IGNORED if sigint_ignored else ()
    return [sys.executable, *launcher, "-m", "cf_gateway_core.cli", *args]


@contextmanager
def emulator_process(*flags: str, wait: float = 30.0) -> Iterator[str]:
    """Run ``cf-gateway emulator --port 0 --quiet`` in its own process; yield its base URL."""
    proc = subprocess.Popen(
        cli_argv("emulator", "--port", "0", "--quiet", *flags),
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            assert selector.select(wait), "the emulator printed nothing in time"
        url = proc.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
