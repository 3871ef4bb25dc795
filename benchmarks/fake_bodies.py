"""What the fake gateway answers: the reply bodies and stream events of each API.

Plain JSON values (``*_text``, ``*_tool``: a short answer, one ``get_weather`` tool call) and the
SSE event frames of a stream (``*_stream(n)``: ``n`` text events between the start and the end
events of that API, each frame a complete ``data:`` event with its blank line). How they are
sent (HTTP framing, one chunk per event, pacing) is ``fake_server.py``'s business; this module
only says what is in them.
"""

from __future__ import annotations

import json
from typing import Any

ANSWER = "Cloudflare AI Gateway sits between your app and the model providers."
TOOL_ARGS = {"city": "Lisbon", "unit": "celsius"}
USAGE_OPENAI = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _token(i: int) -> str:
    return f"w{i % 100} "


# --------------------------------------------------------------------------- OpenAI Chat


def _openai_message(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1764000000,
        "model": "gpt-5.5",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": USAGE_OPENAI,
    }


def openai_text() -> dict[str, Any]:
    return _openai_message({"role": "assistant", "content": ANSWER}, "stop")


def openai_tool() -> dict[str, Any]:
    call = {
        "id": "call_bench_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": json.dumps(TOOL_ARGS)},
    }
    return _openai_message(
        {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
    )


def openai_stream(n: int) -> list[bytes]:
    def frame(delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1764000000,
            "model": "gpt-5.5",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return b"data: " + dumps(chunk) + b"\n\n"

    frames = [frame({"role": "assistant", "content": ""})]
    frames += [frame({"content": _token(i)}) for i in range(n)]
    frames.append(frame({}, "stop"))
    usage = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1764000000,
        "model": "gpt-5.5",
        "choices": [],
        "usage": USAGE_OPENAI,
    }
    frames.append(b"data: " + dumps(usage) + b"\n\n")
    frames.append(b"data: [DONE]\n\n")
    return frames


# --------------------------------------------------------------------------- Anthropic


def _anthropic_message(content: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    return {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 9},
    }


def anthropic_text() -> dict[str, Any]:
    return _anthropic_message([{"type": "text", "text": ANSWER}], "end_turn")


def anthropic_tool() -> dict[str, Any]:
    block = {"type": "tool_use", "id": "toolu_bench_1", "name": "get_weather", "input": TOOL_ARGS}
    return _anthropic_message([block], "tool_use")


def anthropic_stream(n: int) -> list[bytes]:
    def event(name: str, data: dict[str, Any]) -> bytes:
        return b"event: " + name.encode() + b"\ndata: " + dumps(data) + b"\n\n"

    start = _anthropic_message([], "")
    start["stop_reason"] = None
    start["usage"] = {"input_tokens": 12, "output_tokens": 1}
    frames = [
        event("message_start", {"type": "message_start", "message": start}),
        event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    frames += [
        event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": _token(i)},
            },
        )
        for i in range(n)
    ]
    frames.append(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    frames.append(
        event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": n},
            },
        )
    )
    frames.append(event("message_stop", {"type": "message_stop"}))
    return frames


# --------------------------------------------------------------------------- Workers AI run


def _envelope(result: dict[str, Any]) -> dict[str, Any]:
    return {"result": result, "success": True, "errors": [], "messages": []}


def run_text() -> dict[str, Any]:
    return _envelope({"response": ANSWER, "usage": USAGE_OPENAI})


def run_tool() -> dict[str, Any]:
    call = {"id": "call_bench_1", "name": "get_weather", "arguments": TOOL_ARGS}
    return _envelope({"response": None, "tool_calls": [call], "usage": USAGE_OPENAI})


def run_stream(n: int) -> list[bytes]:
    frames = [b"data: " + dumps({"response": _token(i), "p": "abcdef"}) + b"\n\n" for i in range(n)]
    frames.append(b"data: " + dumps({"response": "", "usage": USAGE_OPENAI}) + b"\n\n")
    frames.append(b"data: [DONE]\n\n")
    return frames


def embeddings() -> dict[str, Any]:
    return {
        "object": "list",
        "model": "@cf/baai/bge-base-en-v1.5",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.01] * 768}],
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }


# api -> (text reply, tool-call reply, stream frames of n text events)
BODIES: dict[str, tuple[Any, Any, Any]] = {
    "openai": (openai_text, openai_tool, openai_stream),
    "anthropic": (anthropic_text, anthropic_tool, anthropic_stream),
    "run": (run_text, run_tool, run_stream),
}
