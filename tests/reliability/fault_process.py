"""An outside fault injector: a raw HTTP/1.1 server in its own process, on 127.0.0.1 only.

It shares no code with the package (and none with the in-process ``fault_server``): it reads a
request off the socket, picks a fault from the URL and writes whatever bytes that fault calls
for, the way an independent tester's server would. Run it as::

    python -m tests.reliability.fault_process

It prints ``PORT <n>`` on its first line and serves until its standard input closes.

The fault is named by the account-id segment of the path: ``/client/v4/accounts/<fault>-<tag>/
ai/v1/chat/completions`` (the ``-<tag>`` suffix keeps attempt counts of different tests apart).
``GET /_count/<account>`` answers how many requests that account id has sent. The reply body
follows the wire format of the path (Chat Completions, Messages, Responses, ``/ai/run`` native,
embeddings); every good reply says ``Hello``.
"""

from __future__ import annotations

import json
import socket
import socketserver
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

HOST = "127.0.0.1"
TEXT = ("Hel", "lo")
"""The answer's text pieces: every good reply says ``Hello``."""

_counts: Counter[str] = Counter()
_lock = threading.Lock()

# --------------------------------------------------------------------------- wire bodies


def _chat_frames() -> tuple[list[Any], list[Any]]:
    start = {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": TEXT[0]}}]}
    more = {"choices": [{"index": 0, "delta": {"content": TEXT[1]}}]}
    finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return [start, more], [finish, "[DONE]"]


def _messages_frames() -> tuple[list[Any], list[Any]]:
    usage = {"input_tokens": 3, "output_tokens": 0}
    body: list[Any] = [
        {"type": "message_start", "message": {"id": "msg_1", "model": "m", "usage": usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    body += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}
        for t in TEXT
    ]
    end = [
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 2},
        },
        {"type": "message_stop"},
    ]
    return [*body, {"type": "content_block_stop", "index": 0}], end


def _responses_frames() -> tuple[list[Any], list[Any]]:
    body: list[Any] = [{"type": "response.created", "response": {"id": "r1", "model": "m"}}]
    body += [
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": t}
        for t in TEXT
    ]
    message = {"type": "message", "content": [{"type": "output_text", "text": "".join(TEXT)}]}
    final = {"id": "r1", "model": "m", "status": "completed", "output": [message]}
    return body, [{"type": "response.completed", "response": final}]


def _run_frames() -> tuple[list[Any], list[Any]]:
    return [{"response": t} for t in TEXT], ["[DONE]"]


FRAMES: dict[str, Callable[[], tuple[list[Any], list[Any]]]] = {
    "chat_completions": _chat_frames,
    "messages": _messages_frames,
    "responses": _responses_frames,
    "run": _run_frames,
}

JSON_REPLIES: dict[str, Any] = {
    "chat_completions": {
        "id": "c1",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello"},
                "finish_reason": "stop",
            }
        ],
    },
    "messages": {
        "id": "msg_1",
        "type": "message",
        "model": "m",
        "content": [{"type": "text", "text": "Hello"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 3, "output_tokens": 2},
    },
    "responses": {
        "id": "r1",
        "model": "m",
        "status": "completed",
        "output": [{"type": "message", "content": [{"type": "output_text", "text": "Hello"}]}],
    },
    "run": {"result": {"response": "Hello"}, "success": True, "errors": [], "messages": []},
}

_ENDPOINTS = (
    ("/ai/v1/chat/completions", "chat_completions"),
    ("/ai/v1/messages", "messages"),
    ("/ai/v1/responses", "responses"),
    ("/ai/v1/embeddings", "embeddings"),
    ("/ai/run/", "run"),
)


def _frame(item: Any, event: str | None = None) -> bytes:
    data = item if isinstance(item, str) else json.dumps(item)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n".encode()


def _frames(endpoint: str, items: list[Any]) -> list[bytes]:
    # Messages and Responses streams name each event; the others send bare data lines.
    named = endpoint in ("messages", "responses")
    return [_frame(i, i.get("type") if named and isinstance(i, dict) else None) for i in items]


