"""Deterministic default replies: what the emulator answers when no reply is queued.

Every endpoint the routing table serves answers in its API's real wire shape, as JSON or, for
``"stream": true``, as a stream:

=====================================  =============================================================
``POST …/ai/v1/chat/completions``      ``chat.completion`` / ``chat.completion.chunk`` SSE + usage
                                       chunk + ``[DONE]``
``POST …/ai/v1/messages``              Anthropic ``message`` / Anthropic event stream
``POST …/ai/v1/responses``             Responses object / events ending ``response.completed``
``POST …/ai/run/@cf/…``                v4 envelope with the legacy ``{"response", "usage"}``
                                       result / native ``{"response"}`` frames + usage trailer;
                                       ``{"text": […]}`` bodies get native embeddings
``POST …/ai/run``                      ``{"success", "result": {"result": <OpenAI or Anthropic
                                       body by model>, "gatewayMetadata"}}`` / the inner stream
``POST …/ai/v1/embeddings``            OpenAI embeddings list (deterministic unit vectors)
=====================================  =============================================================

The answer derives from the prompt (see :mod:`cf_gateway_core.emulator._answer`): an echo of the
last user message, a tool call with schema-synthesised arguments when a tool is forced or named,
text using a trailing tool result, or JSON for JSON mode. Every reply carries ``cf-aig-log-id``
(a deterministic UUID-like id; left out when ``cf-aig-collect-log: false``), ``cf-aig-request-id``,
``cf-aig-cache-status: MISS``, ``cf-aig-event-id`` (yours, echoed) and ``cf-aig-step: 0``.

Errors are Cloudflare v4 envelopes: malformed bodies get 400 / code 7003 ``Model execution failed
(User Input Error): …`` (the run path's observed wording, docs/wire-notes.md A11), unknown paths
404 / 7000, an ``@cf/`` model on ``/ai/v1/messages`` 400. The request header ``x-emulator-reply``
scripts one reply (grammar in :mod:`cf_gateway_core.emulator._script`), e.g.
``x-emulator-reply: error status=429 code=2003 retry-after=1`` or ``text="Hi there"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from cf_gateway_core.emulator._answer import Answer, decide
from cf_gateway_core.emulator._caching import PromptCache, check_cache_controls
from cf_gateway_core.emulator._content import check_content
from cf_gateway_core.emulator._embeddings import (
    MAX_DIMENSIONS,
    dimensions_for,
    native_embeddings,
    openai_embeddings,
)
from cf_gateway_core.emulator._formats import FORMATS, universal_envelope, v4_envelope
from cf_gateway_core.emulator._media import media_reply
from cf_gateway_core.emulator._prompt import PROMPT_READERS
from cf_gateway_core.emulator._script import (
    CODE_MESSAGES,
    HEADER,
    ErrorScript,
    Script,
    ScriptError,
)
from cf_gateway_core.emulator._server_replies import server_frames, server_reply
from cf_gateway_core.emulator._strict import (
    MODEL_NOT_FOUND,
    NO_SUCH_MODEL,
    chat_usage_wanted,
    drop_usage_chunks,
    new_id,
    not_in_catalogue,
    responses_only_problem,
)
from cf_gateway_core.emulator._turns import (
    Turn,
    assistant_turns,
    interleave_tool_fragments,
    parse_turns,
    strip_terminal,
)
from cf_gateway_core.emulator.exchange import RecordedRequest, Reply
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.routing import ModelKind, parse_model

__all__ = ["NOT_QUEUED_MESSAGE", "default_reply"]

NOT_QUEUED_MESSAGE = (
    "FakeGateway: no reply queued for this request and auto_reply is off; queue one with "
    "fake.queue_json(...), fake.queue_sse(...) or fake.queue_error(...)."
)
# Request validation errors use the run path's observed shape — docs/wire-notes.md A11 [O].
_INVALID = (400, 7003, "Model execution failed (User Input Error): {detail}")
_NO_ROUTE = (404, 7000, "No route for that URI")
_MAX_TEXTS = 100  # Workers AI embeddings take ≤ 100 texts — docs/wire-notes.md §6.2 [C].
_STREAM_KEYS = ("stream", "stream_options")
_JSON_TYPES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}
# Reply format -> the reader of its request body.
_READERS: dict[str, str] = {
    "openai_chat": "openai_chat",
    "anthropic": "anthropic",
    "responses": "responses",
    "native": "openai_chat",
}
# Universal /ai/run: the inner body follows the model — docs/wire-notes.md §4.1 (CFAI-PROVIDERS).
_UNIVERSAL_FORMATS: dict[ModelKind, str] = {
    ModelKind.ANTHROPIC: "anthropic",
    ModelKind.THIRD_PARTY: "openai_chat",
    ModelKind.WORKERS_AI: "openai_chat",
}


class _Rejected(Exception):
    """A request the emulator answers with a v4 error envelope."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _invalid(detail: str) -> _Rejected:
    status, code, template = _INVALID
    return _Rejected(status, code, template.format(detail=detail))


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _wrong_type(key: str, what: str, value: Any) -> _Rejected:
    return _invalid(
        f"Invalid value at {key}: Invalid input: expected {what}, received {_json_type(value)}"
    )


