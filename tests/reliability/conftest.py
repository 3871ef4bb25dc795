"""Fixtures and helpers for the reliability suite: a fresh fault server per test, fast-retry
clients, the framework models, timing bounds and canned frames."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from cf_gateway_core import AsyncGatewayClient, ChatRequest, GatewayClient, Message
from cf_gateway_core.errors import GatewayError
from cf_gateway_core.retry import RetryPolicy
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway
from tests.reliability.fault_server import FaultServer, sse_chunk

TOKEN = "cfut_CANARY-0123456789abcdefghijklmnopqrstuv"
"""A canary API token: tests assert it never shows where it must not."""
ACCOUNT = "0123456789abcdef0123456789abcdef"
FAST_RETRY = {"initial_delay": 0.01, "max_delay": 0.05}
"""Backoff used in tests (the real default starts at 0.5 s)."""


ClientT = TypeVar("ClientT", GatewayClient, AsyncGatewayClient)


@dataclass(frozen=True, slots=True)
class RecordingRetries(RetryPolicy):
    """A retry policy that writes down each decision the client asked it for: the wait before
    a retry, or ``None`` for giving up. Set as ``client.retry_policy`` (the public hook the CLI
    uses too), it lets a test check "no wait" or "waits of 0 s" without reading a clock."""

    decisions: list[float | None] = field(default_factory=list, compare=False)

    def next_delay(self, attempt: int, error: GatewayError) -> float | None:
        """As :meth:`RetryPolicy.next_delay`, recorded."""
        delay = RetryPolicy.next_delay(self, attempt, error)
        self.decisions.append(delay)
        return delay


def recording(client: ClientT, decisions: list[float | None]) -> ClientT:
    """``client`` with its retry policy (as it is) recording into ``decisions``."""
    policy = client.retry_policy
    settings = {f.name: getattr(policy, f.name) for f in dataclasses.fields(policy)}
    client.retry_policy = RecordingRetries(**settings, decisions=decisions)
    return client


def fast(client: ClientT, **policy: float) -> ClientT:
    """Shorten a core client's backoff so retry storms finish in milliseconds."""
    delays: dict[str, Any] = {**FAST_RETRY, **policy}
    client.retry_policy = dataclasses.replace(client.retry_policy, **delays)
    return client


def sync_client(base_url: str, **kwargs: Any) -> GatewayClient:
    """A fast-retry sync client for ``base_url``."""
    kwargs.setdefault("timeout", 2.0)
    return fast(GatewayClient(account_id=ACCOUNT, api_token=TOKEN, base_url=base_url, **kwargs))


def async_client(base_url: str, **kwargs: Any) -> AsyncGatewayClient:
    """A fast-retry async client for ``base_url``."""
    kwargs.setdefault("timeout", 2.0)
    return fast(
        AsyncGatewayClient(account_id=ACCOUNT, api_token=TOKEN, base_url=base_url, **kwargs)
    )


def chat_request(model: str = "openai/gpt-5.5", text: str = "Hi") -> ChatRequest:
    """A one-message chat request."""
    return ChatRequest(model=model, messages=(Message.user(text),))


def lc_chat(base_url: str, **kwargs: Any) -> ChatCloudflareAIGateway:
    """The LangChain chat model pointed at ``base_url``."""
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("model", "openai/gpt-5.5")
    return ChatCloudflareAIGateway(account_id=ACCOUNT, api_token=TOKEN, base_url=base_url, **kwargs)


def li_chat(base_url: str, **kwargs: Any) -> CloudflareAIGateway:
    """The LlamaIndex LLM pointed at ``base_url``."""
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("model", "openai/gpt-5.5")
    return CloudflareAIGateway(account_id=ACCOUNT, api_token=TOKEN, base_url=base_url, **kwargs)


MODES = ["sync", "async"]


@dataclass
class Clock:
    """Wall-clock time of a ``within`` block."""

    start: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0


@contextmanager
def within(seconds: float) -> Iterator[Clock]:
    """Assert the block takes less than ``seconds`` (errors raised inside still propagate)."""
    clock = Clock()
    try:
        yield clock
    finally:
        clock.elapsed = time.perf_counter() - clock.start
    assert clock.elapsed < seconds, f"took {clock.elapsed:.2f}s (bound {seconds}s)"


@dataclass
class StreamOutcome:
    """What a caller holds when a stream ends or breaks."""

    texts: list[str]
    result_text: str
    error: BaseException | None


def v4_error(code: int, message: str) -> dict[str, Any]:
    """A Cloudflare v4 error envelope."""
    return {"success": False, "errors": [{"code": code, "message": message}], "messages": []}


def text_chunk(text: str, finish: str | None = None) -> str:
    """One OpenAI chat-completion-chunk SSE frame carrying ``text``."""
    return sse_chunk(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "model": "gpt-5.5",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
        }
    )


HELLO_FRAMES = [text_chunk("Hel"), text_chunk("lo")]
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>"
    + b"<h1>502 Bad Gateway</h1>" * 200
    + b"<hr><center>cloudflare</center></body></html>"
)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 for one test (stopped, with all connections, afterwards)."""
    with FaultServer(lifetime=60.0) as srv:
        yield srv
