"""The public reply builders of ``cf_gateway_core.testing`` against the documented wire shapes,
and every stream they make folding back (through the core client) into the JSON reply's message.

Shapes: OpenAI Chat Completions (https://platform.openai.com/docs/api-reference/chat/object,
.../chat-streaming), Anthropic Messages (https://docs.anthropic.com/en/api/messages,
.../build-with-claude/streaming), OpenAI Responses
(https://platform.openai.com/docs/api-reference/responses-streaming), Workers AI native and
universal ``/ai/run`` (docs/wire-notes.md), Cloudflare v4 envelopes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cf_gateway_core import GatewayClient
from cf_gateway_core.messages import ChatRequest, Message
from cf_gateway_core.testing import (
    FakeGateway,
    ToolCall,
    Turn,
    Usage,
    anthropic_message,
    anthropic_stream,
    byok_rejected_reply,
    chat_completion,
    chat_completion_chunks,
    credentials_rejected_reply,
    embedding_list,
    error_reply,
    responses_object,
    responses_stream,
    run_embeddings,
    run_result,
    run_stream,
    spend_cap_reply,
    sse_bytes,
    sse_chunks,
    turn_body,
    turn_events,
    turn_reply,
    universal_envelope,
)

CALLS = (ToolCall("add", {"a": 1, "b": 2}, id="c1"), ToolCall("mul", {"a": 3, "b": 4}, id="c2"))
USAGE = Usage(input_tokens=20, output_tokens=9, reasoning_tokens=4)
TEXT = Turn(text="Paris is the capital of France.", usage=USAGE)
TOOLS = Turn(tool_calls=CALLS, usage=USAGE)
BOTH = Turn(text="Let me add.", tool_calls=CALLS, reasoning="Adding is easy.", usage=USAGE)


def _named(events: list[Any]) -> list[str]:
    return [
        e[0] if isinstance(e, tuple) else ("[DONE]" if e == "[DONE]" else "data") for e in events
    ]


# ------------------------------------------------------------------- documented shapes


def test_chat_completion_has_the_documented_fields() -> None:
    body = chat_completion(BOTH, model="openai/gpt-5.5", gateway_metadata=True)
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["role"] == "assistant" and message["content"] == "Let me add."
    assert message["reasoning_content"] == "Adding is easy."
    assert [c["id"] for c in message["tool_calls"]] == ["c1", "c2"]
    assert message["tool_calls"][1] == {
        "id": "c2",
        "type": "function",
        "function": {"name": "mul", "arguments": '{"a": 3, "b": 4}'},
    }
    assert body["usage"]["total_tokens"] == 29
    assert body["usage"]["completion_tokens_details"] == {"reasoning_tokens": 4}
    assert body["gatewayMetadata"] == {"keySource": "Unified"}


def test_chat_chunks_open_with_the_role_and_end_with_usage_and_done() -> None:
    events = chat_completion_chunks(chat_completion(BOTH))
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 29
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    starts = [
        d["tool_calls"][0]
        for c in chunks[:-1]
        if "tool_calls" in (d := c["choices"][0]["delta"]) and "id" in d["tool_calls"][0]
    ]
    assert [(s["index"], s["id"], s["function"]["name"]) for s in starts] == [
        (0, "c1", "add"),
        (1, "c2", "mul"),
    ]
    assert all("usage" in c and c["usage"] is None for c in chunks[:-1])
    without = chat_completion_chunks(chat_completion(TEXT), include_usage=False)
    assert all(c == "[DONE]" or c["choices"] for c in without)
    # Without include_usage, OpenAI's chunks have no "usage" field at all (not even null).
    assert not [c for c in without if c != "[DONE]" and "usage" in c]


def test_truncated_turns_say_so_in_each_format() -> None:
    cut = Turn(tool_calls=[ToolCall("add", raw_arguments='{"a": ')], truncated=True)
    assert chat_completion(cut)["choices"][0]["finish_reason"] == "length"
    assert chat_completion(cut)["choices"][0]["message"]["tool_calls"][0]["function"] == {
        "name": "add",
        "arguments": '{"a": ',
    }
    body = responses_object(cut)
    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert responses_stream(body)[-1][0] == "response.incomplete"
    assert anthropic_message(Turn(text="Par", truncated=True))["stop_reason"] == "max_tokens"
    with pytest.raises(ValueError, match="raw_arguments"):
        anthropic_message(cut)
    with pytest.raises(ValueError, match="truncated"):
        run_result(cut)


def test_anthropic_message_blocks_and_event_order() -> None:
    turn = Turn(text="Let me add.", tool_calls=CALLS, reasoning="Think.", reasoning_signature="S1")
    body = anthropic_message(turn, gateway_metadata=True)
    assert body["type"] == "message" and body["stop_reason"] == "tool_use"
    assert [b["type"] for b in body["content"]] == ["thinking", "text", "tool_use", "tool_use"]
    assert body["content"][0] == {"type": "thinking", "thinking": "Think.", "signature": "S1"}
    assert body["content"][3] == {
        "type": "tool_use",
        "id": "c2",
        "name": "mul",
        "input": {"a": 3, "b": 4},
    }
    events = anthropic_stream(body)
    names = _named(events)
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert names.count("content_block_start") == 4 == names.count("content_block_stop")
    start = events[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert "gatewayMetadata" not in start
    deltas = [e[1]["delta"]["type"] for e in events if e[0] == "content_block_delta"]
    assert deltas[-1] == "input_json_delta" and "signature_delta" in deltas
    assert all(isinstance(e, tuple) and e[1]["type"] == e[0] for e in events)


def test_anthropic_cached_tokens_are_reported_apart() -> None:
    usage = Usage(input_tokens=100, output_tokens=3, cache_read_tokens=60, cache_creation_tokens=10)
    body = anthropic_message(Turn(text="hi", usage=usage))
    assert body["usage"]["input_tokens"] == 30
    assert body["usage"]["cache_read_input_tokens"] == 60
    assert body["usage"]["cache_creation_input_tokens"] == 10


def test_responses_object_items_and_sequence_numbers() -> None:
    body = responses_object(BOTH, gateway_metadata=True)
    assert body["object"] == "response" and body["status"] == "completed"
    assert [i["type"] for i in body["output"]] == [
        "reasoning",
        "message",
        "function_call",
        "function_call",
    ]
    assert [i["call_id"] for i in body["output"][2:]] == ["c1", "c2"]
    events = responses_stream(body)
    names = _named(events)
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed"
    assert [e[1]["sequence_number"] for e in events] == list(range(len(events)))
    assert "response.reasoning_summary_text.delta" in names
    assert (
        names.count("response.output_item.added") == 4 == names.count("response.output_item.done")
    )
    assert "gatewayMetadata" not in events[-1][1]["response"]


def test_workers_ai_native_and_universal_envelopes() -> None:
    body = run_result(Turn(text="hi", tool_calls=[ToolCall("add", {"a": 1})]))
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    assert body["result"]["response"] == "hi"
    assert body["result"]["tool_calls"] == [{"name": "add", "arguments": {"a": 1}}]
    events = run_stream(body)
    assert events[-1] == "[DONE]" and events[-2] == {
        "response": "",
        "usage": body["result"]["usage"],
    }
    assert "".join(e.get("response", "") for e in events[:-1] if isinstance(e, dict)) == "hi"
    assert run_result(Turn(json_value={"a": 1}, text='{"a": 1}'))["result"]["response"] == {"a": 1}
    with pytest.raises(ValueError, match="reasoning"):
        run_result(Turn(text="x", reasoning="y"))
    wrapped = universal_envelope(chat_completion(TEXT))
    assert wrapped["result"]["result"]["object"] == "chat.completion"
    assert wrapped["result"]["gatewayMetadata"] == {"keySource": "Unified"}
    universal = turn_body(TEXT, "universal", model="anthropic/claude-sonnet-4.5")
    assert universal["result"]["result"]["type"] == "message"


def test_embedding_shapes() -> None:
    listed = embedding_list([[0.1, 0.2], [0.3, 0.4]], model="m")
    assert listed["object"] == "list" and listed["model"] == "m"
    assert [d["index"] for d in listed["data"]] == [0, 1]
    assert listed["data"][1] == {"object": "embedding", "index": 1, "embedding": [0.3, 0.4]}
    native = run_embeddings([[0.1, 0.2, 0.3]], pooling="cls")
    assert native["result"]["shape"] == [1, 3] and native["result"]["pooling"] == "cls"


def test_error_replies_follow_the_gateway() -> None:
    rate = error_reply(code=2003, retry_after=2)
    assert rate.status == 429 and rate.headers["retry-after"] == "2"
    assert json.loads(rate.body) == {
        "result": None,
        "success": False,
        "errors": [{"message": "Rate limited", "code": 2003}],
        "messages": [],
    }
    missing = json.loads(error_reply(code=7003, model="acme/x").body)
    assert missing["errors"][0]["message"] == "Model not found: acme/x"
    with pytest.raises(ValueError, match="status"):
        error_reply(code=123456)
    cap = spend_cap_reply(spent=3, limit=2, bucket="team")
    assert cap.status == 429
    assert json.loads(cap.body)["error"] == {
        "message": "Spending limit exceeded",
        "bucket": "team",
        "spent": 3,
        "limit": 2,
    }
    assert (
        byok_rejected_reply().status,
        json.loads(byok_rejected_reply().body)["errors"][0]["code"],
    ) == (401, 2009)
    assert credentials_rejected_reply().status == 503
    assert "code" not in json.loads(credentials_rejected_reply().body)["errors"][0]


def test_sse_as_bytes_and_one_chunk_per_event() -> None:
    events = turn_events(TEXT, "anthropic")
    chunks = sse_chunks(events)
    assert len(chunks) == len(events) and all(c.endswith(b"\n\n") for c in chunks)
    assert chunks[0].startswith(b"event: message_start\ndata: {")
    assert sse_bytes(events) == b"".join(chunks)
    assert sse_chunks(["[DONE]"]) == [b"data: [DONE]\n\n"]
    reply = turn_reply(TEXT, "openai_chat", stream=True)
    assert reply.headers["content-type"] == "text/event-stream"
    assert len(reply.chunks) == len(turn_events(TEXT, "openai_chat"))


def test_chunks_choose_the_stream_pieces() -> None:
    turn = Turn(text="Paris", chunks=["Pa", "ris"])
    deltas = [
        c["choices"][0]["delta"].get("content") for c in turn_events(turn, "openai_chat")[1:3]
    ]
    assert deltas == ["Pa", "ris"]
    with pytest.raises(ValueError, match="join"):
        Turn(text="Paris", chunks=["Pa"])
    thinking = Turn(text="5", reasoning="I add.", reasoning_chunks=["I ", "add."])
    events = turn_events(thinking, "anthropic")
    pieces = [
        e[1]["delta"]["thinking"]
        for e in events
        if e[0] == "content_block_delta" and e[1]["delta"]["type"] == "thinking_delta"
    ]
    assert pieces == ["I ", "add."]
    with pytest.raises(ValueError, match="reasoning_chunks"):
        Turn(reasoning="x", reasoning_chunks=["y"])


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown wire format"):
        turn_body(TEXT, "gemini")  # type: ignore[arg-type]


# ------------------------------------------------------------------- streams parse back

ROUTES = [
    ("openai/gpt-5.5", "chat_completions"),
    ("anthropic/claude-sonnet-4.5", "messages"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
    ("openai/gpt-5.5", "run"),
    ("anthropic/claude-sonnet-4.5", "run"),
]
TURNS = {
    "text": TEXT,
    "tools": TOOLS,
    "text+tools+reasoning": BOTH,
    "cut": Turn(text="Par", truncated=True, usage=USAGE),
}


def _client(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(account_id="acct", api_token="t", http_client=fake.client(), max_retries=0)


# The native Workers AI shape carries no reasoning and no finish reason (its builder refuses them).
CASES = [
    (model, endpoint, name)
    for model, endpoint in ROUTES
    for name, turn in TURNS.items()
    if not (model.startswith("@cf/") and (turn.reasoning or turn.truncated))
]


def _streamed(body: dict[str, Any]) -> bool:
    inner = body.get("input")
    return body.get("stream") is True or (isinstance(inner, dict) and inner.get("stream") is True)


@pytest.mark.parametrize(("model", "endpoint", "name"), CASES)
def test_each_stream_folds_into_the_json_reply(model: str, endpoint: str, name: str) -> None:
    turn = TURNS[name]
    native = model.startswith("@cf/")
    fake = FakeGateway()
    fake.queue_turns(turn, turn)
    client = _client(fake)
    request = ChatRequest(model=model, messages=(Message.user("hi"),))
    whole = client.chat(request, endpoint=endpoint)
    assert not _streamed(fake.last_request.json)
    with client.stream(request, endpoint=endpoint) as events:
        for _ in events:
            pass
        streamed = events.result()
    assert _streamed(fake.last_request.json)
    assert fake.requests[-1].endpoint == endpoint
    assert streamed.parts == whole.parts
    assert streamed.finish_reason == whole.finish_reason
    assert streamed.usage == whole.usage
    assert whole.text == turn.text
    assert [(c.id, c.name, dict(c.arguments)) for c in whole.tool_calls] == [
        (c.id, c.name, dict(c.arguments)) for c in turn.tool_calls
    ]
    if not native:
        assert whole.reasoning == turn.reasoning


def test_queue_turns_scripts_an_agent_loop_across_endpoints() -> None:
    fake = FakeGateway()
    fake.queue_turns(TOOLS, error_reply(code=2003), Turn(text="7"))
    client = _client(fake)
    request = ChatRequest(model="anthropic/claude-sonnet-4.5", messages=(Message.user("add"),))
    first = client.chat(request)
    assert [c.name for c in first.tool_calls] == ["add", "mul"]
    assert fake.last_request.endpoint == "messages"
    with pytest.raises(Exception, match="Rate limited"):
        client.chat(request)
    assert client.chat(request).text == "7"
    assert len(fake.requests) == 3


def test_a_turn_for_a_non_chat_request_is_a_clear_400() -> None:
    fake = FakeGateway().queue_turns(TEXT)
    with fake.client() as http:
        reply = http.post(
            "https://api.cloudflare.com/client/v4/accounts/a/ai/v1/embeddings",
            json={"model": "@cf/baai/bge-m3", "input": "x"},
            headers={"authorization": "Bearer t"},
        )
    assert reply.status_code == 400
    assert "chat requests" in reply.json()["errors"][0]["message"]


def test_builder_imports_do_not_load_the_emulator() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cf_gateway_core.testing.openai_chat, cf_gateway_core.testing.anthropic;"
        "print(sorted(m for m in sys.modules if m.startswith('cf_gateway_core.emulator')"
        " or m == 'httpx'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
async def test_async_stream_folds_into_the_async_json_reply(model: str, endpoint: str) -> None:
    from cf_gateway_core import AsyncGatewayClient

    turn = TOOLS
    fake = FakeGateway().queue_turns(turn, turn)
    async with AsyncGatewayClient(
        account_id="acct", api_token="t", http_client=fake.async_client(), max_retries=0
    ) as client:
        request = ChatRequest(model=model, messages=(Message.user("hi"),))
        whole = await client.chat(request, endpoint=endpoint)
        async with client.stream(request, endpoint=endpoint) as events:
            async for _ in events:
                pass
            streamed = events.result()
    assert [c.name for c in whole.tool_calls] == ["add", "mul"]
    assert streamed.parts == whole.parts
    assert streamed.usage == whole.usage
    assert [_streamed(r.json) for r in fake.requests] == [False, True]
