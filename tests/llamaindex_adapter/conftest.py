"""Fixtures for the LlamaIndex adapter tests: a FakeGateway, LLM/embedding factories, and reply
builders that script each REST API's real wire shape (docs/wire-notes.md Appendix A forms)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding

TOKEN = "tok-SECRET-li-123"
ACCOUNT = "acct123"
GATEWAY_HEADERS = {"cf-aig-log-id": "log-42", "cf-aig-cache-status": "MISS", "cf-aig-step": "0"}

Call = tuple[str, str, dict[str, Any]]
"""(id, name, arguments) of a scripted tool call."""


class Wire:
    """Reply bodies in each API's shape (OpenAI Chat, Anthropic Messages, Responses, /ai/run)."""

    # -- OpenAI Chat Completions ---------------------------------------------------------------

    @staticmethod
    def chat_json(
        text: str | None = None,
        calls: Sequence[Call] = (),
        *,
        reasoning: str | None = None,
        usage: tuple[int, int] = (11, 7),
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if reasoning is not None:
            message["reasoning_content"] = reasoning
        if calls:
            message["tool_calls"] = [
                {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                for i, n, a in calls
            ]
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-5.5",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if calls else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": sum(usage),
            },
            "gatewayMetadata": {"keySource": "Unified"},
        }

    @staticmethod
    def chat_sse(
        pieces: Sequence[str] = (),
        calls: Sequence[Call] = (),
        *,
        reasoning: Sequence[str] = (),
        usage: tuple[int, int] = (11, 7),
    ) -> list[Any]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "model": "gpt-5.5",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                "usage": None,
            }

        frames: list[Any] = [chunk({"role": "assistant", "content": ""})]
        frames += [chunk({"reasoning_content": r}) for r in reasoning]
        frames += [chunk({"content": p}) for p in pieces]
        for index, (call_id, name, args) in enumerate(calls):
            head = {"index": index, "id": call_id, "type": "function"}
            frames.append(chunk({"tool_calls": [{**head, "function": {"name": name}}]}))
            raw = json.dumps(args)
            for part in (raw[: len(raw) // 2], raw[len(raw) // 2 :]):
                frames.append(
                    chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
                )
        frames.append(chunk({}, "tool_calls" if calls else "stop"))
        frames.append(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "model": "gpt-5.5",
                "choices": [],
                "usage": {
                    "prompt_tokens": usage[0],
                    "completion_tokens": usage[1],
                    "total_tokens": sum(usage),
                },
            }
        )
        frames.append("[DONE]")
        return frames

    # -- Anthropic Messages --------------------------------------------------------------------

    @staticmethod
    def messages_json(
        text: str | None = None,
        calls: Sequence[Call] = (),
        *,
        thinking: tuple[str, str] | None = None,
        usage: tuple[int, int] = (20, 9),
    ) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if thinking is not None:
            content.append({"type": "thinking", "thinking": thinking[0], "signature": thinking[1]})
        if text is not None:
            content.append({"type": "text", "text": text})
        content += [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in calls]
        return {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "content": content,
            "model": "claude-sonnet-4-5",
            "stop_reason": "tool_use" if calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
            "gatewayMetadata": {"keySource": "Unified"},
        }

    @staticmethod
    def messages_sse(
        pieces: Sequence[str] = (),
        calls: Sequence[Call] = (),
        *,
        thinking: tuple[Sequence[str], str] | None = None,
        usage: tuple[int, int] = (20, 9),
    ) -> list[Any]:
        start = {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-sonnet-4-5",
            "stop_reason": None,
            "usage": {"input_tokens": usage[0], "output_tokens": 1},
        }
        frames: list[Any] = [("message_start", {"type": "message_start", "message": start})]
        index = 0

        def block(kind: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
            nonlocal index
            frames.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": kind},
                )
            )
            frames.extend(
                ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
                for d in deltas
            )
            frames.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
            index += 1

        if thinking is not None:
            texts, signature = thinking
            deltas = [{"type": "thinking_delta", "thinking": t} for t in texts]
            deltas.append({"type": "signature_delta", "signature": signature})
            block({"type": "thinking", "thinking": "", "signature": ""}, deltas)
        if pieces:
            block(
                {"type": "text", "text": ""},
                [{"type": "text_delta", "text": p} for p in pieces],
            )
        for call_id, name, args in calls:
            raw = json.dumps(args)
            parts = [raw[: len(raw) // 2], raw[len(raw) // 2 :]]
            block(
                {"type": "tool_use", "id": call_id, "name": name, "input": {}},
                [{"type": "input_json_delta", "partial_json": p} for p in parts],
            )
        stop = "tool_use" if calls else "end_turn"
        frames.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage[1]},
                },
            )
        )
        frames.append(("message_stop", {"type": "message_stop"}))
        return frames

    # -- OpenAI Responses ----------------------------------------------------------------------

    @staticmethod
    def _responses_output(text: str | None, calls: Sequence[Call]) -> list[dict[str, Any]]:
        output: list[dict[str, Any]] = []
        if text is not None:
            output.append(
                {
                    "id": "msg_1",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            )
        output += [
            {
                "id": f"fc_{i}",
                "type": "function_call",
                "status": "completed",
                "call_id": i,
                "name": n,
                "arguments": json.dumps(a),
            }
            for i, n, a in calls
        ]
        return output

    @classmethod
    def responses_json(
        cls,
        text: str | None = None,
        calls: Sequence[Call] = (),
        *,
        usage: tuple[int, int] = (30, 5),
    ) -> dict[str, Any]:
        return {
            "id": "resp_1",
            "object": "response",
            "status": "completed",
            "model": "gpt-5.5",
            "output": cls._responses_output(text, calls),
            "usage": {
                "input_tokens": usage[0],
                "output_tokens": usage[1],
                "total_tokens": sum(usage),
            },
            "gatewayMetadata": {"keySource": "Unified"},
        }

    @classmethod
    def responses_sse(
        cls,
        pieces: Sequence[str] = (),
        calls: Sequence[Call] = (),
        *,
        usage: tuple[int, int] = (30, 5),
    ) -> list[Any]:
        final = cls.responses_json("".join(pieces) if pieces else None, calls, usage=usage)
        created = {**final, "status": "in_progress", "output": [], "usage": None}
        frames: list[Any] = [
            ("response.created", {"type": "response.created", "response": created})
        ]
        for position, item in enumerate(final["output"]):
            added = {**item, "status": "in_progress"}
            if item["type"] == "message":
                added["content"] = []
            else:
                added["arguments"] = ""
            frames.append(
                (
                    "response.output_item.added",
                    {"type": "response.output_item.added", "output_index": position, "item": added},
                )
            )
            if item["type"] == "message":
                frames += [
                    (
                        "response.output_text.delta",
                        {
                            "type": "response.output_text.delta",
                            "item_id": item["id"],
                            "output_index": position,
                            "content_index": 0,
                            "delta": p,
                        },
                    )
                    for p in pieces
                ]
            else:
                raw = item["arguments"]
                frames += [
                    (
                        "response.function_call_arguments.delta",
                        {
                            "type": "response.function_call_arguments.delta",
                            "item_id": item["id"],
                            "output_index": position,
                            "delta": part,
                        },
                    )
                    for part in (raw[: len(raw) // 2], raw[len(raw) // 2 :])
                ]
            frames.append(
                (
                    "response.output_item.done",
                    {"type": "response.output_item.done", "output_index": position, "item": item},
                )
            )
        frames.append(("response.completed", {"type": "response.completed", "response": final}))
        return frames

    # -- Workers AI /ai/run --------------------------------------------------------------------

    @staticmethod
    def run_native_json(
        text: str | None = None, calls: Sequence[Call] = (), *, usage: tuple[int, int] = (9, 4)
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "response": text,
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": sum(usage),
            },
        }
        if calls:
            result["tool_calls"] = [
                {
                    "id": i,
                    "type": "function",
                    "function": {"name": n, "arguments": json.dumps(a)},
                }
                for i, n, a in calls
            ]
        return {"result": result, "success": True, "errors": [], "messages": []}

    @staticmethod
    def run_native_sse(
        pieces: Sequence[str] = (), calls: Sequence[Call] = (), *, usage: tuple[int, int] = (9, 4)
    ) -> list[Any]:
        frames: list[Any] = [{"response": p, "p": "abcdef"} for p in pieces]
        for index, (call_id, name, args) in enumerate(calls):
            head = {"id": call_id, "type": "function", "index": index}
            frames.append({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
            frames.append(
                {"tool_calls": [{"index": index, "function": {"arguments": json.dumps(args)}}]}
            )
        if calls:
            frames.append({"finish_reason": "tool_calls"})
        frames.append(
            {
                "response": "",
                "usage": {
                    "prompt_tokens": usage[0],
                    "completion_tokens": usage[1],
                    "total_tokens": sum(usage),
                },
            }
        )
        frames.append("[DONE]")
        return frames

    @classmethod
    def run_universal_json(
        cls,
        text: str | None = None,
        calls: Sequence[Call] = (),
        *,
        usage: tuple[int, int] = (11, 7),
    ) -> dict[str, Any]:
        inner = cls.chat_json(text, calls, usage=usage)
        inner.pop("gatewayMetadata")
        return {"result": inner, "success": True, "errors": [], "messages": []}

    # -- embeddings ----------------------------------------------------------------------------

    @staticmethod
    def embeddings_json(vectors: Sequence[Sequence[float]]) -> dict[str, Any]:
        return {
            "object": "list",
            "model": "@cf/baai/bge-base-en-v1.5",
            "data": [
                {"object": "embedding", "index": i, "embedding": list(v)}
                for i, v in enumerate(vectors)
            ],
            "usage": {"prompt_tokens": 3 * len(vectors), "total_tokens": 3 * len(vectors)},
        }


@pytest.fixture
def wire() -> type[Wire]:
    return Wire


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway(auto_reply=False)


@pytest.fixture
def make_llm(fake: FakeGateway) -> Iterator[Callable[..., CloudflareAIGateway]]:
    """Build LLMs wired to ``fake`` (sync and async httpx clients); close the clients after."""
    clients: list[Any] = []

    def factory(model: str = "openai/gpt-5.5", **kwargs: Any) -> CloudflareAIGateway:
        http, ahttp = fake.client(), fake.async_client()
        clients.append((http, ahttp))
        kwargs.setdefault("account_id", ACCOUNT)
        kwargs.setdefault("api_token", TOKEN)
        return CloudflareAIGateway(model=model, http_client=http, http_async_client=ahttp, **kwargs)

    yield factory
    for http, _ in clients:
        http.close()


@pytest.fixture
def make_embedding(fake: FakeGateway) -> Iterator[Callable[..., CloudflareAIGatewayEmbedding]]:
    """Build embedding models wired to ``fake``."""
    clients: list[Any] = []

    def factory(**kwargs: Any) -> CloudflareAIGatewayEmbedding:
        http, ahttp = fake.client(), fake.async_client()
        clients.append(http)
        kwargs.setdefault("account_id", ACCOUNT)
        kwargs.setdefault("api_token", TOKEN)
        return CloudflareAIGatewayEmbedding(http_client=http, http_async_client=ahttp, **kwargs)

    yield factory
    for http in clients:
        http.close()
