"""What the fake gateway answers: the reply bodies and stream events of each API.

Plain JSON values (``*_text``, ``*_tool``: a short answer, one ``get_weather`` tool call) and the
SSE event frames of a stream (``*_stream(n)``: ``n`` text events between the start and the end
events of that API, each frame a complete ``data:`` event with its blank line). They are built,
once and before the server listens, with the package's public reply builders
(``cf_gateway_core.testing``, docs/testing.md): the wire shapes the emulator and the tests use.
How they are sent (HTTP framing, one chunk per event, pacing) is ``fake_server.py``'s business;
this module only says what is in them.
"""

from __future__ import annotations

import json
from typing import Any

from cf_gateway_core.testing import (
    ToolCall,
    Turn,
    Usage,
    anthropic_message,
    anthropic_stream as anthropic_events,
    chat_completion,
    chat_completion_chunks,
    embedding_list,
    run_result,
    run_stream as run_events,
    sse_chunks,
)

ANSWER = "Cloudflare AI Gateway sits between your app and the model providers."
TOOL_ARGS = {"city": "Lisbon", "unit": "celsius"}
USAGE = Usage(input_tokens=12, output_tokens=9)
TEXT = Turn(text=ANSWER, usage=USAGE, id="bench")
# No explicit call id: each API gets an id in its own style (call_…, toolu_01…).
TOOL = Turn(tool_calls=[ToolCall("get_weather", TOOL_ARGS)], usage=USAGE, id="bench")
OPENAI_MODEL = "gpt-5.5"
ANTHROPIC_MODEL = "claude-sonnet-4-5"


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _token(i: int) -> str:
    return f"w{i % 100} "


def _streamed(n: int) -> Turn:
    """A reply streamed as ``n`` text events."""
    tokens = [_token(i) for i in range(n)]
    usage = Usage(input_tokens=12, output_tokens=n)
    return Turn(text="".join(tokens), chunks=tokens, usage=usage, id="bench")


# --------------------------------------------------------------------------- OpenAI Chat


def openai_text() -> dict[str, Any]:
    return chat_completion(TEXT, model=OPENAI_MODEL)


def openai_tool() -> dict[str, Any]:
    return chat_completion(TOOL, model=OPENAI_MODEL)


def openai_stream(n: int, include_usage: bool = False) -> list[bytes]:
    """As OpenAI answers: with ``stream_options.include_usage`` in the request, every chunk has
    ``"usage": null`` and a last ``choices: []`` chunk carries the usage; without it, no chunk
    has a ``usage`` field (https://platform.openai.com/docs/api-reference/chat-streaming)."""
    turn = _streamed(n)
    body = chat_completion(turn, model=OPENAI_MODEL)
    events = chat_completion_chunks(body, split=turn.split, include_usage=include_usage)
    return sse_chunks(events, compact=True)


# --------------------------------------------------------------------------- Anthropic


def anthropic_text() -> dict[str, Any]:
    return anthropic_message(TEXT, model=ANTHROPIC_MODEL)


def anthropic_tool() -> dict[str, Any]:
    return anthropic_message(TOOL, model=ANTHROPIC_MODEL)


def anthropic_stream(n: int, include_usage: bool = False) -> list[bytes]:
    """Anthropic's stream always reports usage (``message_start``, ``message_delta``)."""
    turn = _streamed(n)
    events = anthropic_events(anthropic_message(turn, model=ANTHROPIC_MODEL), split=turn.split)
    return sse_chunks(events, compact=True)


# --------------------------------------------------------------------------- Workers AI run


def run_text() -> dict[str, Any]:
    return run_result(TEXT)


def run_tool() -> dict[str, Any]:
    return run_result(TOOL)


def run_stream(n: int, include_usage: bool = False) -> list[bytes]:
    """Workers AI's native stream has no ``stream_options``; its usage comes at the end."""
    turn = _streamed(n)
    return sse_chunks(run_events(run_result(turn), split=turn.split), compact=True)


def embeddings() -> dict[str, Any]:
    return embedding_list([[0.01] * 768], tokens=4)


# api -> (text reply, tool-call reply, stream frames of n text events: (n, include_usage))
BODIES: dict[str, tuple[Any, Any, Any]] = {
    "openai": (openai_text, openai_tool, openai_stream),
    "anthropic": (anthropic_text, anthropic_tool, anthropic_stream),
    "run": (run_text, run_tool, run_stream),
}
