"""A loopback-only HTTP/1.1 server with scripted faults, for the reliability tests.

:class:`FaultServer` runs an asyncio socket server on ``127.0.0.1`` in a daemon thread with a
bounded lifetime. Each request takes the next scripted :data:`Action` (or the default one), which
writes whatever it likes on the raw connection: a normal JSON reply, a chunked SSE stream, a
stream cut off before its last chunk, a TCP reset, a stall, garbage bytes. The server counts
connections (opened, closed, open now, peak) and records every request, so tests can assert
retries and connection use *at the server*, not through the client's own bookkeeping.

Also here: :func:`refused_url` (nothing listens) and :func:`blackhole_url` (a listener whose
accept queue is full, so a connect attempt hangs until the client's connect timeout fires).
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import itertools
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Action",
    "Exchange",
    "FaultServer",
    "Recorded",
    "blackhole_url",
    "completion",
    "garbage",
    "hang_up",
    "json_reply",
    "raw_reply",
    "refused_url",
    "reset",
    "sse_chunk",
    "sse_reply",
    "stall",
]

HOST = "127.0.0.1"
API_PREFIX = "/client/v4"
_MAX_HEADER_BYTES = 64 * 1024
_DEFAULT_STALL = 10.0


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class Exchange:
    """One request on one connection; an action replies through it."""

    def __init__(
        self,
        server: FaultServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: Recorded,
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.request = request
        self.aborted = False

    async def send(self, data: bytes) -> None:
        """Write and flush (raises ``ConnectionError`` when the client has gone)."""
        self.writer.write(data)
        await self.writer.drain()

    async def wait_for_client_close(self, limit: float) -> bool:
        """Wait up to ``limit`` seconds for the client to close; True if it did."""
        deadline = time.monotonic() + limit
        while (left := deadline - time.monotonic()) > 0:
            try:
                data = await asyncio.wait_for(self.reader.read(65536), left)
            except asyncio.TimeoutError:
                return False
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self.server.client_disconnects += 1
                return True
        return False

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0)."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.aborted = True


Action = Callable[[Exchange], Awaitable[bool]]
"""Replies to one request; returns whether the connection stays open for the next one."""


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    reason = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def raw_reply(
    status: int,
    content: bytes,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> Action:
    """A complete reply with ``content-length`` (after ``delay`` seconds)."""

    async def action(ex: Exchange) -> bool:
        if delay:
            await asyncio.sleep(delay)
        all_headers = {
            "content-type": content_type,
            "content-length": str(len(content)),
            **(headers or {}),
        }
        await ex.send(_head(status, all_headers) + content)
        return True

    return action


def json_reply(
    body: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> Action:
    """A JSON reply."""
    return raw_reply(status, json.dumps(body).encode(), headers=headers, delay=delay)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def sse_reply(
    frames: Sequence[bytes | str | Mapping[str, Any]],
    *,
    delay: float = 0.0,
    ending: str = "done",
    stall_limit: float = _DEFAULT_STALL,
    headers: Mapping[str, str] | None = None,
) -> Action:
    """A chunked ``text/event-stream`` reply, one HTTP chunk per frame.

    ``ending``: ``done`` (the terminating zero chunk), ``cut`` (close without it: a truncated
    chunked body), ``reset`` (TCP RST) or ``stall`` (send nothing more until the client closes,
    at most ``stall_limit`` seconds).
    """
    encoded = [
        f if isinstance(f, bytes) else (f if isinstance(f, str) else sse_chunk(f)).encode()
        for f in frames
    ]

    async def action(ex: Exchange) -> bool:
        head = {"content-type": "text/event-stream", "transfer-encoding": "chunked"}
        await ex.send(_head(200, {**head, **(headers or {})}))
        for frame in encoded:
            await ex.send(_chunk(frame))
            if delay and await ex.wait_for_client_close(delay):
                return False
        if ending == "done":
            await ex.send(b"0\r\n\r\n")
            return True
        if ending == "reset":
            ex.reset()
        elif ending == "stall":
            await ex.wait_for_client_close(stall_limit)
        return False

    return action


def reset() -> Action:
    """Read the request, then reset the connection before any reply byte."""

    async def action(ex: Exchange) -> bool:
        ex.reset()
        return False

    return action


def hang_up() -> Action:
    """Read the request, then close the connection cleanly (FIN) without replying."""

    async def action(ex: Exchange) -> bool:
        return False

    return action


def stall(limit: float = _DEFAULT_STALL) -> Action:
    """Never reply: wait until the client gives up and closes (at most ``limit`` seconds)."""

    async def action(ex: Exchange) -> bool:
        await ex.wait_for_client_close(limit)
        return False

    return action


def garbage(data: bytes = b"\x00\xffNOT HTTP AT ALL\r\n\r\n") -> Action:
    """Answer with bytes that are not an HTTP response, then close."""

    async def action(ex: Exchange) -> bool:
        await ex.send(data)
        return False

    return action


def sse_chunk(body: Mapping[str, Any], event: str | None = None) -> str:
    """One SSE frame with a JSON body."""
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(body)}\n\n"


def completion(text: str = "ok", **extra: Any) -> dict[str, Any]:
    """A minimal OpenAI chat completion (what ``/ai/v1/chat/completions`` answers)."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-5.5",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        **extra,
    }


