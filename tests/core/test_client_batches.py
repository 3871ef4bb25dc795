"""EventStream.batches(): events grouped as they arrive, adjacent deltas merged; large network
reads decoded in slices; and the client importing httpx/asyncio only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cf_gateway_core import (
    AsyncGatewayClient,
    ChatRequest,
    Finish,
    GatewayClient,
    Message,
    ReasoningDelta,
    ResponseStart,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from cf_gateway_core.testing import FakeGateway, Reply, SSEItem

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "acct"
TOKEN = "tok-batches"


def chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def text_frames(n: int) -> list[SSEItem]:
    return [chunk({"content": f"w{i} "}) for i in range(n)]


def one_read(frames: list[SSEItem]) -> bytes:
    """The frames as one network read (FakeGateway otherwise delivers one read per frame)."""
    return Reply.sse(frames).body


def queue_one_read(fake: FakeGateway, frames: list[SSEItem], endpoint: str | None = None) -> None:
    fake.queue_sse(one_read(frames), endpoint=endpoint)


def request() -> ChatRequest:
    return ChatRequest(model="openai/gpt-5.5", messages=(Message.user("Hi"),))


def sync_client(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(account_id=ACCOUNT, api_token=TOKEN, http_client=fake.client())


def test_batches_merge_adjacent_text_and_keep_the_reply() -> None:
    fake = FakeGateway(auto_reply=False)
    frames: list[SSEItem] = [*text_frames(10), chunk({}, "stop"), "[DONE]"]  # < 2 KiB: one slice
    fake.queue_sse(one_read(frames))
    fake.queue_sse(one_read(frames))
    client = sync_client(fake)
    with client.stream(request()) as events:
        flat = list(events)
        flat_result = events.result()
    with client.stream(request()) as events:
        batches = list(events.batches())
        batched_result = events.result()
    merged = [e for batch in batches for e in batch]
    assert [type(e) for e in merged] == [ResponseStart, TextDelta, Finish]
    assert merged[1] == TextDelta("".join(f"w{i} " for i in range(10)))
    assert sum(isinstance(e, TextDelta) for e in flat) == 10
    assert batched_result == flat_result
    assert all(batches)  # never an empty batch


def test_batches_keep_reasoning_blocks_tool_calls_and_order_apart() -> None:
    fake = FakeGateway(auto_reply=False)
    queue_one_read(
        fake,
        [
            chunk({"reasoning_content": "think "}),
            chunk({"reasoning_content": "more"}),
            chunk({"content": "a"}),
            chunk({"content": "b"}),
            chunk(
                {
                    "tool_calls": [
                        {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"x"'}}
                    ]
                }
            ),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1"}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
            chunk(
                {
                    "tool_calls": [
                        {"index": 1, "id": "c2", "function": {"name": "g", "arguments": "{}"}}
                    ]
                }
            ),
            chunk({}, "tool_calls"),
            {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 1}},
            "[DONE]",
        ],
    )
    with sync_client(fake).stream(request()) as events:
        merged: list[StreamEvent] = [e for batch in events.batches() for e in batch]
        result = events.result()
    assert merged[1:] == [
        ReasoningDelta("think more"),
        TextDelta("ab"),
        ToolCallDelta(0, "c1", "f", '{"x": 1}'),
        ToolCallDelta(1, "c2", "g", "{}"),
        Finish("tool_calls", "tool_calls"),
        merged[-1],
    ]
    assert isinstance(merged[-1], UsageUpdate)
    assert [(c.id, dict(c.arguments)) for c in result.tool_calls] == [("c1", {"x": 1}), ("c2", {})]


def test_batches_never_merge_signed_reasoning() -> None:
    fake = FakeGateway(auto_reply=False)
    queue_one_read(
        fake,
        [
            ("message_start", {"type": "message_start", "message": {"id": "m", "model": "c"}}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}},
            ),
            *[
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "thinking_delta", "thinking": t},
                    },
                )
                for t in ("a", "b")
            ],
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": "sig"},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_stop", {"type": "message_stop"}),
        ],
        endpoint="messages",
    )
    client = sync_client(fake)
    anthropic = ChatRequest(model="anthropic/claude-sonnet-4.5", messages=(Message.user("Hi"),))
    with client.stream(anthropic) as events:
        merged = [e for batch in events.batches() for e in batch]
        result = events.result()
    reasoning = [e for e in merged if isinstance(e, ReasoningDelta)]
    assert [(r.text, r.signature) for r in reasoning] == [("ab", None), ("", "sig")]
    assert result.parts[0].signature == "sig"  # type: ignore[union-attr]


def test_large_read_is_decoded_in_slices() -> None:
    # The whole body arrives in one read; the first slice must come out on its
    # own (time to first chunk) instead of after the whole read is parsed.
    fake = FakeGateway(auto_reply=False)
    queue_one_read(fake, [*text_frames(2000), chunk({}, "stop"), "[DONE]"])
    with sync_client(fake).stream(request()) as events:
        batches = list(events.batches())
    texts = [e for batch in batches for e in batch if isinstance(e, TextDelta)]
    assert len(batches) > 10
    assert "".join(t.text for t in texts) == "".join(f"w{i} " for i in range(2000))
    first_text = next(e for e in batches[0] if isinstance(e, TextDelta))
    assert first_text.text.count(" ") < 40  # only the first ~2 KiB: a few dozen frames


async def test_async_batches_match_sync() -> None:
    fake = FakeGateway(auto_reply=False)
    fake.queue_sse([*text_frames(300), chunk({}, "stop"), "[DONE]"])
    client = AsyncGatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, http_client=fake.async_client()
    )
    async with client.stream(request()) as events:
        batches = [batch async for batch in events.batches()]
        result = events.result()
    assert all(batches)
    text = "".join(e.text for b in batches for e in b if isinstance(e, TextDelta))
    assert text == result.text == "".join(f"w{i} " for i in range(300))


async def test_async_stream_closed_after_partial_batches() -> None:
    fake = FakeGateway(auto_reply=False)
    fake.queue_sse([*text_frames(3000), "[DONE]"])
    client = AsyncGatewayClient(
        account_id=ACCOUNT, api_token=TOKEN, http_client=fake.async_client()
    )
    events = client.stream(request())
    async for _ in events.batches():
        break
    await events.aclose()
    with pytest.raises(StopAsyncIteration):
        await events.__anext__()


def test_import_loads_neither_httpx_nor_asyncio() -> None:
    code = (
        "import sys, cf_gateway_core;"
        "print(sorted(m for m in ('httpx', 'asyncio') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_first_client_loads_httpx() -> None:
    code = (
        "import sys, cf_gateway_core;"
        "cf_gateway_core.GatewayClient(account_id='a', api_token='t').close();"
        "print('httpx' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "True"
