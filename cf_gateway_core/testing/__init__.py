"""The test double: :class:`FakeGateway` and the public reply builders.

The emulator, the package's tests and the benchmark server build their replies with the same
builders.

- :class:`FakeGateway` — an ``httpx.MockTransport`` handler that scripts replies per endpoint
  and records requests; unscripted requests get the emulator's deterministic answer.
- :class:`Turn` (with :class:`ToolCall`, :class:`Usage`) — one assistant reply independent of
  the API: text, several tool calls, reasoning, usage, truncation.
- Builders per wire format, JSON body first and the stream derived from it:
  :func:`chat_completion` / :func:`chat_completion_chunks` (OpenAI Chat Completions),
  :func:`anthropic_message` / :func:`anthropic_stream` (Anthropic Messages),
  :func:`responses_object` / :func:`responses_stream` (OpenAI Responses),
  :func:`run_result` / :func:`run_stream` (Workers AI native), :func:`universal_envelope`
  (universal ``/ai/run``), :func:`embedding_list` and :func:`run_embeddings`.
- Streams as event lists or bytes: :func:`sse_bytes`, :func:`sse_chunks` (one chunk per event).
- Errors: :func:`error_envelope`, :func:`error_reply`, the 2026 answers
  (:func:`spend_cap_reply`, :func:`byok_rejected_reply`, :func:`credentials_rejected_reply`).
- :meth:`FakeGateway.queue_turns` — a script of turns for agent loops, each answered in the
  format of the request it meets.
- :func:`offline_unless_credentials` — your account when ``CLOUDFLARE_ACCOUNT_ID`` and
  ``CLOUDFLARE_API_TOKEN`` are set, else the emulator on loopback, through the environment (the
  notebooks' first cell); it returns a :class:`GatewayTarget`.

See docs/testing.md. Names that need ``httpx`` or the emulator are imported on first use, so
importing a builder module costs no more than the builder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cf_gateway_core.testing.anthropic import (
    message as anthropic_message,
    message_events as anthropic_events,
    message_stream as anthropic_stream,
)
from cf_gateway_core.testing.embeddings import embedding_list
from cf_gateway_core.testing.errors import (
    BYOK_REJECTED,
    CODE_MESSAGES,
    CODE_STATUS,
    CREDENTIALS_REJECTED,
    error_envelope,
    spend_cap_body,
)
from cf_gateway_core.testing.openai_chat import chat_completion, chat_completion_chunks, chat_events
from cf_gateway_core.testing.responses import (
    response as responses_object,
    response_events as responses_events,
    response_stream as responses_stream,
)
from cf_gateway_core.testing.sse import SSEItem, encode_event, sse_bytes, sse_chunks
from cf_gateway_core.testing.turns import ToolCall, Turn, Usage, fragments, word_pieces
from cf_gateway_core.testing.workers_ai import (
    run_embeddings,
    run_events,
    run_result,
    run_stream,
    universal_envelope,
    v4_envelope,
)

if TYPE_CHECKING:
    from cf_gateway_core.emulator.exchange import (
        ENDPOINT_PATHS,
        RecordedRequest,
        Reply,
        endpoint_of,
    )
    from cf_gateway_core.testing._fake import FakeGateway
    from cf_gateway_core.testing._offline import GatewayTarget, offline_unless_credentials
    from cf_gateway_core.testing.replies import (
        WireFormat,
        byok_rejected_reply,
        credentials_rejected_reply,
        error_reply,
        reply_to,
        spend_cap_reply,
        turn_body,
        turn_events,
        turn_reply,
    )

__all__ = [
    "BYOK_REJECTED",
    "CODE_MESSAGES",
    "CODE_STATUS",
    "CREDENTIALS_REJECTED",
    "ENDPOINT_PATHS",
    "FakeGateway",
    "GatewayTarget",
    "RecordedRequest",
    "Reply",
    "SSEItem",
    "ToolCall",
    "Turn",
    "Usage",
    "WireFormat",
    "anthropic_events",
    "anthropic_message",
    "anthropic_stream",
    "byok_rejected_reply",
    "chat_completion",
    "chat_completion_chunks",
    "chat_events",
    "credentials_rejected_reply",
    "embedding_list",
    "encode_event",
    "endpoint_of",
    "error_envelope",
    "error_reply",
    "fragments",
    "offline_unless_credentials",
    "reply_to",
    "responses_events",
    "responses_object",
    "responses_stream",
    "run_embeddings",
    "run_events",
    "run_result",
    "run_stream",
    "spend_cap_body",
    "spend_cap_reply",
    "sse_bytes",
    "sse_chunks",
    "turn_body",
    "turn_events",
    "turn_reply",
    "universal_envelope",
    "v4_envelope",
    "word_pieces",
]

# Name -> the module that defines it, imported on first access (PEP 562): these need httpx and
# the emulator, which the pure builders above do not.
_LAZY: dict[str, str] = {
    "FakeGateway": "cf_gateway_core.testing._fake",
    **dict.fromkeys(
        ("GatewayTarget", "offline_unless_credentials"), "cf_gateway_core.testing._offline"
    ),
    **dict.fromkeys(
        ("ENDPOINT_PATHS", "RecordedRequest", "Reply", "endpoint_of"),
        "cf_gateway_core.emulator.exchange",
    ),
    **dict.fromkeys(
        (
            "WireFormat",
            "byok_rejected_reply",
            "credentials_rejected_reply",
            "error_reply",
            "reply_to",
            "spend_cap_reply",
            "turn_body",
            "turn_events",
            "turn_reply",
        ),
        "cf_gateway_core.testing.replies",
    ),
}


def __getattr__(name: str) -> Any:
    """Import a lazily exported name on first access."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, lazily exported ones included."""
    return sorted(__all__)
