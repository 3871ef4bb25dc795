"""The thinnest adapter one can write in each framework: the limit for any client of it.

A LangChain ``BaseChatModel`` and a LlamaIndex ``CustomLLM`` that speak each API with raw httpx
(sync calls and streams) and raw aiohttp (async calls): the payload is a plain dict, the reply is
``json.loads`` and one dictionary lookup, a stream yields one framework chunk per ``data:`` line.
Callbacks stay on (the frameworks' own ``invoke``/``stream``/``chat`` machinery runs, with
``on_llm_new_token`` per chunk); nothing is validated and nothing is retried. Tool calling is
implemented for LangChain (``bind_tools``: tool schemas converted once, calls parsed from the
reply); the LlamaIndex ``CustomLLM`` has no tool calling (the framework offers none to it).

This module holds what both share, :class:`Wire` (the payloads and replies of each API as plain
dicts, sent with raw httpx / aiohttp); the adapters are ``thin_lc.py`` (LangChain) and
``thin_li.py`` (LlamaIndex), each importing its framework, so the runner imports them only when it
builds their rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import clients as C
import floors as F

ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01"}


def _url(root: str, api: str) -> str:
    return C.ai_base(root) + F.FLOOR_PATHS[api]


def _headers(api: str) -> dict[str, str]:
    headers = {"authorization": f"Bearer {C.TOKEN}", "content-type": "application/json"}
    return {**headers, **ANTHROPIC_HEADERS} if api == "messages" else headers


class Wire:
    """One API's payloads and replies as plain dicts, sent with raw httpx / aiohttp."""

    def __init__(self, root: str, api: str) -> None:
        import httpx

        self.api = api
        self.url = _url(root, api)
        self.headers = _headers(api)
        self.http = httpx.Client()
        self.session: Any = None  # aiohttp, created inside the event loop on first use

    def payload(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Any:
        body = F.floor_payload(self.api)
        body["messages"] = messages
        if tools:
            body["tools"] = tools
        return body

    def post(self, body: dict[str, Any]) -> Any:
        return self.http.post(self.url, json=body, headers=self.headers).json()

    async def apost(self, body: dict[str, Any]) -> Any:
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession()
        data = json.dumps(body).encode()
        async with self.session.post(self.url, data=data, headers=self.headers) as response:
            return json.loads(await response.read())

    def deltas(self, body: dict[str, Any]) -> Iterator[str]:
        """One text piece per ``data:`` line."""
        body = {**body, "stream": True}
        with self.http.stream("POST", self.url, json=body, headers=self.headers) as response:
            for line in response.iter_lines():
                if line.startswith("data:") and line != "data: [DONE]":
                    yield F.floor_delta(self.api, json.loads(line[5:]))

    def text(self, reply: Any) -> str:
        return F.floor_text(self.api, reply) if not self.tool_calls(reply) else ""

    def tool_calls(self, reply: Any) -> list[dict[str, Any]]:
        """``[{"id", "name", "args"}]`` of a reply."""
        if self.api == "messages":
            blocks = reply["content"]
            return [
                {"id": b["id"], "name": b["name"], "args": b["input"]}
                for b in blocks
                if b["type"] == "tool_use"
            ]
        if self.api == "run":
            calls = reply["result"].get("tool_calls") or []
            return [  # Workers AI native tool calls may come without an id
                {"id": c.get("id") or f"call_{i}", "name": c["name"], "args": c["arguments"]}
                for i, c in enumerate(calls)
            ]
        calls = reply["choices"][0]["message"].get("tool_calls") or []
        return [
            {
                "id": c["id"],
                "name": c["function"]["name"],
                "args": json.loads(c["function"]["arguments"]),
            }
            for c in calls
        ]

    def tool_schema(self, spec: dict[str, Any]) -> dict[str, Any]:
        """An OpenAI function ``{"name", "description", "parameters"}`` in this API's shape."""
        if self.api == "messages":
            return {
                "name": spec["name"],
                "description": spec.get("description", ""),
                "input_schema": spec["parameters"],
            }
        return {"type": "function", "function": spec}

    def assistant_calls(self, calls: Sequence[dict[str, Any]]) -> dict[str, Any]:
        if self.api == "messages":
            blocks = [
                {"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["args"]}
                for c in calls
            ]
            return {"role": "assistant", "content": blocks}
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
                }
                for c in calls
            ],
        }

    def tool_result(self, call_id: str, content: str) -> dict[str, Any]:
        if self.api == "messages":
            block = {"type": "tool_result", "tool_use_id": call_id, "content": content}
            return {"role": "user", "content": [block]}
        return {"role": "tool", "tool_call_id": call_id, "content": content}
