"""Bad input raises ``GatewayConfigError`` naming the parameter, before any request (README
"Limits"), through the core clients and both adapters, sync and async.

Each case is sent to a fault server that would answer normally: ``server.requests == []``
proves nothing went out.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock

from cf_gateway_core import (
    AsyncGatewayClient,
    ChatRequest,
    GatewayClient,
    GatewayConfigError,
    Message,
    ToolCallPart,
    ToolResultPart,
)
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding
from tests.reliability.conftest import (
    ACCOUNT,
    TOKEN,
    async_client,
    lc_chat,
    li_chat,
    sync_client,
)
from tests.reliability.fault_server import FaultServer

# --- construction --------------------------------------------------------------------------------

CHAT_CLASSES: dict[str, Callable[..., object]] = {
    "GatewayClient": GatewayClient,
    "AsyncGatewayClient": AsyncGatewayClient,
    "langchain": lambda **kw: ChatCloudflareAIGateway(model="openai/gpt-5.5", **kw),
    "llamaindex": lambda **kw: CloudflareAIGateway(model="openai/gpt-5.5", **kw),
}
ADAPTERS = {k: v for k, v in CHAT_CLASSES.items() if k in ("langchain", "llamaindex")}
EMBEDDERS: dict[str, Callable[..., object]] = {
    "langchain-embeddings": CloudflareAIGatewayEmbeddings,
    "llamaindex-embedding": CloudflareAIGatewayEmbedding,
}
CONNECTION = {"account_id": ACCOUNT, "api_token": TOKEN}


def refused(make: Callable[..., object], parameter: str, **kwargs: Any) -> str:
    with pytest.raises(GatewayConfigError) as info:
        make(**CONNECTION, **kwargs)
    message = str(info.value)
    assert parameter in message, message
    assert TOKEN not in message
    return message


@pytest.mark.parametrize("cls", CHAT_CLASSES)
@pytest.mark.parametrize("value", ["false", "False", 0, 1, None, "no"])
def test_allow_insecure_http_must_be_a_real_bool(cls: str, value: object) -> None:
    # "false" is truthy: it used to turn the plain-http guard off.
    refused(
        CHAT_CLASSES[cls],
        "allow_insecure_http",
        base_url="http://10.0.0.1/client/v4",
        allow_insecure_http=value,
    )


@pytest.mark.parametrize("cls", ["AsyncGatewayClient", "langchain", "llamaindex"])
@pytest.mark.parametrize("value", ["no", "false", 0, 1])
def test_fast_transport_must_be_a_real_bool(cls: str, value: object) -> None:
    refused(CHAT_CLASSES[cls], "fast_transport", fast_transport=value)


@pytest.mark.parametrize("cls", [*ADAPTERS, *EMBEDDERS])
@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("max_retries", True),
        ("max_retries", "2"),
        ("max_retries", 2.0),
        ("timeout", True),
        ("timeout", "30"),
        ("allow_insecure_http", "false"),
        ("fast_transport", "no"),
    ],
)
def test_adapters_refuse_coercible_settings(cls: str, parameter: str, value: object) -> None:
    make = {**ADAPTERS, **EMBEDDERS}[cls]
    refused(make, parameter, **{parameter: value})


@pytest.mark.parametrize(
    ("cls", "parameter"),
    [("langchain", "streaming"), ("langchain", "reject_if_busy"), ("llamaindex", "reject_if_busy")],
)
@pytest.mark.parametrize("value", ["true", "yes", 1])
def test_adapters_refuse_non_bool_flags(cls: str, parameter: str, value: object) -> None:
    refused(ADAPTERS[cls], parameter, **{parameter: value})


@pytest.mark.parametrize("cls", ADAPTERS)
@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("max_tokens", 0),
        ("max_tokens", -5),
        ("max_tokens", True),
        ("max_tokens", "100"),
        ("top_p", 7),
        ("top_p", -0.1),
        ("top_p", math.nan),
        ("top_p", "0.5"),
        ("temperature", -1),
        ("temperature", math.inf),
        ("temperature", math.nan),
    ],
)
def test_adapters_refuse_sampling_values_no_provider_accepts(
    cls: str, parameter: str, value: object
) -> None:
    refused(ADAPTERS[cls], parameter, **{parameter: value})


@pytest.mark.parametrize("cls", ADAPTERS)
@pytest.mark.parametrize(
    ("parameter", "value"), [("max_tokens", 1), ("top_p", 0), ("top_p", 1), ("temperature", 0)]
)
def test_adapters_accept_the_edges_of_the_ranges(cls: str, parameter: str, value: object) -> None:
    assert ADAPTERS[cls](**CONNECTION, **{parameter: value}) is not None


@pytest.mark.parametrize(
    ("cls", "http_client"),
    [
        (GatewayClient, "http://127.0.0.1:8787"),
        (GatewayClient, httpx.AsyncClient()),
        (AsyncGatewayClient, httpx.Client()),
        (AsyncGatewayClient, object()),
    ],
)
def test_core_client_refuses_a_wrong_http_client_at_construction(
    cls: type[GatewayClient | AsyncGatewayClient], http_client: object
) -> None:
    refused(cls, "http_client", http_client=http_client)


# --- per call ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One bad request, as each surface spells it."""

    core: ChatRequest
    lc: list[BaseMessage]
    li: list[ChatMessage]
    kwargs: dict[str, Any] = field(default_factory=dict)
    model: str = "openai/gpt-5.5"


