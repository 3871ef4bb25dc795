"""Workers AI replies: the native ``/ai/run/@cf/…`` shape, the universal ``/ai/run`` envelope.

The native run API answers a Cloudflare v4 envelope whose ``result`` holds the legacy
``{"response", "tool_calls", "usage"}`` (https://developers.cloudflare.com/workers-ai/models/ —
each text-generation model's output schema) and streams ``data: {"response": …}`` events, a usage
trailer and ``[DONE]``. The universal ``POST /ai/run`` (model in the body,
https://developers.cloudflare.com/ai-gateway/usage/rest-api/) nests the provider's own body:
``{"success", "result": {"result": <body>, "gatewayMetadata"}}`` (docs/wire-notes.md §0.5), and
streams the provider's own events. Embedding results: ``{"shape", "data", "pooling"}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cf_gateway_core.testing.openai_chat import KEY_SOURCE
from cf_gateway_core.testing.sse import SSEItem
from cf_gateway_core.testing.turns import Split, Turn, word_pieces

__all__ = [
    "run_embeddings",
    "run_events",
    "run_result",
    "run_stream",
    "universal_envelope",
    "v4_envelope",
]

Body = dict[str, Any]
_PADDING = "abcdefghijklmnopqrstuvwxyz0123456789"


def v4_envelope(result: Any) -> Body:
    """Wrap a result in the Cloudflare v4 success envelope.

    Args:
        result: the ``result`` value.

    Returns:
        ``{"result", "success": true, "errors": [], "messages": []}``
        (https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/).
    """
    return {"result": result, "success": True, "errors": [], "messages": []}


def universal_envelope(inner: Mapping[str, Any]) -> Body:
    """Wrap a provider body as the universal ``POST /ai/run`` answers it (doubly nested).

    Args:
        inner: the provider's body (e.g. a ``chat.completion``).

    Returns:
        ``{"success": true, "result": {"result": inner, "gatewayMetadata": …}, …}``.
    """
    result = {"result": dict(inner), "gatewayMetadata": dict(KEY_SOURCE)}
    return {"success": True, "result": result, "errors": [], "messages": []}


def _check(turn: Turn) -> None:
    if turn.reasoning:
        raise ValueError("Turn.reasoning: the native Workers AI reply has no reasoning field")
    if turn.truncated or any(c.raw_arguments is not None for c in turn.tool_calls):
        raise ValueError("a truncated turn: the native Workers AI reply has no finish reason")


def _calls(turn: Turn) -> list[Body]:
    # Legacy calls: arguments an object, no id unless the turn names one (docs/wire-notes.md §6.1).
    calls = []
    for call in turn.tool_calls:
        entry: Body = {"name": call.name, "arguments": dict(call.arguments)}
        if call.id is not None:
            entry = {"id": call.id, **entry}
        calls.append(entry)
    return calls


def run_result(turn: Turn) -> Body:
    """Render a turn as the native run API's JSON reply.

    Args:
        turn: the reply (no reasoning, not truncated: the legacy shape carries neither).
            JSON mode puts ``json_value`` itself in ``response``.

    Returns:
        The v4 envelope around ``{"response", "tool_calls"?, "usage"}``.
    """
    _check(turn)
    result: Body = {"response": turn.json_value if turn.json_value is not None else turn.text}
    if turn.tool_calls:
        result["tool_calls"] = _calls(turn)
    usage = turn.usage
    result["usage"] = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
    return v4_envelope(result)


def run_stream(body: Mapping[str, Any], *, split: Split = word_pieces) -> list[SSEItem]:
    """Derive the native stream of a native JSON reply.

    Args:
        body: a reply from :func:`run_result` (the v4 envelope).
        split: how the text is split into events.

    Returns:
        ``{"response", "p"}`` events (``p`` is the padding Workers AI adds), a ``tool_calls``
        event, the ``{"response": "", "usage"}`` trailer and ``"[DONE]"``.
    """
    result = body["result"]
    text = result.get("response")
    if not isinstance(text, str):
        text = "" if text is None else json.dumps(text, ensure_ascii=False)
    frames: list[SSEItem] = [
        {"response": piece, "p": _PADDING[: 4 + (i * 7) % 30]}
        for i, piece in enumerate(split(text))
    ]
    if result.get("tool_calls"):
        frames.append({"tool_calls": result["tool_calls"], "p": _PADDING[:7]})
    frames.append({"response": "", "usage": result["usage"]})
    return [*frames, "[DONE]"]


def run_events(turn: Turn) -> list[SSEItem]:
    """Render a turn as a native run stream (see :func:`run_stream`).

    Args:
        turn: the reply.

    Returns:
        The events.
    """
    return run_stream(run_result(turn), split=turn.split)


def run_embeddings(
    vectors: Sequence[Sequence[float]], *, pooling: str = "mean", tokens: int | None = None
) -> Body:
    """Render vectors as the native run API's embedding reply.

    Args:
        vectors: one vector per input text.
        pooling: the pooling the request asked for (``mean`` or ``cls``).
        tokens: the prompt tokens to report (default: one per text).

    Returns:
        The v4 envelope around ``{"shape", "data", "pooling", "usage"}``.
    """
    count = len(vectors[0]) if vectors else 0
    used = len(vectors) if tokens is None else tokens
    result = {
        "shape": [len(vectors), count],
        "data": [list(v) for v in vectors],
        "pooling": pooling,
        "usage": {"prompt_tokens": used, "total_tokens": used},
    }
    return v4_envelope(result)
