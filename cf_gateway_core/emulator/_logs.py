"""The emulator's gateway logs, served by the logs API with feedback stored and read back.

There is one entry per request it answered with a ``cf-aig-log-id``.

Paths (https://developers.cloudflare.com/api/resources/ai_gateway/subresources/logs/):
``GET …/ai-gateway/gateways/{gw}/logs`` (pages, ``filters`` with ``eq``), ``GET …/logs/{id}``,
``GET …/logs/{id}/request``, ``GET …/logs/{id}/response`` and ``PATCH …/logs/{id}`` with
``{"feedback": -1..1, "score": 0..100, "metadata": {…}}``. A log belongs to the gateway named by
the request's ``cf-aig-gateway-id`` (``default`` without one). Every value is deterministic:
``created_at`` counts seconds from 2026-01-01 in request order, the cost is a stand-in of $1 per
million input tokens and $2 per million output tokens, the duration 100 ms + 10 ms per output
token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from cf_gateway_core.emulator.exchange import RecordedRequest, Reply

__all__ = ["LogStore"]

_PATH = re.compile(
    r".*/accounts/[^/]+/ai-gateway/gateways/(?P<gw>[^/]+)/logs(?:/(?P<id>[^/]+)(?:/(?P<part>request|response))?)?/?"
)
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_USAGE_KEYS = {
    "prompt_tokens": "in",
    "input_tokens": "in",
    "completion_tokens": "out",
    "output_tokens": "out",
}
_NESTS = ("result", "message", "response")
_MAX_PER_PAGE = 50


def _json(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


def _usages(body: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    if not isinstance(body, Mapping) or depth > 3:
        return
    if isinstance(body.get("usage"), Mapping):
        yield body["usage"]
    for key in _NESTS:
        yield from _usages(body.get(key), depth + 1)


def _tokens(reply: Reply) -> tuple[int | None, int | None]:
    bodies: list[Any]
    if reply.headers.get("content-type", "").startswith("text/event-stream"):
        frames = re.findall(rb"^data: (.+)$", reply.body, flags=re.MULTILINE)
        bodies = [_json(frame) for frame in frames]
    else:
        bodies = [_json(reply.body)]
    found: dict[str, int] = {}
    for body in bodies:
        for usage in _usages(body):
            for key, side in _USAGE_KEYS.items():
                value = usage.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    found[side] = max(found.get(side, 0), value)
    return found.get("in"), found.get("out")


def _model(request: RecordedRequest) -> str:
    body = request.json
    if isinstance(body, Mapping) and isinstance(body.get("model"), str):
        return str(body["model"])
    _, _, model = request.path.partition("/ai/run/")
    return model.strip("/")


def _provider(model: str) -> str:
    if model.startswith(("@cf/", "@hf/")):
        return "workers-ai"
    return model.partition("/")[0] or "unknown"


def _stored_body(content: bytes, content_type: str) -> Any:
    parsed = _json(content) if "json" in content_type or content[:1] in (b"{", b"[") else None
    if parsed is not None:
        return parsed
    return content.decode("utf-8", "replace") if _is_text(content_type) else None


def _is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or "json" in content_type or not content_type


@dataclass
class _Entry:
    gateway: str
    row: dict[str, Any]
    request: bytes
    request_type: str
    response: bytes
    response_type: str
    extra: dict[str, Any] = field(default_factory=dict)


def _metadata(request: RecordedRequest) -> dict[str, Any]:
    raw = request.headers.get("cf-aig-metadata")
    parsed = _json(raw.encode()) if raw else None
    return dict(parsed) if isinstance(parsed, Mapping) else {}


def _fresh_id(log_id: str, taken: Mapping[str, Any]) -> str:
    """``log_id``, or the first UUID-shaped id derived from it that is not taken."""
    candidate, n = log_id, 0
    while candidate in taken:
        n += 1
        h = hashlib.sha256(f"{log_id}#{n}".encode()).hexdigest()
        candidate = f"{h[:8]}-{h[8:12]}-7{h[13:16]}-8{h[17:20]}-{h[20:32]}"
    return candidate


def _v4(result: Any, **extra: Any) -> Reply:
    return Reply.json({"result": result, "success": True, "errors": [], "messages": [], **extra})


class LogStore:
    """The logs of the requests a :class:`~cf_gateway_core.testing.FakeGateway` answered."""

    def __init__(self) -> None:
        """An empty store."""
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many logs are stored."""
        return len(self._entries)

    def clear(self) -> None:
        """Forget every log."""
        with self._lock:
            self._entries.clear()

    def get(self, log_id: str) -> dict[str, Any] | None:
        """The log row (as the API returns it) for ``log_id``, or ``None``."""
        with self._lock:
            entry = self._entries.get(log_id)
            return None if entry is None else {**entry.row, **entry.extra}

    def record(self, request: RecordedRequest, reply: Reply, *, scripted: bool = False) -> Reply:
        """Store a log for ``reply`` when it carries a ``cf-aig-log-id``; return the reply.

        Every emulated request gets its own log, as on the gateway: a repeated identical request
        (whose deterministic id is taken) gets a new id derived from it, in its reply headers
        too. A ``scripted`` (queued) reply is returned exactly as queued; its log is stored under
        the id it carries.
        """
        headers = {k.lower(): v for k, v in reply.headers.items()}
        log_id = headers.get("cf-aig-log-id")
        if not log_id or reply.exception is not None:
            return reply
        with self._lock:
            fresh = log_id if scripted else _fresh_id(log_id, self._entries)
        if fresh != log_id:
            renamed = {k: fresh if v == log_id else v for k, v in headers.items()}
            reply, log_id = dataclasses.replace(reply, headers=renamed), fresh
        self._store(log_id, request, reply)
        return reply

    def _store(self, log_id: str, request: RecordedRequest, reply: Reply) -> None:
        model = _model(request)
        tokens_in, tokens_out = _tokens(reply)
        cost = ((tokens_in or 0) * 1.0 + (tokens_out or 0) * 2.0) / 1_000_000
        with self._lock:
            created = _EPOCH + timedelta(seconds=len(self._entries))
            self._entries[log_id] = _Entry(
                gateway=request.headers.get("cf-aig-gateway-id") or "default",
                row={
                    "id": log_id,
                    "created_at": created.isoformat().replace("+00:00", "Z"),
                    "model": model,
                    "provider": _provider(model),
                    "path": request.path,
                    "model_type": "text",
                    "tokens_in": tokens_in,
                    "tokens_out": tokens_out,
                    "cost": cost,
                    "cached": reply.headers.get("cf-aig-cache-status") == "HIT",
                    "duration": 100 + 10 * (tokens_out or 0),
                    "status_code": reply.status,
                    "success": reply.status < 400,
                    "step": 0,
                    "request_size": len(request.content),
                    "response_size": len(reply.body),
                    "request_content_type": request.headers.get("content-type", ""),
                    "response_content_type": reply.headers.get("content-type", ""),
                    "metadata": json.dumps(_metadata(request)),
                },
                request=request.content,
                request_type=request.headers.get("content-type", ""),
                response=reply.body,
                response_type=reply.headers.get("content-type", ""),
            )

    # -- the logs API -----------------------------------------------------------------------

    def answer(self, request: RecordedRequest) -> Reply:
        """Answer a logs API request (list, get, request/response body, feedback)."""
        match = _PATH.fullmatch(request.path)
        if match is None:
            return Reply.error(404, code=7000, message="No route for that URI")
        gateway, log_id, part = match.group("gw"), match.group("id"), match.group("part")
        if log_id is None:
            if request.method != "GET":
                return Reply.error(405, message=f"Method {request.method} not allowed")
            return self._list(gateway, request.url)
        with self._lock:
            entry = self._entries.get(log_id)
        if entry is None or entry.gateway != gateway:
            return Reply.error(404, message=f"Log {log_id} not found in gateway {gateway}")
        if request.method == "PATCH" and part is None:
            return self._patch(entry, request)
        if request.method != "GET":
            return Reply.error(405, message=f"Method {request.method} not allowed")
        if part is None:
            return _v4({**entry.row, **entry.extra})
        content, kind = (
            (entry.request, entry.request_type)
            if part == "request"
            else (entry.response, entry.response_type)
        )
        return _v4(_stored_body(content, kind))

    def _patch(self, entry: _Entry, request: RecordedRequest) -> Reply:
        body = request.json
        problem = _feedback_problem(body)
        if problem is not None:
            return Reply.error(400, message=problem)
        assert isinstance(body, Mapping)
        with self._lock:
            for key in ("feedback", "score"):
                if key in body:
                    entry.extra[key] = body[key]
            if isinstance(body.get("metadata"), Mapping):
                merged = {**json.loads(entry.row["metadata"]), **body["metadata"]}
                entry.row["metadata"] = json.dumps(merged)
        return _v4({})

    def _list(self, gateway: str, url: str) -> Reply:
        from urllib.parse import parse_qs, urlsplit

        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        try:
            page = max(1, int(query.get("page", "1")))
            per_page = min(_MAX_PER_PAGE, max(1, int(query.get("per_page", "20"))))
            filters = json.loads(query.get("filters", "[]"))
        except ValueError:
            return Reply.error(400, message="Invalid page, per_page or filters")
        with self._lock:
            rows = [{**e.row, **e.extra} for e in self._entries.values() if e.gateway == gateway]
        rows = [row for row in rows if _matches(row, filters)]
        rows.sort(key=lambda row: str(row.get(query.get("order_by", "created_at"), "")))
        if query.get("order_by_direction", "desc") == "desc":
            rows.reverse()
        chunk = rows[(page - 1) * per_page : page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(rows)}
        return _v4(chunk, result_info=info)


def _matches(row: Mapping[str, Any], filters: Any) -> bool:
    if not isinstance(filters, list):
        return True
    return all(
        row.get(str(item.get("key"))) in list(item.get("value") or [])
        for item in filters
        if isinstance(item, Mapping) and item.get("operator", "eq") == "eq"
    )


def _feedback_problem(body: Any) -> str | None:
    """What Cloudflare's schema would reject in a PATCH body (feedback -1..1, score 0..100)."""
    if not isinstance(body, Mapping):
        return "Invalid body: expected a JSON object"
    checks = (("feedback", -1, 1), ("score", 0, 100))
    for key, low, high in checks:
        value = body.get(key)
        if value is None:
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or not low <= value <= high:
            return f"Invalid value at {key}: expected a number from {low} to {high}"
    metadata = body.get("metadata")
    if metadata is not None and (
        not isinstance(metadata, Mapping)
        or not all(isinstance(v, (str, int, float, bool)) for v in metadata.values())
    ):
        return "Invalid value at metadata: expected a map of strings, numbers or booleans"
    return None
