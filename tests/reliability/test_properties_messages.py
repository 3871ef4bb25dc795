"""Property-based: framework messages with random content blocks (LangChain messages,
LlamaIndex ``ChatMessage`` blocks and legacy ``additional_kwargs``) sent through the public
adapters over ``FakeGateway`` either produce a reply with a JSON-object request body or raise the
documented ``GatewayConfigError`` before any request.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from langchain_core.messages import (
    AIMessage,
    ChatMessage as LCChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway
from tests.reliability.conftest import ACCOUNT, TOKEN
from tests.reliability.strategies import arguments, json_objects, texts, words

# --- framework messages with random content blocks -------------------------------------------
#
# Through the public adapters over FakeGateway: every conversation either produces a reply (and a
# JSON-object request body) or raises the documented GatewayConfigError — never a KeyError,
# TypeError, pydantic error or an unhandled wire-module exception.

ADAPTER_ROUTES = [
    ("openai/gpt-5.5", "auto"),
    ("anthropic/claude-sonnet-4.5", "auto"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
]
image_urls = st.sampled_from(
    ["https://example.com/cat.png", "data:image/png;base64,iVBORw0KGgo=", "data:,", "ftp://x/y",
     "data:application/pdf;base64,JVBERi0=", "not a url"]
)  # fmt: skip
lc_blocks = st.one_of(
    texts,
    st.builds(lambda t: {"type": "text", "text": t}, texts | st.integers()),
    st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}}, image_urls),
    st.builds(lambda u: {"type": "image_url", "image_url": u}, image_urls),
    st.builds(lambda u: {"type": "image", "url": u}, image_urls),
    st.builds(
        lambda d, m: {"type": "image", "base64": d, "mime_type": m},
        st.sampled_from(["iVBORw0KGgo=", ""]),
        st.sampled_from(["image/png", "image/jpeg", "text/plain"]),
    ),
    st.builds(
        lambda d: {"type": "image", "source_type": "base64", "data": d, "mime_type": "image/png"},
        st.sampled_from(["iVBORw0KGgo=", ""]),
    ),
    st.builds(lambda t: {"type": "reasoning", "reasoning": t}, texts),
    st.builds(lambda t, s: {"type": "thinking", "thinking": t, "signature": s}, texts, texts),
    st.builds(lambda d: {"type": "redacted_thinking", "data": d}, texts),
    # {"type": "image", "text": ...} is refused by langchain-core itself (its tracing converts
    # image blocks, ValueError), before any adapter runs.
    st.builds(lambda t: {"type": t, "text": "x"}, (words | texts).filter(lambda t: t != "image")),
    st.sampled_from(
        [
            {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"},
            {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
            {"type": "non_standard", "value": {"a": 1}},
            {},
        ]
    ),
    # A non-string "type" is rejected by langchain-core itself (_normalize_messages), before us.
    json_objects.filter(lambda block: isinstance(block.get("type", ""), str)),
)
lc_content = texts | st.lists(lc_blocks, max_size=3)
lc_tool_calls = st.lists(
    st.builds(lambda n, a, i: {"name": n, "args": a, "id": i}, texts, arguments, st.none() | texts),
    max_size=2,
)


@st.composite
def lc_messages(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["system", "human", "ai", "tool", "chat"]))
    content = draw(lc_content)
    if kind == "system":
        return SystemMessage(content=content)
    if kind == "human":
        return HumanMessage(content=content)
    if kind == "ai":
        return AIMessage(content=content, tool_calls=draw(lc_tool_calls))
    if kind == "tool":
        return ToolMessage(content=content, tool_call_id=draw(texts))
    role = draw(st.sampled_from(["user", "assistant", "system", "tool", "developer"]) | texts)
    return LCChatMessage(role=role, content=content)


def _reply_or_config_error(fake: FakeGateway, call: Any) -> None:
    before = len(fake.requests)
    try:
        call()
    except GatewayConfigError as exc:
        message = str(exc)  # a message that says what to do; and nothing was sent
        assert message and len(fake.requests) == before
        return
    assert isinstance(fake.requests[-1].json, dict)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(lc_messages(), min_size=1, max_size=4))
def test_property_langchain_messages_build_a_request_or_raise_config_error(
    messages: list[Any],
) -> None:
    fake = FakeGateway()
    for model, endpoint in ADAPTER_ROUTES:
        llm = ChatCloudflareAIGateway(
            model=model,
            endpoint=endpoint,
            account_id=ACCOUNT,
            api_token=TOKEN,
            max_retries=0,
            http_client=fake.client(),
        )
        _reply_or_config_error(fake, lambda llm=llm: llm.invoke(messages))


li_blocks = st.one_of(
    st.builds(TextBlock, text=texts),
    st.builds(lambda u: ImageBlock(url=u), st.sampled_from(["https://example.com/cat.png"])),
    st.builds(lambda b, m: ImageBlock(image=b, image_mimetype=m), st.binary(min_size=1, max_size=8),
              st.sampled_from(["image/png", "image/jpeg"])),
    st.builds(lambda b: AudioBlock(audio=b, format="wav"), st.binary(min_size=1, max_size=8)),
    st.builds(lambda b: DocumentBlock(data=b, document_mimetype="application/pdf"),
              st.binary(min_size=1, max_size=8)),
    st.builds(lambda c: ThinkingBlock(content=c), st.none() | texts),
    st.builds(lambda i, n, k: ToolCallBlock(tool_call_id=i, tool_name=n, tool_kwargs=k),
              st.none() | texts, texts, arguments | texts),
)  # fmt: skip
# Well-typed legacy tool calls only: malformed ones are checked by the test below.
legacy_tool_calls = st.one_of(
    st.builds(
        lambda i, n, a: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
        texts,
        texts,
        texts | arguments,
    ),
    st.builds(lambda i, n, a: {"id": i, "name": n, "input": a}, texts, texts, arguments),
)
li_kwargs = st.fixed_dictionaries(
    {},
    optional={
        "tool_call_id": texts,
        "name": texts,
        "tool_calls": st.lists(legacy_tool_calls, max_size=2),
    },
)
li_messages = st.builds(
    lambda role, blocks, kwargs: ChatMessage(role=role, blocks=blocks, additional_kwargs=kwargs),
    st.sampled_from(list(MessageRole)),
    st.lists(li_blocks, max_size=3),
    li_kwargs,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(li_messages, min_size=1, max_size=4))
def test_property_llamaindex_messages_build_a_request_or_raise_config_error(
    messages: list[ChatMessage],
) -> None:
    fake = FakeGateway()
    for model, endpoint in ADAPTER_ROUTES:
        llm = CloudflareAIGateway(
            model=model,
            endpoint=endpoint,
            account_id=ACCOUNT,
            api_token=TOKEN,
            max_retries=0,
            http_client=fake.client(),
        )
        _reply_or_config_error(fake, lambda llm=llm: llm.chat(messages))


@pytest.mark.parametrize(
    "call",
    [
        {"id": [], "function": {"name": "f", "arguments": "{}"}},
        {"id": "c1", "function": {"name": 5, "arguments": "{}"}},
        {"id": "c1", "function": {"name": "f", "arguments": [1, 2]}},
    ],
    ids=["id-list", "name-int", "arguments-list"],
)
def test_property_llamaindex_malformed_legacy_tool_call_is_a_config_error(
    call: dict[str, Any],
) -> None:
    llm = CloudflareAIGateway(
        model="openai/gpt-5.5",
        account_id=ACCOUNT,
        api_token=TOKEN,
        http_client=FakeGateway().client(),
    )
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [call]})
    with pytest.raises(GatewayConfigError):
        llm.chat([ChatMessage(role="user", content="hi"), message])
