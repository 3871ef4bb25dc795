"""Helpers for the outside-fault tests: the fault process, and every way a user calls a chat.

:func:`fault_process` starts ``tests.reliability.fault_process`` as a separate Python process
(raw HTTP/1.1 on 127.0.0.1) and stops it by its own pid. :data:`SURFACES` holds one caller per
public surface — the core clients (sync; async on its default aiohttp path and through a
caller-owned ``httpx.AsyncClient``), LangChain
(``invoke``/``stream``, ``ainvoke``/``astream``) and LlamaIndex (``chat``/``stream_chat``,
``achat``/``astream_chat``) — each returning the reply's text, or raising what the user sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import operator
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from llama_index.core.llms import ChatMessage

from cf_gateway_core import (
    AsyncGatewayClient,
    ChatRequest,
    EmbeddingRequest,
    GatewayClient,
    Message,
)
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway
from tests.reliability.conftest import TOKEN, fast

ROOT = Path(__file__).resolve().parents[2]

MODELS: dict[str, tuple[str, str]] = {
    "chat_completions": ("openai/gpt-5.5", "auto"),
    "messages": ("anthropic/claude-sonnet-4.5", "auto"),
    "responses": ("openai/gpt-5.5", "responses"),
    "run": ("@cf/meta/llama-3.1-8b-instruct", "run"),
}
"""Wire format -> (model, ``endpoint``) that reaches it."""


@dataclass(frozen=True)
class FaultProcess:
    """The running fault server: its base URL, and attempt counts per account id."""

    base_url: str
    port: int

    def count(self, account: str) -> int:
        """How many requests ``account`` has sent."""
        url = f"http://127.0.0.1:{self.port}/_count/{account}"
        with urllib.request.urlopen(url, timeout=5) as reply:
            return int(json.load(reply)["count"])


@contextlib.contextmanager
def fault_process() -> Iterator[FaultProcess]:
    """Start the fault server in its own process; stop it (by its pid) afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.fault_process"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("PORT "), line
        port = int(line.split()[1])
        yield FaultProcess(f"http://127.0.0.1:{port}/client/v4", port)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Call:
    """One chat call: where it goes and how."""

    base_url: str
    account: str
    wire: str
    stream: bool
    max_retries: int = 0
    timeout: float = 2.0

    @property
    def settings(self) -> dict[str, Any]:
        """Constructor keywords every class shares."""
        return {
            "account_id": self.account,
            "api_token": TOKEN,
            "base_url": self.base_url,
            "max_retries": self.max_retries,
            "timeout": self.timeout,
        }

    @property
    def model(self) -> str:
        return MODELS[self.wire][0]

    @property
    def endpoint(self) -> str:
        return MODELS[self.wire][1]

    def request(self) -> ChatRequest:
        return ChatRequest(model=self.model, messages=(Message.user("Hi"),))


def _core_sync(call: Call) -> str:
    with fast(GatewayClient(**call.settings)) as client:
        if not call.stream:
            return client.chat(call.request(), endpoint=call.endpoint).text
        with client.stream(call.request(), endpoint=call.endpoint) as events:
            for _ in events:
                pass
            return events.result().text


async def _core_async_run(call: Call, http: httpx.AsyncClient | None) -> str:
    client = fast(AsyncGatewayClient(http_client=http, **call.settings))
    async with client:
        if not call.stream:
            return (await client.chat(call.request(), endpoint=call.endpoint)).text
        async with client.stream(call.request(), endpoint=call.endpoint) as events:
            async for _ in events:
                pass
            return events.result().text


async def _closing(call: Call, own_httpx: bool) -> str:
    http = httpx.AsyncClient(timeout=call.timeout) if own_httpx else None
    try:
        return await _core_async_run(call, http)
    finally:
        if http is not None:
            await http.aclose()


def _core_async(call: Call) -> str:
    return asyncio.run(_closing(call, False))


def _core_httpx(call: Call) -> str:
    return asyncio.run(_closing(call, True))


def _lc_model(call: Call) -> ChatCloudflareAIGateway:
    return ChatCloudflareAIGateway(model=call.model, endpoint=call.endpoint, **call.settings)


