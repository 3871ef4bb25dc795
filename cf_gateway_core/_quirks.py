"""Workarounds for documented gateway quirks that need a second request.

Pure decisions; the stream shells do the I/O.

GPT-OSS on the native run path: ``POST /ai/run/@cf/openai/gpt-oss-*`` with ``"stream": true``
answers one JSON body whose result is empty instead of a stream. Cloudflare's own
``workers-ai-provider`` then asks again without streaming (docs/gateway-2026.md); so do we, once,
and replay the answer as a stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cf_gateway_core.errors import GatewayError
from cf_gateway_core.wire import get_format

if TYPE_CHECKING:
    from cf_gateway_core._base import Prepared

__all__ = ["empty_native_result", "without_stream"]

# A result with nothing in it: null, "", {} or [] — or a reply that parses to no text, no
# reasoning and no tool call.
_EMPTY: tuple[Any, ...] = (None, "", {}, [])
_STREAM_KEYS = ("stream", "stream_options")


def empty_native_result(prepared: Prepared, content: bytes) -> bool:
    """Whether a JSON answer to a streamed native ``/ai/run/@cf/…`` request is empty."""
    if not (prepared.stream and prepared.route.native):
        return False
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return False
    if not isinstance(body, Mapping) or body.get("success") is False:
        return False
    if body.get("result") in _EMPTY:
        return True
    try:
        parsed = get_format(prepared.route.endpoint).parse_response(body)
    except GatewayError:
        return False
    return not (parsed.text or parsed.reasoning or parsed.tool_calls)


def without_stream(prepared: Prepared) -> Prepared:
    """The same request asking for one JSON reply (no ``stream`` / ``stream_options``)."""
    payload = json.loads(prepared.content)
    for key in _STREAM_KEYS:
        payload.pop(key, None)
    content = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return replace(prepared, content=content, stream=False)
