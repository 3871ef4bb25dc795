"""The Workers AI asynchronous batch API: what the sync and async shells share.

Cloudflare's documented wire (https://developers.cloudflare.com/workers-ai/features/batch-api/,
REST page ``…/batch-api/rest-api/``; details and open points in ``docs/scale-out.md``):

- submit: ``POST /accounts/{id}/ai/run/@cf/{model}?queueRequest=true`` with
  ``{"requests": [<one native /ai/run body per item>, …]}`` (the whole payload under 10 MB),
  answered ``{"result": {"status": "queued", "request_id": …, "model": …}, "success": true}``;
- poll: ``POST`` the same URL with ``{"request_id": …}``: ``{"result": {"status": "queued" |
  "running", …}}`` while pending, then ``{"result": {"responses": [{"id": <input index>,
  "result": {…}, "success": true, "external_reference": …}, …], "usage": {…}}}``.

Everything but I/O lives here: the payload checks, reply parsing, the bounded wait with
backoff (:class:`BatchWait`) and the typed errors. :mod:`cf_gateway_core._batch_io` holds the
two I/O shells, :class:`~cf_gateway_core._batch_io.BatchAPI` and ``AsyncBatchAPI``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cf_gateway_core.errors import GatewayConfigError, GatewayError
from cf_gateway_core.messages import Usage
from cf_gateway_core.routing import Route, resolve_route

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "BatchCancelledError",
    "BatchError",
    "BatchExpiredError",
    "BatchFailedError",
    "BatchItem",
    "BatchJob",
    "BatchResult",
    "BatchTimeoutError",
    "BatchWait",
]

MAX_PAYLOAD_BYTES = 10_000_000
"""Cloudflare: "Ensure that the total payload is under 10 MB" (Workers binding page)."""
QUEUE_QUERY = "?queueRequest=true"
_PENDING = frozenset({"queued", "running"})
_FAILED = frozenset({"failed", "error", "errored"})
_EXPIRED = frozenset({"expired", "not_found", "unknown"})


# ------------------------------------------------------------------------------------- errors


class BatchError(GatewayError):
    """A batch job did not deliver results.

    ``request_id`` names the job (``None`` before one exists); keep it to retrieve results later
    with ``wait(BatchJob(...))``.
    """

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        """Keep the message and the job's request id."""
        super().__init__(message)
        self.message = message
        self.request_id = request_id

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the keyword (errors cross process boundaries in pools and Ray)."""
        return (_rebuild_batch_error, (type(self), self.message, self.request_id))


def _rebuild_batch_error(cls: type[BatchError], message: str, request_id: str | None) -> Any:
    return cls(message, request_id=request_id)


class BatchFailedError(BatchError):
    """The job failed, or some of its requests did (``failed`` lists their input indices)."""

    def __init__(
        self, message: str, *, request_id: str | None = None, failed: Sequence[int] = ()
    ) -> None:
        """Keep the indices of the failed requests."""
        super().__init__(message, request_id=request_id)
        self.failed = tuple(failed)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the failed indices."""
        return (_rebuild_failed, (self.message, self.request_id, self.failed))


def _rebuild_failed(message: str, request_id: str | None, failed: tuple[int, ...]) -> Any:
    return BatchFailedError(message, request_id=request_id, failed=failed)


class BatchExpiredError(BatchError):
    """The gateway no longer knows the job (its results expired or were already collected)."""


class BatchTimeoutError(BatchError):
    """The job was still pending when the wait's ``timeout`` ran out.

    It may still finish: wait again with the same :class:`BatchJob`.
    """


class BatchCancelledError(BatchError):
    """Waiting was cancelled (the sync ``cancel`` event was set).

    The job itself goes on at Cloudflare (no cancel call is documented); wait again with the
    same :class:`BatchJob`.
    """