def _hi(text: str = "hi", **kwargs: Any) -> Case:
    return Case(
        core=ChatRequest(model="openai/gpt-5.5", messages=(Message.user(text),)),
        lc=[HumanMessage(text)],
        li=[ChatMessage(role=MessageRole.USER, content=text)],
        kwargs=kwargs,
    )


def _nan_tool_history(value: float) -> Case:
    args = {"amount": value}
    core = ChatRequest(
        model="openai/gpt-5.5",
        messages=(
            Message.user("pay"),
            Message(role="assistant", parts=(ToolCallPart(id="c1", name="pay", arguments=args),)),
            Message(role="tool", parts=(ToolResultPart(tool_call_id="c1", content="done"),)),
            Message.user("and now?"),
        ),
    )
    lc: list[BaseMessage] = [
        HumanMessage("pay"),
        AIMessage("", tool_calls=[{"id": "c1", "name": "pay", "args": args}]),
        ToolMessage("done", tool_call_id="c1"),
        HumanMessage("and now?"),
    ]
    call = ToolCallBlock(tool_call_id="c1", tool_name="pay", tool_kwargs=args)
    li = [
        ChatMessage(role=MessageRole.USER, content="pay"),
        ChatMessage(role=MessageRole.ASSISTANT, blocks=[call]),
        ChatMessage(
            role=MessageRole.TOOL, content="done", additional_kwargs={"tool_call_id": "c1"}
        ),
        ChatMessage(role=MessageRole.USER, content="and now?"),
    ]
    return Case(core=core, lc=lc, li=li)


def _empty() -> Case:
    return Case(core=ChatRequest(model="openai/gpt-5.5", messages=()), lc=[], li=[])


def _only_system() -> Case:
    model = "anthropic/claude-sonnet-4.5"
    return Case(
        core=ChatRequest(model=model, messages=(Message.system("You are terse."),)),
        lc=[SystemMessage("You are terse.")],
        li=[ChatMessage(role=MessageRole.SYSTEM, content="You are terse.")],
        model=model,
    )


LONE_SURROGATE = "cut emoji \ud83d here"

CASES: dict[str, tuple[Callable[[], Case], str]] = {
    # name: (case, a word the message must contain)
    "max_tokens=0": (lambda: _hi(max_tokens=0), "max_tokens"),
    "top_p=7": (lambda: _hi(top_p=7), "top_p"),
    "NaN tool arguments in the history": (lambda: _nan_tool_history(math.nan), "pay"),
    "Infinity tool arguments in the history": (lambda: _nan_tool_history(math.inf), "pay"),
    "lone surrogate": (lambda: _hi(LONE_SURROGATE), "surrogate"),
    "extra_headers non-ASCII": (lambda: _hi(extra_headers={"x-note": "café"}), "extra_headers"),
    "extra_headers non-string": (lambda: _hi(extra_headers={"x-n": 5}), "extra_headers"),
    "extra_headers CRLF": (
        lambda: _hi(extra_headers={"x-a": "1\r\nx-injected: yes"}),
        "extra_headers",
    ),
    "extra_headers LF": (lambda: _hi(extra_headers={"x-a": "1\nb"}), "extra_headers"),
    "extra_headers bad name": (lambda: _hi(extra_headers={"x a": "1"}), "extra_headers"),
    "extra_headers Authorization": (
        lambda: _hi(extra_headers={"Authorization": "Bearer other"}),
        "Authorization",
    ),
    "extra_headers host": (lambda: _hi(extra_headers={"Host": "evil.example"}), "Host"),
    "extra_headers cookie": (lambda: _hi(extra_headers={"Cookie": "a=b"}), "Cookie"),
    "extra_headers content-length": (
        lambda: _hi(extra_headers={"content-length": "1"}),
        "content-length",
    ),
    "extra_headers not a dict": (lambda: _hi(extra_headers=[("x-a", "1")]), "extra_headers"),
    "empty message list": (_empty, "message"),
    "only a system message on Messages": (_only_system, "user message"),
}


