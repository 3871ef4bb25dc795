"""The floor of each API (raw httpx) and the async reference (raw aiohttp), no framework.

The floor is what any Python client pays at least: ``httpx.Client.post(json=)`` + ``.json()``,
``client.stream()`` + ``iter_lines()`` + ``json.loads`` per ``data:`` line, and an
``httpx.AsyncClient`` with httpx's default limits. The thinnest adapters (``thin.py``) speak the
APIs with the same payload and reply helpers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from clients import (
    ANTHROPIC_MODEL,
    OPENAI_MODEL,
    PROMPT,
    TOKEN,
    TOOL_SPEC,
    WF_MODEL,
    Client,
    ai_base,
    unsupported,
)

FLOOR_PATHS = {
    "chat_completions": "/v1/chat/completions",
    "messages": "/v1/messages",
    "run": f"/run/{WF_MODEL}",
}


def floor_payload(api: str, stream: bool = False, tool_turn: int = 0) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
    body: dict[str, Any] = {"messages": messages}
    if api == "chat_completions":
        body["model"] = OPENAI_MODEL
    elif api == "messages":
        body["model"] = ANTHROPIC_MODEL
        body["max_tokens"] = 1024
    if stream:
        body["stream"] = True
    if tool_turn:
        if api == "messages":
            body["tools"] = [
                {
                    "name": TOOL_SPEC["name"],
                    "description": TOOL_SPEC["description"],
                    "input_schema": TOOL_SPEC["parameters"],
                }
            ]
        else:
            body["tools"] = [{"type": "function", "function": TOOL_SPEC}]
    return body


def floor_text(api: str, body: dict[str, Any]) -> str:
    if api == "chat_completions":
        return str(body["choices"][0]["message"]["content"])
    if api == "messages":
        return str(body["content"][0]["text"])
    return str(body["result"]["response"])


def floor_delta(api: str, frame: dict[str, Any]) -> str:
    if api == "chat_completions":
        choices = frame.get("choices")
        return (choices[0]["delta"].get("content") or "") if choices else ""
    if api == "messages":
        delta = frame.get("delta")
        return delta.get("text", "") if frame.get("type") == "content_block_delta" else ""
    return frame.get("response") or ""


class Floor:
    """Raw httpx, the floor: post + ``.json()``; stream + ``iter_lines`` + ``json.loads``."""

    def __init__(self, root: str, api: str) -> None:
        import httpx

        self.api = api
        self.url = ai_base(root) + FLOOR_PATHS[api]
        self.headers = {"authorization": f"Bearer {TOKEN}"}
        if api == "messages":
            self.headers["anthropic-version"] = "2023-06-01"
        self.http = httpx.Client()
        self.ahttp: Any = None  # built on first async use, inside the event loop
        self.payload = floor_payload(api)
        self.stream_payload = floor_payload(api, stream=True)

    def invoke(self) -> str:
        body = self.http.post(self.url, json=self.payload, headers=self.headers).json()
        return floor_text(self.api, body)

    def stream(self) -> Iterator[str]:
        with self.http.stream(
            "POST", self.url, json=self.stream_payload, headers=self.headers
        ) as response:
            for line in response.iter_lines():
                if line.startswith("data:") and line != "data: [DONE]":
                    yield floor_delta(self.api, json.loads(line[5:]))

    async def ainvoke(self) -> str:
        import httpx

        if self.ahttp is None:
            self.ahttp = httpx.AsyncClient()  # httpx's default limits
        response = await self.ahttp.post(self.url, json=self.payload, headers=self.headers)
        return floor_text(self.api, response.json())

    def tools(self) -> str:
        first = self.http.post(
            self.url, json=floor_payload(self.api, tool_turn=1), headers=self.headers
        ).json()
        second = floor_payload(self.api, tool_turn=2)
        messages = second["messages"]
        if self.api == "messages":
            call = first["content"][0]
            messages.append({"role": "assistant", "content": first["content"]})
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": call["id"], "content": "21 C"}
                    ],
                }
            )
        else:
            node = first if self.api == "chat_completions" else first["result"]
            if self.api == "chat_completions":
                calls = node["choices"][0]["message"]["tool_calls"]
            else:
                calls = [  # Workers AI native tool calls may come without an id
                    {
                        "id": c.get("id") or f"call_{i}",
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for i, c in enumerate(node["tool_calls"])
                ]
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
            messages.append({"role": "tool", "tool_call_id": calls[0]["id"], "content": "21 C"})
        body = self.http.post(self.url, json=second, headers=self.headers).json()
        return floor_text(self.api, body)


def floor(api: str) -> Client:
    return Client(
        name=f"floor: raw httpx, {api}",
        api=api,
        group="floor",
        framework=None,
        import_stmt="import httpx",
        build=lambda root: Floor(root, api),
        invoke=lambda c: c.invoke(),
        stream=lambda c: c.stream(),
        ainvoke=lambda c: c.ainvoke(),
        tools=lambda c: c.tools(),
    )


class AiohttpRaw:
    """Reference: aiohttp with no httpx on top (the async ceiling of a Python client)."""

    def __init__(self, root: str, api: str) -> None:
        self.api = api
        self.url = ai_base(root) + FLOOR_PATHS[api]
        self.data = json.dumps(floor_payload(api)).encode()
        self.headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
        if api == "messages":
            self.headers["anthropic-version"] = "2023-06-01"
        self.session: Any = None

    async def ainvoke(self) -> str:
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession()
        async with self.session.post(self.url, data=self.data, headers=self.headers) as resp:
            return floor_text(self.api, json.loads(await resp.read()))


def aiohttp_ref(api: str) -> Client:
    return Client(
        name=f"ref: raw aiohttp, {api}",
        api=api,
        group="ref",
        framework=None,
        import_stmt="import aiohttp",
        build=lambda root: AiohttpRaw(root, api),
        invoke=unsupported("async reference only"),
        stream=unsupported("async reference only"),
        ainvoke=lambda c: c.ainvoke(),
        tools=None,
        scenarios=frozenset({"async"}),
    )