# -------------------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class BatchJob:
    """A submitted batch: picklable, so one process may submit and another wait."""

    request_id: str
    model: str
    size: int
    """How many requests were submitted (results are checked against it)."""


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One request's outcome: ``index`` is its position in the submitted ``requests``."""

    index: int
    success: bool
    result: Any
    """The model's output (the ``result`` of a plain ``/ai/run`` reply), or ``None``."""
    external_reference: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A finished batch: one :class:`BatchItem` per request, in input order."""

    job: BatchJob
    items: tuple[BatchItem, ...]
    usage: Usage | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def results(self) -> list[Any]:
        """Each request's output, in input order.

        Raises:
            BatchFailedError: some requests failed (``failed`` lists their indices).
        """
        failed = [item for item in self.items if not item.success]
        if failed:
            shown = "; ".join(f"#{item.index}: {item.error or 'failed'}" for item in failed[:5])
            raise BatchFailedError(
                f"{len(failed)} of {len(self.items)} requests in batch {self.job.request_id} "
                f"failed ({shown}).",
                request_id=self.job.request_id,
                failed=[item.index for item in failed],
            )
        return [item.result for item in self.items]


@dataclass(frozen=True, slots=True)
class BatchWait:
    """How long and how often to poll.

    First after ``first_poll`` seconds, then ``multiplier`` times longer each time up to
    ``max_interval``, for at most ``timeout`` seconds in all (``None``: no limit).
    """

    timeout: float | None = 900.0
    first_poll: float = 1.0
    max_interval: float = 30.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        """Reject values that would poll in a tight loop or never."""
        for name in ("first_poll", "max_interval"):
            _check_seconds(name, getattr(self, name))
        if self.timeout is not None:
            _check_seconds("timeout", self.timeout)
        if not _is_number(self.multiplier) or not 1.0 <= self.multiplier <= 10.0:
            raise GatewayConfigError(
                f"BatchWait(multiplier=) must be between 1 and 10, got {self.multiplier!r}."
            )

    def delays(self) -> Iterator[float]:
        """The pauses between polls, before the ``timeout`` cut."""
        delay = self.first_poll
        while True:
            yield delay
            delay = min(delay * self.multiplier, self.max_interval)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_seconds(name: str, value: object) -> None:
    if not _is_number(value) or not 0 < value <= 86_400:  # type: ignore[operator]
        raise GatewayConfigError(
            f"BatchWait({name}=) must be a number of seconds > 0 and <= 86400, got {value!r}."
        )


class Deadline:
    """The remaining budget of one wait.

    Each pause is cut to what is left, and a pause with nothing left raises
    :class:`BatchTimeoutError`.
    """

    def __init__(self, wait: BatchWait, job: BatchJob) -> None:
        """Start the clock."""
        self._job = job
        self._timeout = wait.timeout
        self._end = None if wait.timeout is None else time.monotonic() + wait.timeout
        self._delays = wait.delays()

    def next_pause(self) -> float:
        """Seconds to sleep before the next poll.

        Raises:
            BatchTimeoutError: the wait's timeout has run out.
        """
        delay = next(self._delays)
        if self._end is None:
            return delay
        left = self._end - time.monotonic()
        if left <= 0:
            raise BatchTimeoutError(
                f"batch {self._job.request_id} ({self._job.model}, {self._job.size} requests) "
                f"was still pending after {self._timeout:g} s; wait again with the same "
                "BatchJob (results stay available for a while) or pass a longer "
                "BatchWait(timeout=).",
                request_id=self._job.request_id,
            )
        return min(delay, left)


# ------------------------------------------------------------------------- payloads, replies


def batch_route(model: str) -> Route:
    """The native ``/ai/run/@cf/{model}`` route the batch API lives on.

    Raises:
        GatewayConfigError: not a Workers AI (``@cf/``) model.
    """
    route = resolve_route(model, "run")
    if not route.native:
        raise GatewayConfigError(
            f"the async batch API serves Workers AI models only ('@cf/…'), not {model!r}; "
            "send other models' requests one by one (e.g. with batch()/abatch())."
        )
    return route


def submit_payload(requests: Sequence[Mapping[str, Any]]) -> bytes:
    """The submit body ``{"requests": [...]}``.

    Raises:
        GatewayConfigError: no requests, a request that is not a JSON object, or a payload of
            10 MB or more (split it into several batches).
    """
    items = list(requests)
    if not items:
        raise GatewayConfigError("a batch needs at least one request; pass requests=[{...}, ...].")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise GatewayConfigError(
                f"batch request #{index} is a {type(item).__name__}; each request is a JSON "
                "object, the body a plain /ai/run call would send (e.g. {'text': [...]})."
            )
    try:
        content = json.dumps({"requests": items}, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise GatewayConfigError(f"the batch cannot be sent as JSON ({exc}).") from exc
    data = content.encode()
    if len(data) >= MAX_PAYLOAD_BYTES:
        raise GatewayConfigError(
            f"the batch payload is {len(data):,} bytes; Cloudflare takes under 10 MB per batch. "
            "Split the requests into several batches."
        )
    return data


def poll_payload(job: BatchJob) -> bytes:
    """The poll body ``{"request_id": ...}``."""
    return json.dumps({"request_id": job.request_id}).encode()


def _node(body: Any) -> Mapping[str, Any]:
    # REST replies wrap the output in the v4 envelope's "result"; the binding's form is bare.
    if isinstance(body, Mapping) and isinstance(body.get("result"), Mapping):
        return body["result"]  # type: ignore[no-any-return]
    if isinstance(body, Mapping):
        return body
    raise BatchError(f"batch reply is not a JSON object (got {type(body).__name__}).")


def parse_submitted(body: Any, model: str, size: int) -> BatchJob:
    """The job a submit reply announces.

    Raises:
        BatchError: the reply has no ``request_id``.
    """
    node = _node(body)
    request_id = node.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        keys = ", ".join(sorted(map(str, node))) or "none"
        raise BatchError(f"the batch submit reply has no request_id (keys: {keys}).")
    shown_model = node.get("model")
    return BatchJob(request_id, shown_model if isinstance(shown_model, str) else model, size)


def parse_polled(body: Any, job: BatchJob) -> BatchResult | None:
    """``None`` while the job is queued or running, else its :class:`BatchResult`.

    Raises:
        BatchFailedError: the job reports a failure.
        BatchExpiredError: the job reports that it expired.
        BatchError: an unknown status, or results that do not match the submitted requests.
    """
    node = _node(body)
    responses = node.get("responses")
    if isinstance(responses, list):
        return BatchResult(job, _items(responses, job), _usage(node.get("usage")), node)
    status = str(node.get("status", "")).lower()
    if status in _PENDING:
        return None
    detail = node.get("error") or node.get("message") or node.get("errors") or status
    if status in _FAILED:
        raise BatchFailedError(
            f"batch {job.request_id} failed: {detail}", request_id=job.request_id
        )
    if status in _EXPIRED:
        raise BatchExpiredError(
            f"batch {job.request_id} expired: {detail}", request_id=job.request_id
        )
    raise BatchError(
        f"batch {job.request_id} answered an unknown status {status or '(none)'!r}.",
        request_id=job.request_id,
    )


def _items(responses: list[Any], job: BatchJob) -> tuple[BatchItem, ...]:
    items: dict[int, BatchItem] = {}
    for position, entry in enumerate(responses):
        if not isinstance(entry, Mapping):
            raise BatchError(f"batch {job.request_id}: response #{position} is not an object.")
        index = entry.get("id", position)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < job.size:
            raise BatchError(f"batch {job.request_id}: response id {index!r} is out of range.")
        success = entry.get("success") is not False
        items[index] = BatchItem(
            index=index,
            success=success,
            result=entry.get("result") if success else None,
            external_reference=entry.get("external_reference"),
            error=None if success else _error_text(entry),
        )
    missing = [i for i in range(job.size) if i not in items]
    if missing:
        raise BatchError(
            f"batch {job.request_id} returned {len(items)} of {job.size} results "
            f"(missing input indices {missing[:10]}).",
            request_id=job.request_id,
        )
    return tuple(items[i] for i in range(job.size))


def _error_text(entry: Mapping[str, Any]) -> str:
    for key in ("error", "errors", "message"):
        value = entry.get(key)
        if value:
            if isinstance(value, list) and value and isinstance(value[0], Mapping):
                return str(value[0].get("message", value[0]))
            return str(value)
    return "failed"


def _usage(value: Any) -> Usage | None:
    if not isinstance(value, Mapping):
        return None
    numbers = [value.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers[:2]):
        return None
    prompt, completion, total = numbers
    return Usage(
        input_tokens=prompt,  # type: ignore[arg-type]
        output_tokens=completion,  # type: ignore[arg-type]
        total_tokens=total if isinstance(total, int) else prompt + completion,  # type: ignore[operator]
    )
