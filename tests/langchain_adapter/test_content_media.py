"""Documents (PDF, plain text) and audio through ChatCloudflareAIGateway: the recorded request is
each API's documented shape, the emulator accepts it (invoke and stream), and an endpoint without
the feature is refused before sending, naming one that has it."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway

PDF = base64.b64encode(b"%PDF-1.4 a tiny pdf").decode()
WAV = base64.b64encode(b"RIFF....WAVEfmt ").decode()
NOTE = "Gateways log every request."
CLAUDE, GPT = "anthropic/claude-sonnet-4.5", "openai/gpt-5.5"


def _llm(fake: FakeGateway, model: str = CLAUDE, **kw: Any) -> Any:
    return ChatCloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _ask(*blocks: dict[str, Any]) -> list[HumanMessage]:
    return [HumanMessage([{"type": "text", "text": "Summarise."}, *blocks])]


PDF_V1 = {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "a.pdf"}
PDF_CITED = {
    "type": "file",
    "base64": PDF,
    "mime_type": "application/pdf",
    "extras": {"title": "Handbook", "context": "internal", "citations": {"enabled": True}},
}
TEXT_V1 = {"type": "text-plain", "text": NOTE, "mime_type": "text/plain", "title": "Note"}
URL_V1 = {"type": "file", "url": "https://example.com/a.pdf", "mime_type": "application/pdf"}
ID_V1 = {"type": "file", "file_id": "file_123"}
AUDIO_V1 = {"type": "audio", "base64": WAV, "mime_type": "audio/wav"}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            PDF_CITED,
            {
                "type": "document",
                "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
                "title": "Handbook",
                "context": "internal",
                "citations": {"enabled": True},
            },
        ),
        (
            TEXT_V1,
            {
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": NOTE},
                "title": "Note",
            },
        ),
        (URL_V1, {"type": "document", "source": {"type": "url", "url": URL_V1["url"]}}),
        (ID_V1, {"type": "document", "source": {"type": "file", "file_id": "file_123"}}),
        (
            {
                "type": "file",
                "source_type": "base64",
                "data": base64.b64encode(NOTE.encode()).decode(),
                "mime_type": "text/plain",
            },
            {
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": NOTE},
            },
        ),
    ],
)
def test_documents_become_anthropic_document_blocks(
    block: dict[str, Any], expected: dict[str, Any]
) -> None:
    fake = FakeGateway()
    reply = _llm(fake).invoke(_ask(block))
    assert fake.last_request.json["messages"][0]["content"][1] == expected
    assert reply.content


def test_document_cache_control_and_stream() -> None:
    fake = FakeGateway()
    block = {**PDF_V1, "cache_control": {"type": "ephemeral"}}
    chunks = list(_llm(fake).stream(_ask(block)))
    sent = fake.last_request.json["messages"][0]["content"][1]
    assert sent["cache_control"] == {"type": "ephemeral"}
    assert "".join(c.text for c in chunks)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            PDF_V1,
            {
                "type": "file",
                "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
            },
        ),
        (ID_V1, {"type": "file", "file": {"file_id": "file_123"}}),
        (AUDIO_V1, {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}}),
        (
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "mp3"}},
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "mp3"}},
        ),
    ],
)
def test_chat_completions_file_and_input_audio_parts(
    block: dict[str, Any], expected: dict[str, Any]
) -> None:
    fake = FakeGateway()
    llm = _llm(fake, GPT)
    llm.invoke(_ask(block))
    assert fake.last_request.json["messages"][0]["content"][1] == expected
    asyncio.run(llm.ainvoke(_ask(block)))
    assert fake.last_request.json["messages"][0]["content"][1] == expected


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            PDF_V1,
            {
                "type": "input_file",
                "filename": "a.pdf",
                "file_data": f"data:application/pdf;base64,{PDF}",
            },
        ),
        (URL_V1, {"type": "input_file", "file_url": "https://example.com/a.pdf"}),
        (ID_V1, {"type": "input_file", "file_id": "file_123"}),
    ],
)
def test_responses_input_file_parts(block: dict[str, Any], expected: dict[str, Any]) -> None:
    fake = FakeGateway()
    chunks = list(_llm(fake, GPT, endpoint="responses").stream(_ask(block)))
    assert fake.last_request.json["input"][0]["content"][1] == expected
    assert "".join(c.text for c in chunks)


def test_provider_native_document_blocks_are_read() -> None:
    fake = FakeGateway()
    anthropic = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": NOTE},
        "citations": {"enabled": True},
    }
    _llm(fake).invoke(_ask(anthropic))
    assert fake.last_request.json["messages"][0]["content"][1] == anthropic
    openai = {
        "type": "file",
        "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
    }
    _llm(fake, GPT).invoke(_ask(openai))
    assert fake.last_request.json["messages"][0]["content"][1] == openai


@pytest.mark.parametrize(
    ("model", "endpoint", "block", "names"),
    [
        (CLAUDE, "messages", AUDIO_V1, "'chat_completions'"),
        (GPT, "responses", AUDIO_V1, "'chat_completions'"),
        ("@cf/meta/llama-3.1-8b-instruct", "run", AUDIO_V1, "'chat_completions'"),
        ("@cf/meta/llama-3.1-8b-instruct", "run", PDF_V1, "'chat_completions'"),
        (GPT, "chat_completions", URL_V1, "'responses'"),
        (GPT, "chat_completions", TEXT_V1, "'responses'"),
        (GPT, "chat_completions", PDF_CITED, "'messages'"),
        (GPT, "responses", PDF_CITED, "'messages'"),
    ],
)
def test_endpoints_without_the_feature_refuse_it(
    model: str, endpoint: str, block: dict[str, Any], names: str
) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=f"endpoint '{endpoint}'") as info:
        _llm(fake, model, endpoint=endpoint).invoke(_ask(block))
    assert names in str(info.value)
    assert fake.requests == []


@pytest.mark.parametrize("endpoint", ["run", "messages", "responses"])
def test_audio_refusals_suggest_only_the_endpoint_that_takes_audio(endpoint: str) -> None:
    """Responses and Messages refuse audio, so no audio error may send the user there."""
    fake = FakeGateway()
    model = "@cf/meta/llama-3.1-8b-instruct" if endpoint == "run" else GPT
    if endpoint == "messages":
        model = CLAUDE
    with pytest.raises(GatewayConfigError) as info:
        _llm(fake, model, endpoint=endpoint).invoke(_ask(AUDIO_V1))
    suggested = str(info.value).split(f"endpoint {endpoint!r}", 1)[1]
    assert "'chat_completions'" in suggested
    assert "'responses'" not in suggested and "'messages'" not in suggested
    assert fake.requests == []


@pytest.mark.parametrize(
    "block",
    [
        {"type": "file", "mime_type": "application/pdf"},
        {"type": "audio", "url": "https://example.com/a.wav"},
        {"type": "file", "base64": PDF, "mime_type": "application/zip"},
    ],
)
def test_unusable_blocks_are_refused_before_sending(block: dict[str, Any]) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError):
        _llm(fake).invoke(_ask(block))
    assert fake.requests == []


def _tool_history() -> list[Any]:
    call = {"name": "fetch_report", "args": {}, "id": "t1"}
    return [
        HumanMessage("Fetch the report and summarise it."),
        AIMessage("", tool_calls=[call]),
        ToolMessage([{"type": "text", "text": "see"}, PDF_V1], tool_call_id="t1"),
    ]


def test_a_pdf_in_a_tool_message_on_messages_and_responses() -> None:
    fake = FakeGateway()
    list(_llm(fake).stream(_tool_history()))
    (result,) = fake.last_request.json["messages"][-1]["content"]
    assert result["type"] == "tool_result"
    assert result["content"][1] == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
    }
    _llm(fake, GPT, endpoint="responses").invoke(_tool_history())
    assert fake.last_request.json["input"][-1]["output"] == [
        {"type": "input_text", "text": "see"},
        {
            "type": "input_file",
            "filename": "a.pdf",
            "file_data": f"data:application/pdf;base64,{PDF}",
        },
    ]


def test_a_pdf_in_a_tool_message_on_chat_completions_is_refused_not_dropped() -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=r"endpoint 'chat_completions'.*'responses'"):
        _llm(fake, GPT).invoke(_tool_history())
    with pytest.raises(GatewayConfigError, match="AudioPart"):
        _llm(fake).invoke([HumanMessage("Hi"), ToolMessage([AUDIO_V1], tool_call_id="t1")])
    assert fake.requests == []


def test_emulator_validates_audio_format_like_the_api() -> None:
    fake = FakeGateway()
    body = {
        "model": GPT,
        "messages": [
            {
                "role": "user",
                "content": [{"type": "input_audio", "input_audio": {"data": WAV, "format": "ogg"}}],
            }
        ],
    }
    with fake.client() as client:
        reply = client.post(
            "https://api.cloudflare.com/client/v4/accounts/a/ai/v1/chat/completions",
            json=body,
            headers={"authorization": "Bearer t"},
        )
    assert reply.status_code == 400
    assert "'wav' and 'mp3'" in reply.json()["errors"][0]["message"]


def test_emulator_refuses_non_pdf_chat_completions_files_like_the_api() -> None:
    """OpenAI's Chat Completions file parts take PDFs only; the emulator answers 400 / 7003."""
    fake = FakeGateway()
    data = base64.b64encode(NOTE.encode()).decode()
    part = {
        "type": "file",
        "file": {"filename": "n.txt", "file_data": f"data:text/plain;base64,{data}"},
    }
    body = {"model": GPT, "messages": [{"role": "user", "content": [part]}]}
    url = "https://api.cloudflare.com/client/v4/accounts/acct/ai/v1/chat/completions"
    reply = fake.client().post(url, json=body, headers={"Authorization": "Bearer tok"})
    assert reply.status_code == 400
    assert "PDF only" in reply.text