def _core_kwargs(case: Case) -> tuple[ChatRequest, dict[str, Any]]:
    kwargs = dict(case.kwargs)
    request = case.core
    for name in ("max_tokens", "top_p"):
        if name in kwargs:
            request = ChatRequest(
                model=request.model, messages=request.messages, **{name: kwargs.pop(name)}
            )
    return request, kwargs


def _send(surface: str, base_url: str, case: Case) -> object:
    """Send ``case`` through one surface."""
    if surface.startswith("core"):
        request, kwargs = _core_kwargs(case)
        if surface == "core-sync":
            return sync_client(base_url).chat(request, **kwargs)
        if surface == "core-stream":
            return list(sync_client(base_url).stream(request, **kwargs))

        async def core_async() -> object:
            async with async_client(base_url) as client:
                return await client.chat(request, **kwargs)

        return asyncio.run(core_async())
    if surface.startswith("lc"):
        lc = lc_chat(base_url, model=case.model)
        if surface == "lc-sync":
            return lc.invoke(case.lc, **case.kwargs)
        if surface == "lc-stream":
            return list(lc.stream(case.lc, **case.kwargs))
        return asyncio.run(lc.ainvoke(case.lc, **case.kwargs))
    li = li_chat(base_url, model=case.model)
    if surface == "li-sync":
        return li.chat(case.li, **case.kwargs)
    if surface == "li-stream":
        return list(li.stream_chat(case.li, **case.kwargs))
    return asyncio.run(li.achat(case.li, **case.kwargs))


SURFACES = [
    "core-sync",
    "core-stream",
    "core-async",
    "lc-sync",
    "lc-stream",
    "lc-async",
    "li-sync",
    "li-stream",
    "li-async",
]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("case", CASES)
def test_bad_request_is_refused_before_any_request(
    server: FaultServer, surface: str, case: str
) -> None:
    build, word = CASES[case]
    with pytest.raises(GatewayConfigError) as info:
        _send(surface, server.base_url, build())
    assert word.lower() in str(info.value).lower(), str(info.value)
    assert server.requests == []


@pytest.mark.parametrize("surface", SURFACES)
def test_good_extra_headers_are_sent_lower_cased(server: FaultServer, surface: str) -> None:
    headers = {"X-Trace-Id": "abc 123", "cf-aig-authorization": "Bearer gateway-secret"}
    _send(surface, server.base_url, _hi(extra_headers=headers))
    (request,) = server.requests
    assert request.headers["x-trace-id"] == "abc 123"
    assert request.headers["cf-aig-authorization"] == "Bearer gateway-secret"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("surface", [s for s in SURFACES if not s.endswith("stream")])
def test_system_message_with_a_user_turn_is_fine_on_messages(
    server: FaultServer, surface: str
) -> None:
    # The refusal is about "nothing but a system prompt", not about system prompts.
    from tests.reliability.fault_server import json_reply

    server.script(
        json_reply(
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4.5",
                "content": [{"type": "text", "text": "ok"}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 3, "output_tokens": 1},
            }
        )
    )
    case = _only_system()
    case.core = ChatRequest(model=case.model, messages=(*case.core.messages, Message.user("hi")))
    case.lc = [*case.lc, HumanMessage("hi")]
    case.li = [*case.li, ChatMessage(role=MessageRole.USER, content="hi")]
    _send(surface, server.base_url, case)
    assert len(server.requests) == 1
    assert server.requests[0].path.endswith("/ai/v1/messages")


@pytest.mark.parametrize("surface", ["core-sync", "core-stream", "core-async"])
def test_core_refuses_messages_that_are_not_message_objects(
    server: FaultServer, surface: str
) -> None:
    """An OpenAI-style dict in ``ChatRequest.messages`` is a ``GatewayConfigError``, not an
    ``AttributeError`` from deep inside the request checks."""
    plain: Any = ({"role": "user", "content": "hi"},)
    case = Case(core=ChatRequest(model="openai/gpt-5.5", messages=plain), lc=[], li=[])
    with pytest.raises(GatewayConfigError, match=r"messages\[0\]"):
        _send(surface, server.base_url, case)
    assert server.requests == []