def _require(body: Mapping[str, Any], key: str, kind: type, what: str) -> Any:
    if key not in body or body[key] is None:
        raise _invalid(f"Required value missing: {key}")
    value = body[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _wrong_type(key, what, value)
    return value


def _kind(
    model: str, ctx: _Context | None = None, refusal: tuple[int, int, str] = MODEL_NOT_FOUND
) -> ModelKind:
    try:
        kind = parse_model(model).kind
    except GatewayConfigError:
        kind = None
    if kind is None or (ctx is not None and not_in_catalogue(model, ctx.accept_any_model)):
        status, code, template = refusal
        raise _Rejected(status, code, template.format(model=model))
    return kind


def _responses_only(model: str, api: str) -> None:
    problem = responses_only_problem(model, api)
    if problem is not None:
        raise _Rejected(400, None, problem)


# ----------------------------------------------------------------- chat endpoints


def _answer(
    fmt: str,
    body: Mapping[str, Any],
    model: str,
    ctx: _Context,
    *,
    metadata: bool,
    wrap: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Reply:
    problem = check_content(fmt, body)
    if problem is not None:
        raise _invalid(problem)
    prompt = PROMPT_READERS[_READERS[fmt]](body)
    turn = ctx.turn or Turn()
    if turn.cut and fmt != "openai_chat":
        raise _Rejected(400, None, f"{HEADER}: 'cut' is emulated on the Chat Completions format")
    decided = decide(
        prompt,
        model=model,
        seed=ctx.seed,
        script=ctx.script,
        more_tools=turn.more_tools,
        cut=turn.cut,
    )
    answer = _cached(fmt, body, decided, ctx)
    build_json, build_frames = FORMATS[fmt]
    server = server_reply(fmt, body, build_json(answer, metadata), prompt.user_text)
    if server is not None:  # server tools / citations (emulator/_server_replies.py)
        if body.get("stream") is True:
            return Reply.sse(server_frames(fmt, server))
        return Reply.json(wrap(server) if wrap else server)
    if body.get("stream") is True:
        frames = build_frames(answer, metadata)
        if fmt == "openai_chat" and not chat_usage_wanted(body):
            frames = drop_usage_chunks(frames)  # usage only when asked, as OpenAI (_strict)
        if turn.interleave and fmt == "openai_chat":
            frames = interleave_tool_fragments(frames)
        if turn.no_end:
            frames = strip_terminal(frames)  # a stream cut before its end (emulator/_turns.py)
        return Reply.sse(frames)
    reply = build_json(answer, metadata)
    return Reply.json(wrap(reply) if wrap else reply)


def _cached(fmt: str, body: Mapping[str, Any], answer: Answer, ctx: _Context) -> Answer:
    """The answer with the prompt-cache usage this gateway reports (emulator/_caching.py)."""
    if ctx.cache is None:
        return answer
    if fmt == "anthropic":
        usage = ctx.cache.anthropic(body)
    else:
        usage = ctx.cache.openai(body, answer.input_tokens)
    if usage is None:
        return answer
    total, read, creation = usage
    return dataclasses.replace(
        answer, input_tokens=total, cache_read_tokens=read, cache_creation_tokens=creation
    )


def _chat_completions(body: Mapping[str, Any], ctx: _Context) -> Reply:
    model = _require(body, "model", str, "string")
    if not _require(body, "messages", list, "array"):
        raise _invalid("Invalid value at messages: Invalid input: expected a non-empty array")
    metadata = _kind(model, ctx) is not ModelKind.WORKERS_AI
    _responses_only(model, "Chat Completions")
    return _answer("openai_chat", body, model, ctx, metadata=metadata)


def _check_anthropic(body: Mapping[str, Any]) -> None:
    _require(body, "messages", list, "array")
    _require(body, "max_tokens", int, "number")
    if "system" in body:
        # system must be a string; block arrays are rejected — docs/wire-notes.md §0.8, A11 [O].
        _require(body, "system", str, "string")
    problem = check_cache_controls(body)
    if problem is not None:
        raise _invalid(problem)


def _messages(body: Mapping[str, Any], ctx: _Context) -> Reply:
    model = _require(body, "model", str, "string")
    if _kind(model, ctx) is ModelKind.WORKERS_AI:
        # "Workers AI models (@cf/) do not support this schema" — docs/wire-notes.md §1.1 [C].
        raise _invalid(
            f"model {model} is a Workers AI model, which does not support the Anthropic Messages "
            "schema on /ai/v1/messages; use /ai/v1/chat/completions"
        )
    _responses_only(model, "Anthropic Messages")
    _check_anthropic(body)
    return _answer("anthropic", body, model, ctx, metadata=True)


def _responses(body: Mapping[str, Any], ctx: _Context) -> Reply:
    model = _require(body, "model", str, "string")
    if not isinstance(body.get("input"), (str, list)):
        _require(body, "input", list, "string or array")
    metadata = _kind(model, ctx) is not ModelKind.WORKERS_AI
    return _answer("responses", body, model, ctx, metadata=metadata)


def _native_run(model: str, body: Mapping[str, Any], ctx: _Context) -> Reply:
    if _kind(model, ctx, NO_SUCH_MODEL) is not ModelKind.WORKERS_AI:
        raise _Rejected(400, 5007, f"No such model {model} or task")
    if "text" in body and "messages" not in body and "prompt" not in body:
        return _native_embeddings(model, body)
    if not isinstance(body.get("prompt"), str):
        _require(body, "messages", list, "array")
    return _answer("native", body, model, ctx, metadata=False)


def _universal_run(body: Mapping[str, Any], ctx: _Context) -> Reply:
    model = _require(body, "model", str, "string")
    inner = _require(body, "input", dict, "object")
    fmt = _UNIVERSAL_FORMATS[_kind(model, ctx)]
    if responses_only_problem(model, "") is not None:
        fmt = "responses"  # a Responses-only model's run input is a Responses body
        if not isinstance(inner.get("input"), (str, list)):
            _require(inner, "input", list, "string or array")
    elif fmt == "anthropic":
        _check_anthropic(inner)
    else:
        _require(inner, "messages", list, "array")
    # The stream flag travels inside input (wire/workers_ai.py); accept it top-level too.
    inner = {**inner, "stream": inner.get("stream") is True or body.get("stream") is True}
    return _answer(fmt, inner, model, ctx, metadata=False, wrap=universal_envelope)


def _run(body: Mapping[str, Any], ctx: _Context) -> Reply:
    _, _, model = ctx.request.path.partition("/ai/run/")
    if model.strip("/"):
        return _native_run(model.strip("/"), body, ctx)
    return _universal_run(body, ctx)


# ----------------------------------------------------------------- embeddings


def _texts(body: Mapping[str, Any], key: str) -> list[str]:
    value = _require(body, key, object, "string or array of strings")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise _wrong_type(key, "string or array of strings", value)
    if not 1 <= len(texts) <= _MAX_TEXTS:
        raise _invalid(
            f"Invalid value at {key}: expected 1 to {_MAX_TEXTS} texts, got {len(texts)}"
        )
    return list(texts)


def _embeddings(body: Mapping[str, Any], ctx: _Context) -> Reply:
    model = _require(body, "model", str, "string")
    _kind(model, ctx)
    texts = _texts(body, "input")
    size = dimensions_for(model)
    if "dimensions" in body:
        size = _require(body, "dimensions", int, "number")
        if not 1 <= size <= MAX_DIMENSIONS:
            raise _invalid(f"Invalid value at dimensions: expected 1 to {MAX_DIMENSIONS}")
    return Reply.json(openai_embeddings(model, texts, size))


def _native_embeddings(model: str, body: Mapping[str, Any]) -> Reply:
    pooling = body.get("pooling", "mean")
    if pooling not in ("mean", "cls"):
        raise _invalid("Invalid value at pooling: expected 'mean' or 'cls'")
    result = native_embeddings(model, _texts(body, "text"), pooling)
    return Reply.json(v4_envelope(result))


# ----------------------------------------------------------------- dispatch


@dataclasses.dataclass(frozen=True, slots=True)
class _Context:
    request: RecordedRequest
    script: Script | None
    seed: str
    cache: PromptCache | None = None
    accept_any_model: bool = False
    turn: Turn | None = None


_HANDLERS: dict[str, Callable[[Mapping[str, Any], _Context], Reply]] = {
    "chat_completions": _chat_completions,
    "messages": _messages,
    "responses": _responses,
    "run": _run,
    "embeddings": _embeddings,
}


def _body(request: RecordedRequest) -> Mapping[str, Any]:
    try:
        body = json.loads(request.content)
    except (ValueError, RecursionError):
        raise _invalid("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _invalid(f"Invalid input: expected object, received {_json_type(body)}")
    return body


def _seed(request: RecordedRequest) -> str:
    """A digest of the request without its stream flags, so stream and JSON replies share ids."""
    body = request.json
    if isinstance(body, dict):
        clean = {k: v for k, v in body.items() if k not in _STREAM_KEYS}
        if isinstance(clean.get("input"), dict):
            clean["input"] = {k: v for k, v in clean["input"].items() if k not in _STREAM_KEYS}
        material = json.dumps(clean, sort_keys=True, ensure_ascii=False)
    else:
        material = request.content.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.path}\n{material}".encode()).hexdigest()


def _gateway_headers(request: RecordedRequest) -> dict[str, str]:
    # Response headers — docs/wire-notes.md §3.2; no log id when logging is off (§3.1 [O]).
    # Each reply gets its own ids (emulator/_strict.py); a caller's event id is echoed.
    log_id = new_id()
    headers = {
        "cf-aig-cache-status": "MISS",
        "cf-aig-event-id": request.headers.get("cf-aig-event-id") or new_id(),
        "cf-aig-request-id": log_id,
        "cf-aig-step": "0",
    }
    if request.headers.get("cf-aig-collect-log", "").strip().lower() != "false":
        headers["cf-aig-log-id"] = log_id
    return headers


def _scripted_error(script: ErrorScript, request: RecordedRequest) -> Reply:
    if script.body is not None:
        return Reply.json(script.body, status=script.status)
    body = request.json
    model = body.get("model") if isinstance(body, dict) else None
    template = CODE_MESSAGES.get(script.code or 0, "Emulated error")
    message = script.message or template.format(model=model or "the model")
    headers = {} if script.retry_after is None else {"retry-after": str(script.retry_after)}
    return Reply.error(script.status, code=script.code, message=message, headers=headers)


def _reply(
    request: RecordedRequest, seed: str, cache: PromptCache | None, accept_any_model: bool
) -> Reply:
    handler = _HANDLERS[str(request.endpoint)]
    raw = request.headers.get(HEADER)
    turn = None
    if raw is not None:
        turns = parse_turns(raw)  # one reply per assistant turn (emulator/_turns.py)
        turn = turns[min(assistant_turns(request.json), len(turns) - 1)]
    script = turn.script if turn is not None else None
    if isinstance(script, ErrorScript):
        return _scripted_error(script, request)
    media = media_reply(request) if request.endpoint == "run" else None
    if media is not None:  # image, speech and rerank models (emulator/_media.py)
        return media
    context = _Context(request, script, seed, cache, accept_any_model, turn)
    return handler(_body(request), context)


def default_reply(
    request: RecordedRequest,
    *,
    auto_reply: bool,
    prompt_cache: PromptCache | None = None,
    accept_any_model: bool = False,
) -> Reply:
    """The reply when nothing is queued (see the module docstring).

    Args:
        request: the recorded request.
        auto_reply: when False, answer 500 saying no reply was queued.
        prompt_cache: the gateway's prompt-cache memory (cache token counts on repeated cached
            prompts); ``None`` reports no cached tokens.
        accept_any_model: answer models the catalogue does not list instead of the gateway's
            ``404`` / 7003 (emulator/_strict.py).
    """
    if not auto_reply:
        return Reply.error(500, message=NOT_QUEUED_MESSAGE)
    if request.endpoint is None:
        status, code, message = _NO_ROUTE
        return Reply.error(status, code=code, message=message)
    if request.method != "POST":
        return Reply.error(405, message=f"Method {request.method} not allowed; use POST.")
    seed = _seed(request)
    try:
        reply = _reply(request, seed, prompt_cache, accept_any_model)
    except ScriptError as exc:
        reply = Reply.error(400, message=str(exc))
    except _Rejected as exc:
        reply = Reply.error(exc.status, code=exc.code, message=exc.message)
    headers = {**reply.headers, **_gateway_headers(request)}
    return dataclasses.replace(reply, headers=headers)
