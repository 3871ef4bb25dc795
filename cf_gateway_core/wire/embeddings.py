"""Embedding payloads and replies for ``/ai/v1/embeddings`` and native ``/ai/run/{model}``.

``/ai/v1/embeddings`` speaks OpenAI's embeddings API (``{"model", "input"}`` in, an OpenAI list
out); the native Workers AI run path takes ``{"text": [...]}`` and answers
``{"result": {"shape": [n, d], "data": [[...], ...]}}`` in the v4 envelope. The client batches
inputs to :data:`MAX_BATCH` before calling :func:`build_payload`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cf_gateway_core.errors import GatewayConfigError, GatewayError, error_from_response
from cf_gateway_core.messages import EmbeddingRequest, EmbeddingResponse, Usage
from cf_gateway_core.routing import Endpoint, Route

__all__ = ["MAX_BATCH", "build_payload", "parse_response"]

MAX_BATCH = 100
"""Most texts one request may carry (Workers AI ``text`` arrays hold ≤ 100 — §6.2 [C])."""


def build_payload(request: EmbeddingRequest, route: Route) -> dict[str, Any]:
    """Build the JSON body of one embeddings call.

    Args:
        request: the texts (at most :data:`MAX_BATCH`), model, optional ``dimensions`` and
            ``extra_body`` (merged last; e.g. ``{"pooling": "cls"}`` on the native path).
        route: from :func:`~cf_gateway_core.routing.embeddings_route`: ``embeddings`` gives
            ``{"model", "input"[, "dimensions"]}``, ``run`` gives the native ``{"text": [...]}``.

    Raises:
        GatewayConfigError: no texts, more than :data:`MAX_BATCH`, ``dimensions`` on the native
            path, or a route embeddings cannot use.
    """
    texts = list(request.texts)
    if not texts or len(texts) > MAX_BATCH:
        raise GatewayConfigError(
            f"an embeddings request takes 1 to {MAX_BATCH} texts, got {len(texts)}; "
            "split the input into batches (the client does this for you)."
        )
    if route.endpoint is Endpoint.EMBEDDINGS:
        payload: dict[str, Any] = {"model": route.model.id, "input": texts}
        if request.dimensions is not None:
            payload["dimensions"] = request.dimensions
    elif route.native:
        if request.dimensions is not None:
            raise GatewayConfigError(
                "dimensions is not supported on the native Workers AI run path (the model fixes "
                "its vector size); drop dimensions or use endpoint='auto' (/ai/v1/embeddings)."
            )
        # Native input {"text": string[], "pooling"?} — docs/wire-notes.md §6.2 [C].
        payload = {"text": texts}
    else:
        raise GatewayConfigError(
            f"embeddings cannot be sent to {route.path!r}; use embeddings_route() to pick "
            "/ai/v1/embeddings or /ai/run/@cf/… for an embedding model."
        )
    payload.update(request.extra_body)
    return payload


def parse_response(body: Any) -> EmbeddingResponse:
    """Parse an embeddings reply into one vector per input, in input order.

    Accepts an OpenAI list (``{"data": [{"embedding", "index"}], "model", "usage"}``), the same
    list inside ``{"result": …}``, and the Workers AI v4 envelope ``{"result": {"shape", "data":
    [[…]], "pooling", "usage"?}}``.

    Raises:
        APIStatusError: a 2xx reply whose envelope says ``"success": false``.
        GatewayError: the body has none of these shapes, or an embedding is not a list of numbers
            (base64 strings are never requested).
    """
    node = _unwrap(body)
    data = node.get("data")
    if not isinstance(data, list):
        raise GatewayError(
            "embeddings reply has no 'data' list (keys: "
            f"{', '.join(sorted(map(str, node))) or 'none'})."
        )
    if data and all(isinstance(item, Mapping) for item in data):
        vectors = _openai_vectors(data)
    else:
        vectors = _native_vectors(data, node.get("shape"))
    model = node.get("model")
    return EmbeddingResponse(
        vectors=vectors,
        model=model if isinstance(model, str) else None,
        usage=_map_usage(node.get("usage")),
    )


def _unwrap(body: Any) -> Mapping[str, Any]:
    # The v4 envelope wraps the output in "result" (CF-LC-EMB reads result.data — §6.2 [C]);
    # /ai/v1/embeddings answers the bare OpenAI list (§4.1 [O]).
    node = body
    for _ in range(3):
        if not isinstance(node, Mapping):
            break
        if node.get("success") is False:
            raise error_from_response(200, {}, json.dumps(node).encode())
        if "data" in node or "result" not in node:
            return node
        node = node["result"]
    raise GatewayError(
        f"embeddings reply is not a JSON object with 'data' (got {type(node).__name__})."
    )


def _openai_vectors(data: list[Mapping[str, Any]]) -> list[list[float]]:
    """Vectors sorted by ``index`` (an OpenAI list may come in any order).

    Without any index they keep their position. Indexes must be exactly ``0 … n-1``: a
    duplicate, missing or extra index would pair a text with another text's vector.
    """
    raw = [item.get("index") for item in data]
    if all(index is None for index in raw):
        return [_vector(item.get("embedding")) for item in data]
    indexes = [i if isinstance(i, int) and not isinstance(i, bool) else -1 for i in raw]
    if sorted(indexes) != list(range(len(data))):
        shown = ", ".join(map(repr, raw[:20])) + (", …" if len(raw) > 20 else "")
        raise GatewayError(
            f"embeddings reply holds {len(data)} vectors whose indexes are not 0 to "
            f"{len(data) - 1} exactly once each (got {shown}); the vectors cannot be matched "
            "to the texts."
        )
    by_index = sorted(zip(indexes, data, strict=True), key=lambda pair: pair[0])
    return [_vector(item.get("embedding")) for _, item in by_index]


def _native_vectors(data: list[Any], shape: Any) -> list[list[float]]:
    if isinstance(shape, list) and shape and shape[0] != len(data):
        raise GatewayError(f"embeddings reply says shape {shape} but holds {len(data)} vectors.")
    return [_vector(item) for item in data]


def _vector(value: Any) -> list[float]:
    if isinstance(value, str):
        raise GatewayError(
            "embeddings reply holds a base64 string, not a list of floats; "
            "encoding_format is never requested, so the reply is unexpected."
        )
    if not isinstance(value, list):
        raise GatewayError(f"an embedding must be a list of numbers, got {type(value).__name__}.")
    try:
        return [float(x) for x in value]
    except (TypeError, ValueError) as exc:
        raise GatewayError(f"an embedding holds a value that is not a number: {exc}") from exc


def _map_usage(value: Any) -> Usage | None:
    # OpenAI {"prompt_tokens", "total_tokens"}; Workers AI adds "neurons" (ignored) — §6.2 [O].
    if not isinstance(value, Mapping):
        return None
    prompt = value.get("prompt_tokens")
    total = value.get("total_tokens")
    prompt = prompt if isinstance(prompt, int) and not isinstance(prompt, bool) else 0
    total = total if isinstance(total, int) and not isinstance(total, bool) else prompt
    return Usage(input_tokens=prompt, total_tokens=total)
