"""A fast local fake of Cloudflare AI Gateway for the benchmarks (127.0.0.1 only).

Every reply is precomputed bytes: the server parses the request line and ``Content-Length``,
looks at the body only for a few byte markers (``"stream": true``, a tool result, tool
definitions) and writes the prepared response. HTTP/1.1 with keep-alive, on a raw asyncio
``Protocol`` (no framework), so that it costs a few tens of microseconds of CPU per request and is
never the bottleneck. It measures its own CPU time: ``GET /__stats`` answers
``{"requests": n, "cpu_s": …}`` and the runner prints the server's CPU per request beside every
scenario.

Paths answered (any account id, any gateway id):

- ``POST /client/v4/accounts/{id}/ai/v1/chat/completions``   OpenAI Chat JSON / SSE
- ``POST /client/v4/accounts/{id}/ai/v1/messages``           Anthropic Messages JSON / SSE
- ``POST /client/v4/accounts/{id}/ai/run/@cf/...``           Workers AI v4 envelope / native SSE
- ``POST /client/v4/accounts/{id}/ai/v1/embeddings``         OpenAI embeddings list
- ``POST /v1/{account}/{gateway}``                           universal endpoint (OpenAI JSON)

A body with ``"stream": true`` gets ``--chunks`` text frames (default 1000), sent the way the
gateway sends them: ``Transfer-Encoding: chunked``, **one SSE event per HTTP chunk**, each chunk
its own write (the loop yields between events, so they leave as separate TCP segments whenever
the client keeps up). Under the path prefix ``/paced`` (a client whose base URL starts with
``http://127.0.0.1:PORT/paced``) a stream has ``--paced-chunks`` events spaced ``--pace-ms``
apart, as a model producing tokens would send them. A Chat Completions stream carries usage as
OpenAI's does: only when the request sets ``"stream_options": {"include_usage": true}`` (then
every chunk has ``"usage": null`` and a last chunk the usage); otherwise no chunk has the field.
A body with tool definitions and no tool result gets one tool call (``get_weather``); otherwise a
short text reply.

The reply bodies and stream events themselves are built in ``fake_bodies.py``; this module frames
and sends them.

Run: ``python benchmarks/fake_server.py [--port 0] [--chunks 1000] [--paced-chunks 200]
[--pace-ms 1]``; it prints ``PORT <n>`` on stdout once listening and stops when its standard
input closes (so it never outlives the runner).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_bodies as B

# What a real gateway adds to every reply (docs/wire-notes.md §3.2); clients read these.
GATEWAY_HEADERS = (
    b"cf-aig-log-id: 01JBENCHMARKLOGID0000000000\r\ncf-aig-cache-status: MISS\r\ncf-aig-step: 0\r\n"
)

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_TOOL_RESULT_RE = re.compile(rb'"role"\s*:\s*"tool"|"tool_result"')
_TOOLS_RE = re.compile(rb'"tools"\s*:\s*\[\s*\{')
_USAGE_RE = re.compile(rb'"include_usage"\s*:\s*true')


def _http(body: bytes, content_type: bytes, status: bytes = b"200 OK") -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"content-type: " + content_type + b"\r\n"
        b"content-length: "
        + str(len(body)).encode()
        + b"\r\n"
        + GATEWAY_HEADERS
        + b"connection: keep-alive\r\n\r\n"
        + body
    )


def _json(value: Any) -> bytes:
    return _http(B.dumps(value), b"application/json")


SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"transfer-encoding: chunked\r\n" + GATEWAY_HEADERS + b"connection: keep-alive\r\n\r\n"
)
SSE_END = b"0\r\n\r\n"


def _sse(frames: list[bytes]) -> list[bytes]:
    """The stream's writes: the head, then one HTTP chunk per SSE event (the last with the
    terminating zero-length chunk)."""
    chunks = [b"%x\r\n%s\r\n" % (len(frame), frame) for frame in frames]
    chunks[-1] += SSE_END
    return [SSE_HEAD, *chunks]


# --------------------------------------------------------------------------- the server


PACED = b"/paced"


class Replies:
    """All reply bytes, computed once: ``table[api][kind]`` with kind text/tool, the streams
    ``stream[api][usage]`` and the paced streams ``paced[api][usage]`` (``usage``: whether the
    request set ``stream_options.include_usage``; only Chat Completions streams differ)."""

    def __init__(self, chunks: int, paced_chunks: int, pace_s: float) -> None:
        self.table: dict[str, dict[str, Any]] = {}
        self.stream: dict[str, dict[bool, list[bytes]]] = {}
        self.paced: dict[str, dict[bool, list[bytes]]] = {}
        for api, (text, tool, frames) in B.BODIES.items():
            self.table[api] = {"text": _json(text()), "tool": _json(tool())}
            self.stream[api] = {usage: _sse(frames(chunks, usage)) for usage in (False, True)}
            self.paced[api] = {usage: _sse(frames(paced_chunks, usage)) for usage in (False, True)}
        self.pace_s = pace_s
        self.embeddings = _json(B.embeddings())
        self.not_found = _http(
            B.dumps({"success": False, "errors": [{"code": 7000, "message": "No route"}]}),
            b"application/json",
            b"404 Not Found",
        )
        self.started_cpu = time.process_time()
        self.requests = 0

    def api(self, path: bytes) -> str | None:
        path = path.split(b"?", 1)[0]
        if path.endswith(b"/chat/completions"):
            return "openai"
        if path.endswith(b"/messages"):
            return "anthropic"
        if b"/ai/run" in path:
            return "run"
        if path.startswith(b"/v1/") and path.count(b"/") == 3:
            return "openai"  # the universal endpoint answers with the provider's own body
        return None

    def reply(self, method: bytes, path: bytes, body: bytes) -> tuple[Any, float]:
        """The reply (bytes, or a stream's list of writes) and the pause between events."""
        if method == b"GET" and path.startswith(b"/__stats"):
            cpu = time.process_time() - self.started_cpu
            return _json({"requests": self.requests, "cpu_s": cpu}), 0.0
        self.requests += 1
        paced = path.startswith(PACED + b"/")
        if paced:
            path = path[len(PACED) :]
        if path.endswith(b"/embeddings"):
            return self.embeddings, 0.0
        api = self.api(path)
        if api is None:
            return self.not_found, 0.0
        if _STREAM_RE.search(body):
            usage = _USAGE_RE.search(body) is not None
            if paced:
                return self.paced[api][usage], self.pace_s
            return self.stream[api][usage], 0.0
        replies = self.table[api]
        if _TOOLS_RE.search(body) and not _TOOL_RESULT_RE.search(body):
            return replies["tool"], 0.0
        return replies["text"], 0.0


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive; ``Content-Length`` or chunked request bodies; a stream is written
    event by event (the next request on the connection waits until it has ended)."""

    __slots__ = ("buffer", "replies", "streaming", "task", "transport")

    def __init__(self, replies: Replies) -> None:
        self.replies = replies
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.streaming = False
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.streaming:
            self.serve()

    def serve(self) -> None:
        buffer = self.buffer
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            body_start = end + 4
            if b"\r\ntransfer-encoding: chunked" in head:
                parsed = _dechunk(buffer, body_start)
                if parsed is None:
                    return
                body, total = parsed
            else:
                length = 0
                at = head.find(b"\r\ncontent-length:")
                if at >= 0:
                    stop = head.find(b"\r\n", at + 2)
                    length = int(head[at + 17 : stop if stop >= 0 else None])
                total = body_start + length
                if len(buffer) < total:
                    return
                body = bytes(buffer[body_start:total])
            del buffer[:total]
            method, path, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            transport = self.transport
            assert transport is not None
            reply, pace = self.replies.reply(method.upper(), path, body)
            close = b"\r\nconnection: close" in head
            if isinstance(reply, list):
                self.streaming = True
                self.task = asyncio.ensure_future(self.stream(reply, pace, close))
                return
            transport.write(reply)
            if close:
                transport.close()
                return

    async def stream(self, writes: list[bytes], pace: float, close: bool) -> None:
        """One write per event; between events, a pause (paced) or one turn of the loop."""
        transport = self.transport
        assert transport is not None
        transport.write(writes[0])
        for chunk in writes[1:]:
            await asyncio.sleep(pace)
            if transport.is_closing():
                return  # the client went away mid-stream
            transport.write(chunk)
        self.streaming = False
        if close:
            transport.close()
        elif self.buffer:
            self.serve()


def _dechunk(buffer: bytearray, at: int) -> tuple[bytes, int] | None:
    pieces: list[bytes] = []
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        start = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n", start)
            return (b"".join(pieces), trailer_end + 2) if trailer_end >= 0 else None
        if len(buffer) < start + size + 2:
            return None
        pieces.append(bytes(buffer[start : start + size]))
        at = start + size + 2


async def serve(port: int, chunks: int, paced_chunks: int, pace_s: float) -> None:
    """Listen on 127.0.0.1:port until standard input closes."""
    loop = asyncio.get_running_loop()
    replies = Replies(chunks, paced_chunks, pace_s)
    server = await loop.create_server(
        lambda: HTTPProtocol(replies), "127.0.0.1", port, backlog=4096, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stdin_closed = loop.create_future()

    def _watch_stdin() -> None:
        sys.stdin.buffer.read()  # returns at EOF: the parent has gone
        loop.call_soon_threadsafe(stdin_closed.set_result, None)

    loop.run_in_executor(None, _watch_stdin)
    async with server:
        await stdin_closed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=1000, help="text frames per stream")
    parser.add_argument("--paced-chunks", type=int, default=200, help="text frames, paced")
    parser.add_argument("--pace-ms", type=float, default=1.0, help="pause between paced events")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.chunks, args.paced_chunks, args.pace_ms / 1000))


if __name__ == "__main__":
    main()
