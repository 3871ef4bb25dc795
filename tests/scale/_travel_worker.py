"""What the travel tests run on both sides: use an object (sync and async), and, in a spawned
process, unpickle many objects and use each one.

Kept apart from the test module so a spawned process imports only this (and what it unpickles).
"""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import cloudpickle

PROMPT = "Where do pickled models go?"
TEXT = "an orange cloud"


def _lc_chat(obj: Any) -> tuple[object, object]:
    return obj.invoke(PROMPT).content, asyncio.run(obj.ainvoke(PROMPT)).content


def _lc_embeddings(obj: Any) -> tuple[object, object]:
    return obj.embed_query(TEXT)[:4], asyncio.run(obj.aembed_query(TEXT))[:4]


def _li_llm(obj: Any) -> tuple[object, object]:
    return obj.complete(PROMPT).text, asyncio.run(obj.acomplete(PROMPT)).text


def _li_embedding(obj: Any) -> tuple[object, object]:
    return obj.get_text_embedding(TEXT)[:4], asyncio.run(obj.aget_text_embedding(TEXT))[:4]


def _request(model: str) -> Any:
    from cf_gateway_core import ChatRequest, Message

    return ChatRequest(model=model, messages=(Message.user(PROMPT),))


def _core_sync(obj: Any) -> tuple[object, object]:
    reply = obj.chat(_request("openai/gpt-5.5"))
    return reply.text, reply.model


async def _core_async_calls(obj: Any) -> tuple[object, object]:
    first = await obj.chat(_request("openai/gpt-5.5"))
    second = await obj.chat(_request("openai/gpt-5.5"))
    return first.text, second.text


def _core_async(obj: Any) -> tuple[object, object]:
    return asyncio.run(_core_async_calls(obj))


USES = {
    "ChatCloudflareAIGateway": _lc_chat,
    "CloudflareAIGatewayEmbeddings": _lc_embeddings,
    "CloudflareAIGateway": _li_llm,
    "CloudflareAIGatewayEmbedding": _li_embedding,
    "GatewayClient": _core_sync,
    "AsyncGatewayClient": _core_async,
}
"""Class name -> a sync and an async use of one object, returning what it answered."""


def use(obj: Any) -> tuple[object, object]:
    """Use ``obj`` once synchronously and once asynchronously (twice for the async client)."""
    return USES[type(obj).__name__](obj)


def run_cases(cases: list[tuple[str, str, bytes]]) -> dict[str, object]:
    """In the spawned process: load each blob (pickle or cloudpickle) and use the object.

    Returns ``case id -> (answers, repr)`` or ``case id -> "ERROR …"``.
    """
    loads = {"pickle": pickle.loads, "cloudpickle": cloudpickle.loads}
    results: dict[str, object] = {}
    for case_id, kind, blob in cases:
        try:
            obj = loads[kind](blob)
            results[case_id] = (use(obj), repr(obj))
        except Exception as exc:
            results[case_id] = f"ERROR {type(exc).__name__}: {exc}"
    return results
