"""Fault injection through the framework adapters (LangChain ``ChatCloudflareAIGateway``,
LlamaIndex ``CloudflareAIGateway``) against the real local fault server: typed errors that are
also LangChain's ``Model*Error``, attempts counted at the server, the text received before a
broken stream kept for the caller, wall-clock bounds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.outputs import LLMResult
from llama_index.core.llms import ChatMessage

from cf_gateway_core import (
    APIConnectionError,
    APITimeoutError,
    GatewayError,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
)
from tests.reliability.conftest import (
    HELLO_FRAMES,
    HTML_PAGE,
    MODES,
    StreamOutcome,
    lc_chat,
    li_chat,
    v4_error,
    within,
)
from tests.reliability.fault_server import (
    FaultServer,
    completion,
    json_reply,
    raw_reply,
    refused_url,
    sse_reply,
    stall,
)

FRAMEWORKS = ["langchain", "llamaindex"]
NO_WAIT = {"retry-after": "0"}  # the adapters' clients keep the default backoff


def adapter_chat(framework: str, mode: str, base_url: str, **kwargs: Any) -> str:
    """One chat call through LangChain ``invoke``/``ainvoke`` or LlamaIndex ``chat``/``achat``."""
    if framework == "langchain":
        lc = lc_chat(base_url, **kwargs)
        message = lc.invoke("hi") if mode == "sync" else asyncio.run(lc.ainvoke("hi"))
        return str(message.content)
    li = li_chat(base_url, **kwargs)
    messages = [ChatMessage(role="user", content="hi")]
    reply = li.chat(messages) if mode == "sync" else asyncio.run(li.achat(messages))
    return str(reply.message.content)


def adapter_stream(framework: str, mode: str, base_url: str, **kwargs: Any) -> StreamOutcome:
    """Stream through LangChain ``stream``/``astream`` or LlamaIndex ``stream_chat``/
    ``astream_chat``; ``result_text`` is what the caller holds when the stream ends or breaks."""
    deltas: list[str] = []
    if framework == "langchain":
        lc = lc_chat(base_url, **kwargs)

        def lc_sync() -> None:
            for chunk in lc.stream("hi"):
                deltas.append(str(chunk.content))

        async def lc_async() -> None:
            async for chunk in lc.astream("hi"):
                deltas.append(str(chunk.content))

        run: Any = lc_sync if mode == "sync" else (lambda: asyncio.run(lc_async()))
    else:
        li = li_chat(base_url, **kwargs)
        messages = [ChatMessage(role="user", content="hi")]

        def li_sync() -> None:
            for response in li.stream_chat(messages):
                deltas.append(response.delta or "")

        async def li_async() -> None:
            async for response in await li.astream_chat(messages):
                deltas.append(response.delta or "")

        run = li_sync if mode == "sync" else (lambda: asyncio.run(li_async()))
    try:
        run()
    except GatewayError as exc:
        return StreamOutcome([d for d in deltas if d], "".join(deltas), exc)
    return StreamOutcome([d for d in deltas if d], "".join(deltas), None)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
def test_adapter_stream_cut_midway_raises_with_text_so_far(
    framework: str, mode: str, server: FaultServer
) -> None:
    server.script(sse_reply(HELLO_FRAMES, ending="cut"))
    with within(1.5):
        outcome = adapter_stream(framework, mode, server.base_url, max_retries=2)
    assert isinstance(outcome.error, StreamError)
    assert outcome.error.partial_text == "Hello"
    assert outcome.result_text == "Hello"  # what the caller already holds
    assert len(server.requests) == 1
    if framework == "langchain":
        assert isinstance(outcome.error, ModelAPIError)


def test_adapter_langchain_stream_error_hands_text_so_far_to_callbacks(
    server: FaultServer,
) -> None:
    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.responses: list[LLMResult] = []

        def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
            self.responses.append(kwargs["response"])

    recorder = Recorder()
    server.script(sse_reply(HELLO_FRAMES, ending="reset"))
    with pytest.raises(StreamError):
        for _ in lc_chat(server.base_url).stream("hi", config={"callbacks": [recorder]}):
            pass
    (response,) = recorder.responses
    assert response.generations[0][0].text == "Hello"


@pytest.mark.parametrize("mode", MODES)
def test_adapter_langchain_streaming_invoke_cut_keeps_the_text_in_the_error(
    mode: str, server: FaultServer
) -> None:
    # README: an invoke that streams (streaming=True) cannot hand the text to on_llm_error
    # (LangChain's generate builds that result from the error alone); StreamError holds it.
    server.script(sse_reply(HELLO_FRAMES, ending="cut"))
    lc = lc_chat(server.base_url, streaming=True)
    with within(1.5), pytest.raises(StreamError) as info:
        lc.invoke("hi") if mode == "sync" else asyncio.run(lc.ainvoke("hi"))
    assert info.value.partial_text == "Hello"
    assert isinstance(info.value, ModelAPIError)
    assert len(server.requests) == 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
def test_adapter_stream_stall_midway_times_out(
    framework: str, mode: str, server: FaultServer
) -> None:
    server.script(sse_reply(HELLO_FRAMES, ending="stall"))
    with within(1.2) as clock:
        outcome = adapter_stream(framework, mode, server.base_url, timeout=0.3)
    assert clock.elapsed >= 0.28
    assert isinstance(outcome.error, StreamError)
    assert outcome.result_text == "Hello"
    assert server.wait_until(lambda: server.client_disconnects == 1)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("max_retries", [0, 4])
def test_adapter_429_storm_honours_max_retries(
    framework: str, mode: str, max_retries: int, server: FaultServer
) -> None:
    limited = json_reply(v4_error(2003, "Rate limited"), status=429, headers=NO_WAIT)
    server.script_times(5, limited)
    # Retry-After: 0 means no wait. Four retries on the default backoff (0.5 s doubled, jitter
    # down to 75%) would wait at least 5.6 s, so 2.5 s tells the two apart on a loaded machine.
    with within(2.5), pytest.raises(RateLimitError) as info:
        adapter_chat(framework, mode, server.base_url, max_retries=max_retries)
    assert len(server.requests) == max_retries + 1
    if framework == "langchain":
        assert isinstance(info.value, ModelRateLimitError)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
def test_adapter_5xx_then_success_recovers(framework: str, mode: str, server: FaultServer) -> None:
    server.script(
        raw_reply(502, HTML_PAGE, content_type="text/html", headers=NO_WAIT),
        json_reply(v4_error(3040, "Capacity"), status=503, headers=NO_WAIT),
        json_reply(completion("recovered")),
    )
    with within(1.0):
        assert adapter_chat(framework, mode, server.base_url, max_retries=2) == "recovered"
    assert len(server.requests) == 3


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
def test_adapter_read_timeout_fires_at_configured_value(
    framework: str, mode: str, server: FaultServer
) -> None:
    server.script(stall())
    with within(1.0) as clock, pytest.raises(APITimeoutError) as info:
        adapter_chat(framework, mode, server.base_url, timeout=0.3, max_retries=0)
    assert clock.elapsed >= 0.28
    if framework == "langchain":
        assert isinstance(info.value, ModelTimeoutError)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
def test_adapter_connection_refused_is_a_connection_error(framework: str, mode: str) -> None:
    with within(1.0), pytest.raises(APIConnectionError) as info:
        adapter_chat(framework, mode, refused_url(), max_retries=0)
    if framework == "langchain":
        assert isinstance(info.value, ModelConnectionError)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    ("status", "content", "error"),
    [
        (403, b"error code: 1010", PermissionDeniedError),
        (502, HTML_PAGE, InternalServerError),
    ],
    ids=["1010", "html"],
)
def test_adapter_non_json_error_bodies_are_typed(
    framework: str, status: int, content: bytes, error: type[Exception], server: FaultServer
) -> None:
    server.script_times(2, raw_reply(status, content, content_type="text/html"))
    with within(1.0), pytest.raises(error) as info:
        adapter_chat(framework, "sync", server.base_url, max_retries=0)
    assert len(str(info.value)) < 300
    assert len(server.requests) == 1
