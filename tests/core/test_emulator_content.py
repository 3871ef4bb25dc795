"""The emulator's content features at the HTTP level: prompt-cache memory and validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cf_gateway_core.testing import FakeGateway

BASE = "https://api.cloudflare.com/client/v4/accounts/acct/"
AUTH = {"authorization": "Bearer tok"}
EPHEMERAL = {"type": "ephemeral"}


def _post(fake: FakeGateway, path: str, body: dict[str, Any]) -> Any:
    with fake.client() as client:
        return client.post(BASE + path, json=body, headers=AUTH)


def _messages(text: str, **extra: Any) -> dict[str, Any]:
    content = [
        {"type": "text", "text": "Shared context. " * 20, "cache_control": EPHEMERAL},
        {"type": "text", "text": text},
    ]
    return {
        "model": "anthropic/claude-sonnet-4.5",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": content}],
        **extra,
    }


def test_second_call_with_the_same_prefix_reads_the_cache() -> None:
    fake = FakeGateway()
    first = _post(fake, "ai/v1/messages", _messages("Question one?")).json()["usage"]
    assert first["cache_creation_input_tokens"] > 0 and first["cache_read_input_tokens"] == 0
    # Same cached prefix, a different question after it: still a read.
    second = _post(fake, "ai/v1/messages", _messages("Question two?")).json()["usage"]
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0
    assert second["input_tokens"] > 0
    # A fresh gateway has nothing cached; an uncached request reports zeros.
    assert (
        _post(FakeGateway(), "ai/v1/messages", _messages("Question two?")).json()["usage"][
            "cache_read_input_tokens"
        ]
        == 0
    )
    plain = _messages("x")
    del plain["messages"][0]["content"][0]["cache_control"]
    usage = _post(fake, "ai/v1/messages", plain).json()["usage"]
    assert usage["cache_read_input_tokens"] == usage["cache_creation_input_tokens"] == 0


def test_stream_flag_is_not_part_of_the_cached_prompt() -> None:
    fake = FakeGateway()
    _post(fake, "ai/v1/messages", _messages("Q?"))
    reply = _post(fake, "ai/v1/messages", _messages("Q?", stream=True))
    start = next(
        json.loads(line[5:])
        for line in reply.text.splitlines()
        if line.startswith("data:") and "message_start" in line
    )
    assert start["message"]["usage"]["cache_read_input_tokens"] > 0


@pytest.mark.parametrize(
    ("control", "message"),
    [
        ({"type": "lasting"}, "cache_control"),
        ({"type": "ephemeral", "ttl": "10m"}, "cache_control"),
    ],
)
def test_invalid_cache_control_gets_400(control: dict[str, Any], message: str) -> None:
    body = _messages("Q?")
    body["messages"][0]["content"][0]["cache_control"] = control
    reply = _post(FakeGateway(), "ai/v1/messages", body)
    assert reply.status_code == 400
    assert message in reply.json()["errors"][0]["message"]


def test_a_cache_control_key_in_tool_data_is_not_a_breakpoint() -> None:
    # Tool arguments and schemas are the caller's data (found by a property test: tool-call
    # arguments {"": {"cache_control": None}} were answered 400).
    body = _messages("Q?")
    call = {"type": "tool_use", "id": "t1", "name": "f", "input": {"": {"cache_control": None}}}
    body["messages"] += [
        {"role": "assistant", "content": [call]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
        },
    ]
    schema = {"type": "object", "properties": {"cache_control": {"type": "string"}}}
    body["tools"] = [{"name": "f", "description": "", "input_schema": schema}]
    reply = _post(FakeGateway(), "ai/v1/messages", body)
    assert reply.status_code == 200, reply.text


def test_five_breakpoints_get_400() -> None:
    body = _messages("Q?")
    body["messages"][0]["content"] = [
        {"type": "text", "text": f"part {i}", "cache_control": EPHEMERAL} for i in range(5)
    ]
    reply = _post(FakeGateway(), "ai/v1/messages", body)
    assert reply.status_code == 400
    assert "maximum of 4" in reply.json()["errors"][0]["message"]


def test_system_block_array_gets_400_7003() -> None:
    body = _messages("Q?", system=[{"type": "text", "text": "Rules", "cache_control": EPHEMERAL}])
    reply = _post(FakeGateway(), "ai/v1/messages", body)
    assert reply.status_code == 400
    error = reply.json()["errors"][0]
    assert error["code"] == 7003 and "Invalid value at system" in error["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("ai/v1/chat/completions", {"messages": [{"role": "user", "content": "Hi"}]}),
        ("ai/v1/responses", {"input": "Hi"}),
    ],
)
def test_prompt_cache_key_reports_cached_tokens_on_repeat(path: str, body: dict[str, Any]) -> None:
    fake = FakeGateway()
    request = {"model": "openai/gpt-5.5", "prompt_cache_key": "k", **body}
    details = "prompt_tokens_details" if "chat" in path else "input_tokens_details"
    assert _post(fake, path, request).json()["usage"][details]["cached_tokens"] == 0
    assert _post(fake, path, request).json()["usage"][details]["cached_tokens"] > 0
    other = {**request, "prompt_cache_key": "other"}
    assert _post(fake, path, other).json()["usage"][details]["cached_tokens"] == 0
