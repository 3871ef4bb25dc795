"""A FakeGateway that answers every request from the request itself ("a scripted model").

The langchain-tests integration suite asks semantic questions ("call magic_function(3)", "tell a
joke as JSON"); this fake answers them deterministically so the suite runs offline:

- tools offered and the last turn is the user's → a call to the forced tool, else to the first
  tool whose name appears in the prompt, else the first tool; arguments are synthesised from the
  tool's JSON schema (integers from the prompt in order, strings quoted in the prompt);
- ``response_format`` → a JSON object (schema-synthesised, or the keys quoted in the prompt);
- anything else → a short greeting;
- embeddings → a bag-of-words vector per text (so similar texts have similar vectors).

Replies are rendered as Chat Completions or Anthropic Messages bodies, as JSON or SSE matching
the request's ``stream`` flag, with gateway headers. Only the public FakeGateway API is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cf_gateway_core.testing import FakeGateway, RecordedRequest, Reply, endpoint_of

GREETING = "Hello! How can I help you today?"
HEADERS = {"cf-aig-log-id": "log-1", "cf-aig-cache-status": "MISS", "cf-aig-step": "0"}
USAGE = (12, 7)

_INT = re.compile(r"-?\d+")
_QUOTED = re.compile(r"'([^']+)'")


@dataclass
class Decision:
    """What the scripted model answers: text, or one tool call."""

    text: str = ""
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)


def _synth(schema: Mapping[str, Any], prompt: str, ints: list[int]) -> Any:
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {name: _synth(sub, prompt, ints) for name, sub in props.items()}
    if kind in ("integer", "number"):
        return ints.pop(0) if ints else 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [_synth(schema.get("items") or {}, prompt, ints)]
    quoted = _QUOTED.findall(prompt)
    return quoted[0] if quoted else "pirate"


def decide(
    prompt: str,
    last_role: str,
    tools: dict[str, Mapping[str, Any]],
    forced: str | None,
    choice_none: bool,
    response_format: Mapping[str, Any] | None,
) -> Decision:
    """The neutral decision for one request."""
    if tools and last_role == "user" and not choice_none:
        name = forced or next((n for n in tools if n in prompt), next(iter(tools)))
        return Decision(tool=name, arguments=_synth(tools[name], prompt, _ints(prompt)))
    if response_format is not None:
        schema = response_format.get("schema") or response_format.get("json_schema")
        if isinstance(schema, Mapping) and "schema" in schema:
            schema = schema["schema"]
        if isinstance(schema, Mapping):
            return Decision(text=json.dumps(_synth(schema, prompt, _ints(prompt))))
        keys = _QUOTED.findall(prompt) or ["answer"]
        return Decision(text=json.dumps({key: f"{key} text" for key in keys}))
    return Decision(text=GREETING)


def _ints(prompt: str) -> list[int]:
    return [int(x) for x in _INT.findall(prompt)]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, Mapping))
    return ""


# --------------------------------------------------------------------------- Chat Completions


def _openai_decision(body: Mapping[str, Any]) -> Decision:
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    tools = {
        t["function"]["name"]: t["function"].get("parameters") or {}
        for t in body.get("tools") or []
    }
    choice = body.get("tool_choice")
    forced = choice["function"]["name"] if isinstance(choice, Mapping) else None
    user = [m for m in messages if m.get("role") == "user"]
    prompt = _text_of(user[-1].get("content")) if user else ""
    return decide(
        prompt, last.get("role", ""), tools, forced, choice == "none", body.get("response_format")
    )


def _openai_json(decision: Decision, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": decision.text or None}
    if decision.tool:
        message["tool_calls"] = [
            {
                "id": "call_scripted_0",
                "type": "function",
                "function": {
                    "name": decision.tool,
                    "arguments": json.dumps(decision.arguments, ensure_ascii=False),
                },
            }
        ]
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if decision.tool else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": USAGE[0],
            "completion_tokens": USAGE[1],
            "total_tokens": sum(USAGE),
        },
    }


def _halves(text: str) -> list[str]:
    middle = len(text) // 2
    return [piece for piece in (text[:middle], text[middle:]) if piece]


def _openai_sse(decision: Decision, model: str) -> list[Any]:
    base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "model": model}
    frames: list[Any] = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    ]
    for piece in _halves(decision.text):
        frames.append({**base, "choices": [{"index": 0, "delta": {"content": piece}}]})
    if decision.tool:
        head = {
            "index": 0,
            "id": "call_scripted_0",
            "type": "function",
            "function": {"name": decision.tool, "arguments": ""},
        }
        frames.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [head]}}]})
        for piece in _halves(json.dumps(decision.arguments, ensure_ascii=False)):
            fragment = {"index": 0, "function": {"arguments": piece}}
            frames.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [fragment]}}]})
    reason = "tool_calls" if decision.tool else "stop"
    frames.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
    usage = {"prompt_tokens": USAGE[0], "completion_tokens": USAGE[1], "total_tokens": sum(USAGE)}
    frames.append({**base, "choices": [], "usage": usage})
    frames.append("[DONE]")
    return frames


# --------------------------------------------------------------------------- Anthropic Messages


def _anthropic_decision(body: Mapping[str, Any]) -> Decision:
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    content = last.get("content")
    is_result = isinstance(content, list) and any(b.get("type") == "tool_result" for b in content)
    tools = {t["name"]: t.get("input_schema") or {} for t in body.get("tools") or []}
    choice = body.get("tool_choice") or {}
    forced = choice.get("name") if choice.get("type") == "tool" else None
    users = [m for m in messages if m.get("role") == "user"]
    prompt = _text_of(users[-1].get("content")) if users else ""
    role = "tool" if is_result else last.get("role", "")
    return decide(prompt, role, tools, forced, choice.get("type") == "none", None)


def _anthropic_json(decision: Decision, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if decision.text:
        content.append({"type": "text", "text": decision.text})
    if decision.tool:
        content.append(
            {
                "type": "tool_use",
                "id": "toolu_scripted_0",
                "name": decision.tool,
                "input": decision.arguments,
            }
        )
    return {
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if decision.tool else "end_turn",
        "usage": {"input_tokens": USAGE[0], "output_tokens": USAGE[1]},
    }


def _anthropic_sse(decision: Decision, model: str) -> list[Any]:
    start = {
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "usage": {"input_tokens": USAGE[0], "output_tokens": 1},
    }
    frames: list[Any] = [("message_start", {"type": "message_start", "message": start})]
    index = 0
    if decision.text:
        frames.append(
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        )
        for piece in _halves(decision.text):
            frames.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": piece},
                    },
                )
            )
        frames.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        index = 1
    if decision.tool:
        block = {"type": "tool_use", "id": "toolu_scripted_0", "name": decision.tool, "input": {}}
        frames.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        )
        for piece in _halves(json.dumps(decision.arguments, ensure_ascii=False)):
            delta = {"type": "input_json_delta", "partial_json": piece}
            frames.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        frames.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    reason = "tool_use" if decision.tool else "end_turn"
    frames.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reason},
                "usage": {"output_tokens": USAGE[1]},
            },
        )
    )
    frames.append(("message_stop", {"type": "message_stop"}))
    return frames


# --------------------------------------------------------------------------- embeddings

DIMENSIONS = 64


def embed_text(text: str) -> list[float]:
    """A deterministic bag-of-words vector: each word adds 1 to a slot chosen by its letters."""
    vector = [0.0] * DIMENSIONS
    for word in re.findall(r"[a-z]+", text.lower()):
        vector[sum(map(ord, word)) % DIMENSIONS] += 1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


def _embeddings_reply(body: Mapping[str, Any]) -> Reply:
    texts = body.get("input", body.get("text"))
    texts = [texts] if isinstance(texts, str) else list(texts or [])
    vectors = [embed_text(text) for text in texts]
    if "text" in body:  # native /ai/run/@cf/… envelope
        result = {"shape": [len(vectors), DIMENSIONS], "data": vectors, "pooling": "mean"}
        return Reply.json({"result": result, "success": True, "errors": [], "messages": []})
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
    return Reply.json({"object": "list", "data": data, "model": body.get("model"), "usage": usage})


_RENDERERS = {
    "chat_completions": (_openai_decision, _openai_json, _openai_sse),
    "messages": (_anthropic_decision, _anthropic_json, _anthropic_sse),
}


def scripted_reply(request: RecordedRequest) -> Reply:
    """The reply the scripted model gives to ``request``."""
    renderers = _RENDERERS.get(request.endpoint or "")
    body = request.json
    if isinstance(body, dict) and (request.endpoint == "embeddings" or "text" in body):
        return _embeddings_reply(body)
    if renderers is None or not isinstance(body, dict):
        return Reply.error(400, message=f"scripted gateway: cannot answer {request.path}")
    decide_fn, as_json, as_sse = renderers
    decision = decide_fn(body)
    model = str(body.get("model", ""))
    if body.get("stream"):
        return Reply.sse(as_sse(decision, model), headers=HEADERS)
    return Reply.json(as_json(decision, model), headers=HEADERS)


class ScriptedGateway(FakeGateway):
    """A FakeGateway whose every reply comes from :func:`scripted_reply` (requests recorded)."""

    def reply_for(self, method: str, url: str, headers: Mapping[str, str], content: bytes) -> Reply:
        """Record the request and answer it from its content."""
        path = httpx.URL(url).path
        _, endpoint = endpoint_of(path)
        recorded = RecordedRequest(
            method=method,
            url=url,
            path=path,
            endpoint=endpoint,
            headers={k.lower(): v for k, v in headers.items()},
            content=content,
        )
        self.requests.append(recorded)
        return scripted_reply(recorded)
