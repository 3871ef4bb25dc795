"""The thinnest adapter one can write in each framework: the limit for any client of it.

A LangChain ``BaseChatModel`` and a LlamaIndex ``CustomLLM`` that speak each API with raw httpx
(sync calls and streams) and raw aiohttp (async calls): the payload is a plain dict, the reply is
``json.loads`` and one dictionary lookup, a stream yields one framework chunk per ``data:`` line.
Callbacks stay on (the frameworks' own ``invoke``/``stream``/``chat`` machinery runs, with
``on_llm_new_token`` per chunk); nothing is validated and nothing is retried. Tool calling is
implemented for LangChain (``bind_tools``: tool schemas converted once, calls parsed from the
reply); the LlamaIndex ``CustomLLM`` has no tool calling (the framework offers none to it).
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


# --------------------------------------------------------------------------- LangChain


def thin_langchain(root: str, api: str) -> Any:
    """A ``BaseChatModel`` over :class:`Wire` (class defined on first use: imports LangChain)."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from pydantic import PrivateAttr

    class ThinChat(BaseChatModel):
        api: str
        _wire: Wire = PrivateAttr()

        @property
        def _llm_type(self) -> str:
            return "thin"

        def _messages(self, messages: list[BaseMessage]) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for m in messages:
                if m.type == "ai" and getattr(m, "tool_calls", None):
                    out.append(self._wire.assistant_calls(m.tool_calls))  # type: ignore[attr-defined]
                elif m.type == "tool":
                    out.append(self._wire.tool_result(m.tool_call_id, str(m.content)))  # type: ignore[attr-defined]
                else:
                    role = {"human": "user", "ai": "assistant"}.get(m.type, m.type)
                    out.append({"role": role, "content": m.content})
            return out

        def _result(self, reply: Any) -> ChatResult:
            calls = self._wire.tool_calls(reply)
            message = AIMessage(content=self._wire.text(reply), tool_calls=calls)
            return ChatResult(generations=[ChatGeneration(message=message)])

        def _generate(
            self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> ChatResult:
            body = self._wire.payload(self._messages(messages), kw.get("tools"))
            return self._result(self._wire.post(body))

        async def _agenerate(
            self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> ChatResult:
            body = self._wire.payload(self._messages(messages), kw.get("tools"))
            return self._result(await self._wire.apost(body))

        def _stream(
            self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Iterator[ChatGenerationChunk]:
            body = self._wire.payload(self._messages(messages), kw.get("tools"))
            for delta in self._wire.deltas(body):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager is not None:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk

        def bind_tools(self, tools: Sequence[Any], **kw: Any) -> Any:
            specs = [convert_to_openai_tool(t)["function"] for t in tools]
            return self.bind(tools=[self._wire.tool_schema(s) for s in specs], **kw)

    model = ThinChat(api=api)
    model._wire = Wire(root, api)
    return model


# --------------------------------------------------------------------------- LlamaIndex


def thin_llamaindex(root: str, api: str) -> Any:
    """A ``CustomLLM`` over :class:`Wire` (class defined on first use: imports LlamaIndex)."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        ChatResponseGen,
        CompletionResponse,
        CompletionResponseGen,
        LLMMetadata,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from llama_index.core.llms.custom import CustomLLM
    from pydantic import PrivateAttr

    class ThinLLM(CustomLLM):
        api: str
        _wire: Wire = PrivateAttr()

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True, model_name="thin")

        def _body(self, messages: Sequence[ChatMessage]) -> Any:
            plain = [{"role": m.role.value, "content": m.content} for m in messages]
            return self._wire.payload(plain, None)

        def _response(self, reply: Any) -> ChatResponse:
            text = self._wire.text(reply)
            return ChatResponse(message=ChatMessage(role="assistant", content=text), raw=reply)

        @llm_chat_callback()
        def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
            return self._response(self._wire.post(self._body(messages)))

        @llm_chat_callback()
        async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
            return self._response(await self._wire.apost(self._body(messages)))

        @llm_chat_callback()
        def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
            body = self._body(messages)

            def gen() -> ChatResponseGen:
                text = ""
                for delta in self._wire.deltas(body):
                    text += delta
                    message = ChatMessage(role="assistant", content=text)
                    yield ChatResponse(message=message, delta=delta)

            return gen()

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            reply = self.chat([ChatMessage(role="user", content=prompt)])
            return CompletionResponse(text=reply.message.content or "")

        @llm_completion_callback()
        def stream_complete(
            self, prompt: str, formatted: bool = False, **kw: Any
        ) -> CompletionResponseGen:
            def gen() -> CompletionResponseGen:
                for r in self.stream_chat([ChatMessage(role="user", content=prompt)]):
                    yield CompletionResponse(text=r.message.content or "", delta=r.delta)

            return gen()

    llm = ThinLLM(api=api)
    llm._wire = Wire(root, api)
    return llm
