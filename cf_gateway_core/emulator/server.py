"""The emulator as a real local HTTP server (standard library ``http.server``).

Every request goes to a :class:`~cf_gateway_core.testing.FakeGateway` (``reply_for``), so queued
replies, recorded requests and the deterministic default replies work exactly as with the
in-process ``httpx.MockTransport``. JSON replies are sent with ``Content-Length``; SSE replies
frame by frame with chunked transfer encoding; connections are kept alive (HTTP/1.1). A queued
exception (``fake.queue_exception(...)``) drops the connection without a reply. Requests are
logged at INFO on the ``cf_gateway.emulator`` logger as method, path and status — never headers.

Use it from the command line (``cf-gateway emulator --port 8787``), or from Python::

    with run_in_thread() as emulator:        # an ephemeral port on 127.0.0.1
        client = GatewayClient(account_id="acct", api_token="any", base_url=emulator.base_url)
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import NamedTuple

from cf_gateway_core.emulator.exchange import Reply
from cf_gateway_core.testing._fake import FakeGateway

__all__ = ["EmulatorServer", "RunningEmulator", "make_server", "run_in_thread", "serve"]

logger = logging.getLogger("cf_gateway.emulator")

API_PREFIX = "/client/v4"
"""Path prefix of the API, as on ``api.cloudflare.com``."""
_HOP_BY_HOP = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})
_FRAME_END = re.compile(rb"(?<=\n\n)|(?<=\r\n\r\n)")
_IDLE_TIMEOUT = 60.0
_POLL_INTERVAL = 0.05
_JOIN_TIMEOUT = 5.0


def _frames(body: bytes) -> list[bytes]:
    """SSE body split after each blank line, so each frame goes out as it would live."""
    return [piece for piece in _FRAME_END.split(body) if piece]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
    timeout = _IDLE_TIMEOUT
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def _serve(self) -> None:
        content = self._read_body()
        if content is None:
            return
        host, port = self.server.host_and_port
        url = f"http://{host}:{port}{self.path}"
        try:
            reply = self.server.fake.reply_for(self.command, url, dict(self.headers), content)
        except Exception as exc:  # a bug must not kill the connection thread silently
            logger.exception("emulator failed on %s %s", self.command, self.path)
            reply = Reply.error(500, message=f"emulator error: {type(exc).__name__}: {exc}")
        if reply.exception is not None:
            self.close_connection = True  # a scripted transport failure: no reply at all
            return
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self.send_error(411, "Length Required: send a Content-Length body")
            return None
        length = self.headers.get("content-length") or "0"
        if not (length.isascii() and length.isdigit()):
            self.send_error(400, "Bad Content-Length")
            return None
        return self.rfile.read(int(length)) if int(length) else b""

    def _write(self, reply: Reply) -> None:
        headers = {k.lower(): v for k, v in reply.headers.items()}
        stream = headers.get("content-type", "").startswith("text/event-stream")
        self.send_response(reply.status)
        for name, value in headers.items():
            if name not in _HOP_BY_HOP:
                self.send_header(name, value)
        if not stream:
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for frame in _frames(reply.body):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            self.wfile.flush()
            if self.server.chunk_delay:
                time.sleep(self.server.chunk_delay)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        # The request line holds method and path only: no token ever reaches the log.
        logger.info("%s - %s", self.address_string(), format % args)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server answering from a :class:`FakeGateway`.

    Args:
        address: ``(host, port)``; port 0 picks a free port (see :attr:`base_url`).
        fake: the gateway double to answer from (a fresh one when ``None``).
        chunk_delay: seconds to wait between SSE frames (to watch a stream arrive).
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], fake: FakeGateway | None = None, chunk_delay: float = 0.0
    ) -> None:
        """Bind and listen (serving starts with ``serve_forever``)."""
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.fake = fake if fake is not None else FakeGateway()
        self.chunk_delay = chunk_delay
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def host_and_port(self) -> tuple[str, int]:
        """The bound host (as reachable by a client) and port."""
        host, port = str(self.server_address[0]), int(self.server_address[1])
        wildcard = {"0.0.0.0": "127.0.0.1", "::": "::1"}
        return wildcard.get(host, host), port

    @property
    def base_url(self) -> str:
        """``http://host:port/client/v4``: the ``base_url`` (or ``CLOUDFLARE_API_BASE_URL``)."""
        host, port = self.host_and_port
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{API_PREFIX}"

    def track(self, connection: socket.socket, *, add: bool) -> None:
        """Remember open connections so :meth:`close_connections` can end idle keep-alives."""
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open connection (their handler threads then finish)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def make_server(
    fake: FakeGateway | None = None,
    host: str = "127.0.0.1",
    port: int = 8787,
    *,
    chunk_delay: float = 0.0,
) -> EmulatorServer:
    """Bind an :class:`EmulatorServer` (not serving yet); ``port=0`` picks a free port."""
    return EmulatorServer((host, port), fake, chunk_delay)


def serve(
    fake: FakeGateway | None = None,
    host: str = "127.0.0.1",
    port: int = 8787,
    *,
    chunk_delay: float = 0.0,
    ready: Callable[[EmulatorServer], None] | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C (``KeyboardInterrupt`` ends it cleanly).

    Args:
        fake: the gateway double to answer from (a fresh one when ``None``).
        host: interface to bind (loopback by default).
        port: TCP port; 0 picks a free one.
        chunk_delay: seconds between SSE frames.
        ready: called with the bound server before serving (e.g. to print its ``base_url``).
    """
    server = make_server(fake, host, port, chunk_delay=chunk_delay)
    try:
        if ready is not None:
            ready(server)
        server.serve_forever(poll_interval=_POLL_INTERVAL)
    except KeyboardInterrupt:
        pass
    finally:
        server.close_connections()
        server.server_close()


class RunningEmulator(NamedTuple):
    """A server running in a background thread: unpack as ``(base_url, stop)`` or use ``with``."""

    base_url: str
    stop: Callable[[], None]

    def __enter__(self) -> RunningEmulator:
        """The running emulator."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()


def run_in_thread(
    fake: FakeGateway | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    chunk_delay: float = 0.0,
) -> RunningEmulator:
    """Start the emulator in a daemon thread; ``stop()`` (idempotent) shuts it down.

    Returns:
        ``(base_url, stop)``, also a context manager that stops the server on exit.
    """
    server = make_server(fake, host, port, chunk_delay=chunk_delay)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL_INTERVAL},
        name=f"cf-gateway-emulator:{server.host_and_port[1]}",
        daemon=True,
    )
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(_JOIN_TIMEOUT)

    return RunningEmulator(server.base_url, stop)