# --------------------------------------------------------------------------- raw writers


def _head(status: str, headers: dict[str, str]) -> bytes:
    headers = {"connection": "close", **headers}  # one request per connection
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _sse_head() -> bytes:
    return _head("200 OK", {"content-type": "text/event-stream", "transfer-encoding": "chunked"})


def _send_chunked(conn: socket.socket, pieces: list[bytes], *, terminate: bool = True) -> None:
    conn.sendall(_sse_head())
    for piece in pieces:
        conn.sendall(_chunk(piece))
    if terminate:
        conn.sendall(b"0\r\n\r\n")


def _json_head(length: int, status: str = "200 OK", **extra: str) -> bytes:
    headers = {"content-type": "application/json", "content-length": str(length), **extra}
    return _head(status, headers)


# --------------------------------------------------------------------------- faults

Fault = Callable[[socket.socket, str, dict[str, Any]], None]


def ok(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A good reply: an SSE stream when the request streams, else JSON."""
    if endpoint == "embeddings":
        _embeddings(conn, body, lambda vectors: vectors)
        return
    if not body.get("stream"):
        data = json.dumps(JSON_REPLIES[endpoint]).encode()
        conn.sendall(_json_head(len(data)) + data)
        return
    head, end = FRAMES[endpoint]()
    _send_chunked(conn, _frames(endpoint, head + end))


def no_end(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A complete chunked body whose stream lacks its end signal."""
    head, _ = FRAMES[endpoint]()
    _send_chunked(conn, _frames(endpoint, head))


def dies(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A close-delimited body (no length, not chunked) whose server dies mid-answer."""
    head, _ = FRAMES[endpoint]()
    conn.sendall(_head("200 OK", {"content-type": "text/event-stream"}))
    for piece in _frames(endpoint, head):
        conn.sendall(piece)
        time.sleep(0.01)


def no_blank(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """The frame carrying the end signal arrives without its closing blank line."""
    head, end = FRAMES[endpoint]()
    last = _frames(endpoint, end[:1])[0][:-1]  # "...\n" instead of "...\n\n"
    _send_chunked(conn, [*_frames(endpoint, head), last])


def end_then_cut(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """The whole stream, end signal included; then the connection closes (no last chunk)."""
    head, end = FRAMES[endpoint]()
    _send_chunked(conn, _frames(endpoint, head + end), terminate=False)


def end_then_stall(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """The whole stream, end signal included; then silence instead of the last chunk."""
    head, end = FRAMES[endpoint]()
    _send_chunked(conn, _frames(endpoint, head + end), terminate=False)
    time.sleep(3.0)


def v4_mid(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A v4 error envelope in the middle of a stream, then the usual end."""
    head, end = FRAMES[endpoint]()
    error = {"success": False, "errors": [{"code": 3040, "message": "Capacity exceeded"}]}
    _send_chunked(conn, [*_frames(endpoint, head), _frame(error), *_frames(endpoint, end)])


def _good_json(endpoint: str) -> bytes:
    return json.dumps(JSON_REPLIES.get(endpoint, JSON_REPLIES["chat_completions"])).encode()


def cut_body(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A JSON body that stops short of its Content-Length; the connection closes."""
    data = _good_json(endpoint)
    conn.sendall(_json_head(len(data) + 40) + data)


def stall_body(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """Half a JSON body, then silence."""
    data = _good_json(endpoint)
    conn.sendall(_json_head(len(data)) + data[: len(data) // 2])
    time.sleep(3.0)


def _encoded(conn: socket.socket, encoding: str, status: str) -> None:
    junk = b"\x1f\x8b\x08\x00 this is not what it claims to be"
    conn.sendall(_json_head(len(junk), status, **{"content-encoding": encoding}) + junk)


def bad_gzip(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A 200 whose gzip body is corrupt."""
    _encoded(conn, "gzip", "200 OK")


def bad_gzip_500(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A 500 whose gzip body is corrupt."""
    _encoded(conn, "gzip", "500 Internal Server Error")


def bad_deflate(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A 200 whose deflate body is corrupt (a valid zlib header, garbage after it)."""
    junk = zlib.compress(b'{"x": 1}')[:2] + b"garbage garbage garbage"
    conn.sendall(_json_head(len(junk), **{"content-encoding": "deflate"}) + junk)


def bad_chunk(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A chunked JSON body with a chunk size that is not hexadecimal."""
    head = _head("200 OK", {"content-type": "application/json", "transfer-encoding": "chunked"})
    conn.sendall(head + b"zz\r\n{}\r\n0\r\n\r\n")


def deep_json(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """A 200 whose JSON nests 100,000 arrays deep."""
    data = b"[" * 100_000 + b"]" * 100_000
    conn.sendall(_json_head(len(data)) + data)


def _status_only(status: str, **headers: str) -> Fault:
    def fault(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
        length = {} if status.startswith(("204", "304")) else {"content-length": "0"}
        conn.sendall(_head(status, {**length, **headers}))

    return fault


def _embeddings(
    conn: socket.socket, body: dict[str, Any], alter: Callable[[list[Any]], list[Any]]
) -> None:
    texts = body.get("input") or []
    items = [{"embedding": [float(i), 1.0], "index": i} for i in range(len(texts))]
    data = json.dumps({"data": alter(items), "model": "m"}).encode()
    conn.sendall(_json_head(len(data)) + data)


def emb_short(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """One vector fewer than texts."""
    _embeddings(conn, body, lambda items: items[:-1])


def emb_extra(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """One vector more than texts."""
    _embeddings(conn, body, lambda items: [*items, {"embedding": [9.0, 9.0], "index": len(items)}])


def emb_dup(conn: socket.socket, endpoint: str, body: dict[str, Any]) -> None:
    """The right number of vectors, but the last index repeats the first."""
    _embeddings(conn, body, lambda items: [*items[:-1], {**items[-1], "index": 0}])


FAULTS: dict[str, Fault] = {
    "ok": ok,
    "no_end": no_end,
    "dies": dies,
    "no_blank": no_blank,
    "v4_mid": v4_mid,
    "end_then_cut": end_then_cut,
    "end_then_stall": end_then_stall,
    "cut_body": cut_body,
    "stall_body": stall_body,
    "bad_gzip": bad_gzip,
    "bad_gzip_500": bad_gzip_500,
    "bad_deflate": bad_deflate,
    "bad_chunk": bad_chunk,
    "deep_json": deep_json,
    "redirect": _status_only("302 Found", location="https://elsewhere.example/v4"),
    "no_content": _status_only("204 No Content"),
    "not_modified": _status_only("304 Not Modified"),
    "emb_short": emb_short,
    "emb_extra": emb_extra,
    "emb_dup": emb_dup,
}

# --------------------------------------------------------------------------- server


def _read_request(conn: socket.socket) -> tuple[str, str, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return None
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        piece = conn.recv(65536)
        if not piece:
            return None
        rest += piece
    return method, path, rest[:length]


def _endpoint(path: str) -> str:
    return next((name for marker, name in _ENDPOINTS if marker in path), "chat_completions")


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        request = _read_request(conn)
        if request is None:
            return
        method, path, raw = request
        if method == "GET" and path.startswith("/_count/"):
            with _lock:
                count = _counts[path.removeprefix("/_count/")]
            data = json.dumps({"count": count}).encode()
            conn.sendall(_json_head(len(data)) + data)
            return
        account = path.partition("/accounts/")[2].partition("/")[0]
        with _lock:
            _counts[account] += 1
        fault = FAULTS[account.partition("-")[0]]
        body = json.loads(raw) if raw else {}
        try:
            fault(conn, _endpoint(path), body)
        except OSError:
            pass  # the client gave up first
        finally:
            conn.close()  # one request per connection: every fault starts fresh


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    """Serve on an ephemeral loopback port until standard input closes."""
    server = _Server((HOST, 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    sys.stdin.read()  # the parent closes our stdin (or dies) to stop us
    server.shutdown()


if __name__ == "__main__":
    main()
