"""The emulator's Workers AI async batch queue (``POST /ai/run/@cf/{model}?queueRequest=true``).

A submit (``{"requests": [...]}``) answers each request at once with the emulator's ordinary
``/ai/run`` reply, keeps the answers under a new ``request_id`` and replies ``{"result":
{"status": "queued", "request_id", "model"}}``. Each poll (``{"request_id": ...}``) moves the
job along ``queued -> running -> done``: by default the first poll answers ``queued``, the
second ``running`` and the third the results (``{"result": {"responses": [{"id", "result",
"success", "external_reference"}], "usage"}}``, in input order; a request the emulator rejects
comes back with ``"success": false``). A finished job is forgotten after it is collected, so a
later poll answers 404, as for an unknown id.

The submit request's ``x-emulator-batch`` header scripts a job: ``queued=N running=N`` (polls
answering each status) and ``outcome=done|failed|expired`` (``failed`` ends in ``{"status":
"failed", "error": ...}``; ``expired`` answers 404 once the job would be done).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from cf_gateway_core.emulator.exchange import RecordedRequest, Reply

__all__ = ["HEADER", "BatchQueue", "is_queue_request"]

HEADER = "x-emulator-batch"
_OUTCOMES = ("done", "failed", "expired")
_MAX_POLLS = 100
_UNKNOWN = (404, 7002, "Batch request {request_id} not found or expired")


def is_queue_request(url: str) -> bool:
    """Whether the request URL asks for the queue (``?queueRequest=true``)."""
    import httpx

    return str(httpx.URL(url).params.get("queueRequest", "")).lower() == "true"


@dataclasses.dataclass
class _Job:
    model: str
    responses: list[dict[str, Any]]
    usage: dict[str, int]
    queued: int = 1
    running: int = 1
    outcome: str = "done"
    polls: int = 0


def _script(headers: Mapping[str, str]) -> dict[str, Any]:
    """``queued``, ``running`` and ``outcome`` from the ``x-emulator-batch`` header."""
    values: dict[str, Any] = {}
    for token in headers.get(HEADER, "").split():
        name, _, value = token.partition("=")
        if name in ("queued", "running") and value.isdigit() and int(value) <= _MAX_POLLS:
            values[name] = int(value)
        elif name == "outcome" and value in _OUTCOMES:
            values[name] = value
        else:
            raise ValueError(
                f"{HEADER}: cannot read {token!r}; use queued=N running=N (N <= {_MAX_POLLS}) "
                f"outcome={'|'.join(_OUTCOMES)}"
            )
    return values


class BatchQueue:
    """The jobs one emulator holds (thread-safe: the HTTP server answers on many threads)."""

    def __init__(self) -> None:
        """No jobs yet."""
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def reply(self, request: RecordedRequest, *, accept_any_model: bool = False) -> Reply:
        """Answer a submit or a poll (``accept_any_model`` as for ``FakeGateway``)."""
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("requests"), list):
            return self._submit(request, body["requests"], accept_any_model)
        if isinstance(body, dict) and isinstance(body.get("request_id"), str):
            return self._poll(body["request_id"])
        return _invalid("expected {'requests': [...]} to queue or {'request_id': ...} to poll")

    def _submit(self, request: RecordedRequest, items: list[Any], any_model: bool) -> Reply:
        if not items or not all(isinstance(item, dict) for item in items):
            return _invalid("Invalid value at requests: expected a non-empty array of objects")
        try:
            script = _script(request.headers)
        except ValueError as exc:
            return Reply.error(400, message=str(exc))
        _, _, model = request.path.partition("/ai/run/")
        answers = [_answer(request, i, item, any_model) for i, item in enumerate(items)]
        job = _Job(model.strip("/"), answers, _total_usage(answers), **script)
        request_id = str(uuid.uuid4())
        with self._lock:
            self._jobs[request_id] = job
        queued = {"status": "queued", "request_id": request_id, "model": job.model}
        return Reply.json(_envelope(queued))

    def _poll(self, request_id: str) -> Reply:
        with self._lock:
            job = self._jobs.get(request_id)
            if job is None:
                return _unknown(request_id)
            job.polls += 1
            stage = job.polls
            if stage <= job.queued:
                status = "queued"
            elif stage <= job.queued + job.running:
                status = "running"
            else:
                del self._jobs[request_id]  # collected (or failed, or expired): forgotten
                status = job.outcome
        if status == "expired":
            return _unknown(request_id)
        if status == "failed":
            failed = {"status": "failed", "request_id": request_id, "error": "Emulated failure"}
            return Reply.json(_envelope(failed))
        if status == "done":
            return Reply.json(_envelope({"responses": job.responses, "usage": job.usage}))
        return Reply.json(_envelope({"status": status, "request_id": request_id}))


def _answer(
    request: RecordedRequest, index: int, item: Mapping[str, Any], any_model: bool
) -> dict[str, Any]:
    """One request's entry: the emulator's ordinary ``/ai/run`` reply for its body."""
    from cf_gateway_core.emulator.replies import default_reply

    reference = item.get("external_reference")
    body = {k: v for k, v in item.items() if k != "external_reference"}
    inner = dataclasses.replace(
        request,
        url=request.url.partition("?")[0],
        headers={k: v for k, v in request.headers.items() if k != HEADER},
        content=json.dumps(body).encode(),
    )
    reply = default_reply(inner, auto_reply=True, accept_any_model=any_model)
    parsed = json.loads(reply.body) if reply.body else {}
    entry: dict[str, Any] = {"id": index, "external_reference": reference}
    if reply.status < 300 and isinstance(parsed, dict) and "result" in parsed:
        entry.update(result=parsed["result"], success=True)
    else:
        errors = parsed.get("errors") if isinstance(parsed, dict) else None
        entry.update(result=None, success=False, errors=errors or [{"message": "failed"}])
    return entry


def _total_usage(answers: list[dict[str, Any]]) -> dict[str, int]:
    totals = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    for answer in answers:
        result = answer.get("result")
        usage = result.get("usage") if isinstance(result, dict) else None
        if isinstance(usage, dict):
            for key in totals:
                value = usage.get(key)
                totals[key] += value if isinstance(value, int) else 0
    return totals


def _envelope(result: Mapping[str, Any]) -> dict[str, Any]:
    return {"result": dict(result), "success": True, "errors": [], "messages": []}


def _invalid(detail: str) -> Reply:
    return Reply.error(
        400, code=7003, message=f"Model execution failed (User Input Error): {detail}"
    )


def _unknown(request_id: str) -> Reply:
    status, code, template = _UNKNOWN
    return Reply.error(status, code=code, message=template.format(request_id=request_id))
