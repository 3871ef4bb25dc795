"""One I/O object per running event loop, safe across threads, closed when its loop shuts down.

An async client may be used from several event loops: consecutive ``asyncio.run()`` calls, or
threads that each run their own loop. Connections belong to the loop that opened them, so each
loop gets its own I/O object (an aiohttp session or an httpx client).

Each one is closed *while its loop still runs*: a small async generator, parked at its first
``yield``, is registered with the loop's async-generator hooks; ``asyncio.run()`` (and
``asyncio.Runner``) close every such generator in ``loop.shutdown_asyncgens()`` before closing
the loop, and the generator's ``finally`` closes the I/O object. So a finished ``asyncio.run()``
leaves no open socket and aiohttp logs no "Unclosed client session". A loop closed without that
shutdown step has its entry dropped (and the object marked closed) on the next lookup.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from cf_gateway_core._lazy import LazyModule

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = LazyModule("asyncio", globals())

__all__ = ["LoopIO", "PerLoop"]


class LoopIO(Protocol):
    """What the table needs of an I/O object."""

    async def aclose(self) -> None:
        """Close it (inside its loop)."""

    def abandon(self) -> None:
        """Give it up after its loop closed without closing it."""


IO = TypeVar("IO", bound=LoopIO)


class PerLoop(Generic[IO]):
    """The I/O object of the running event loop, made by ``factory`` on first use."""

    def __init__(self, factory: Callable[[], IO]) -> None:
        """Make objects with ``factory`` (called inside the loop they serve)."""
        self._factory = factory
        self._lock = threading.Lock()
        # A plain dict, not a WeakKeyDictionary: the objects reference their loop, so a weak key
        # would never die. Entries leave when their loop shuts down (or is found closed).
        self._entries: dict[asyncio.AbstractEventLoop, tuple[IO, AsyncGenerator[None, None]]] = {}

    async def get(self) -> IO:
        """The running loop's object (created, and registered for closing, on first use)."""
        loop = asyncio.get_running_loop()
        entry = self._entries.get(loop)
        if entry is not None:
            return entry[0]
        with self._lock:
            entry = self._entries.get(loop)
            if entry is None:
                self._drop_closed_loops()
                io = self._factory()
                entry = self._entries[loop] = (io, self._close_at_shutdown(loop, io))
            else:
                return entry[0]
        await entry[1].__anext__()  # registers it with this loop's shutdown_asyncgens()
        return entry[0]

    async def aclose(self) -> None:
        """Close the running loop's object now (other loops' objects close with their loops)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._entries.pop(loop, None)
            self._drop_closed_loops()
        if entry is not None:
            await entry[1].aclose()

    def _drop_closed_loops(self) -> None:
        # Called with the lock held.
        for loop in [loop for loop in self._entries if loop.is_closed()]:
            io, _ = self._entries.pop(loop)
            io.abandon()

    async def _close_at_shutdown(
        self, loop: asyncio.AbstractEventLoop, io: IO
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                if self._entries.get(loop, (None,))[0] is io:
                    del self._entries[loop]
            await io.aclose()