class FaultServer:
    """The server; use as a context manager (or ``start()`` / ``stop()``).

    Attributes (read from the test thread):
        requests: every request, in arrival order.
        connections_opened / connections_closed / open_connections / peak_open: TCP connections.
        client_disconnects: times the client closed a connection while an action waited on it.
    """

    def __init__(self, *, lifetime: float = 120.0, backlog: int = 1024) -> None:
        self.lifetime = lifetime
        self.backlog = backlog
        self.default: Action = json_reply(completion())
        self.requests: list[Recorded] = []
        self.connections_opened = 0
        self.connections_closed = 0
        self.peak_open = 0
        self.client_disconnects = 0
        self.port = 0
        self._script: deque[Action] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FaultServer:
        """Start serving; returns once the port is bound."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="fault-server", daemon=True
        )
        self._thread.start()
        if not ready.wait(5.0):
            raise RuntimeError("fault server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10.0)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve(ready))
        finally:
            self._loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(
            self._handle, HOST, 0, backlog=self.backlog, limit=_MAX_HEADER_BYTES
        )
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop.wait(), self.lifetime)
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- scripting and counters ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``base_url`` for the client (plain http is allowed on loopback)."""
        return f"http://{HOST}:{self.port}{API_PREFIX}"

    def script(self, *actions: Action) -> FaultServer:
        """Queue actions for the next requests, in order."""
        with self._lock:
            self._script.extend(actions)
        return self

    def script_times(self, count: int, action: Action) -> FaultServer:
        """Queue the same action ``count`` times."""
        return self.script(*([action] * count))

    @property
    def pending(self) -> int:
        """Scripted actions not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def open_connections(self) -> int:
        """Connections open at the server right now."""
        with self._lock:
            return self.connections_opened - self.connections_closed

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
        """Poll ``predicate`` until true or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.005)
        return predicate()

    def _next_action(self) -> Action:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    # -- connection handling ---------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = next(self._ids)
        with self._lock:
            self.connections_opened += 1
            self.peak_open = max(self.peak_open, self.connections_opened - self.connections_closed)
        aborted = False
        try:
            while True:
                request = await self._read_request(reader, conn)
                if request is None:
                    break
                with self._lock:
                    self.requests.append(request)
                exchange = Exchange(self, reader, writer, request)
                try:
                    keep = await self._next_action()(exchange)
                finally:
                    aborted = exchange.aborted
                if not keep:
                    break
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # shutdown: end the handler quietly (asyncio logs a cancelled handler task)
        finally:
            if not aborted:
                writer.transport.abort()
            with self._lock:
                self.connections_closed += 1
            self._tasks.discard(task)

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader, conn: int) -> Recorded | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Recorded(method, path, headers, body, conn)


def refused_url() -> str:
    """A loopback ``base_url`` where nothing listens (connect is refused at once)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    return f"http://{HOST}:{port}{API_PREFIX}"


@contextlib.contextmanager
def blackhole_url() -> Iterator[str]:
    """A loopback ``base_url`` whose accept queue is full, so new connects hang.

    Linux drops a SYN when the listener's accept queue is full (``tcp_abort_on_overflow=0``), so
    the client's connect timeout is what ends the attempt.
    """
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind((HOST, 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(8):  # fill the queue: stop at the first connect that no longer completes
            filler = socket.socket()
            filler.settimeout(0.2)
            fillers.append(filler)
            try:
                filler.connect((HOST, port))
            except OSError:
                break
        yield f"http://{HOST}:{port}{API_PREFIX}"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