def _lc_text(message: Any) -> str:
    return str(message.content)


def _lc_sync(call: Call) -> str:
    model = _lc_model(call)
    if not call.stream:
        return _lc_text(model.invoke("Hi"))
    return _lc_text(functools.reduce(operator.add, model.stream("Hi")))


async def _lc_async_run(call: Call) -> str:
    model = _lc_model(call)
    if not call.stream:
        return _lc_text(await model.ainvoke("Hi"))
    chunks = [chunk async for chunk in model.astream("Hi")]
    return _lc_text(functools.reduce(operator.add, chunks))


def _lc_async(call: Call) -> str:
    return asyncio.run(_lc_async_run(call))


def _li_model(call: Call) -> CloudflareAIGateway:
    return CloudflareAIGateway(model=call.model, endpoint=call.endpoint, **call.settings)


_LI_MESSAGES = [ChatMessage(role="user", content="Hi")]


def _li_sync(call: Call) -> str:
    llm = _li_model(call)
    if not call.stream:
        return llm.chat(_LI_MESSAGES).message.content or ""
    responses = list(llm.stream_chat(_LI_MESSAGES))
    return responses[-1].message.content or ""


async def _li_async_run(call: Call) -> str:
    llm = _li_model(call)
    if not call.stream:
        return (await llm.achat(_LI_MESSAGES)).message.content or ""
    responses = [r async for r in await llm.astream_chat(_LI_MESSAGES)]
    return responses[-1].message.content or ""


def _li_async(call: Call) -> str:
    return asyncio.run(_li_async_run(call))


SURFACES: dict[str, Callable[[Call], str]] = {
    "core-sync": _core_sync,
    "core-async": _core_async,
    "core-async-httpx": _core_httpx,
    "langchain-sync": _lc_sync,
    "langchain-async": _lc_async,
    "llamaindex-sync": _li_sync,
    "llamaindex-async": _li_async,
}
"""Surface name -> a caller that returns the reply text (or raises what the user sees)."""

ADAPTERS = tuple(name for name in SURFACES if not name.startswith("core"))


def _embed_request(texts: list[str]) -> EmbeddingRequest:
    return EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=texts)


def _embed_core_sync(call: Call, texts: list[str]) -> list[list[float]]:
    with GatewayClient(**call.settings) as client:
        return client.embed(_embed_request(texts)).vectors


def _embed_core_async(call: Call, texts: list[str]) -> list[list[float]]:
    async def run() -> list[list[float]]:
        async with AsyncGatewayClient(**call.settings) as client:
            return (await client.embed(_embed_request(texts))).vectors

    return asyncio.run(run())


def _embed_lc(call: Call, texts: list[str]) -> list[list[float]]:
    from langchain_cf_gateway import CloudflareAIGatewayEmbeddings

    return CloudflareAIGatewayEmbeddings(**call.settings).embed_documents(texts)


def _embed_lc_async(call: Call, texts: list[str]) -> list[list[float]]:
    from langchain_cf_gateway import CloudflareAIGatewayEmbeddings

    model = CloudflareAIGatewayEmbeddings(**call.settings)
    return asyncio.run(model.aembed_documents(texts))


def _embed_li(call: Call, texts: list[str]) -> list[list[float]]:
    from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding

    return CloudflareAIGatewayEmbedding(**call.settings).get_text_embedding_batch(texts)


def _embed_li_async(call: Call, texts: list[str]) -> list[list[float]]:
    from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding

    model = CloudflareAIGatewayEmbedding(**call.settings)
    return asyncio.run(model.aget_text_embedding_batch(texts))


EMBEDDERS: dict[str, Callable[[Call, list[str]], list[list[float]]]] = {
    "core-sync": _embed_core_sync,
    "core-async": _embed_core_async,
    "langchain-sync": _embed_lc,
    "langchain-async": _embed_lc_async,
    "llamaindex-sync": _embed_li,
    "llamaindex-async": _embed_li_async,
}
"""Surface name -> a caller that embeds ``texts`` (or raises what the user sees)."""
