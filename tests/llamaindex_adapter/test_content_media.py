"""DocumentBlock, CitableBlock and AudioBlock through CloudflareAIGateway (LlamaIndex): the wire
shape per API (chat and stream), and refusals naming the endpoint that takes them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    CitableBlock,
    DocumentBlock,
    TextBlock,
    ToolCallBlock,
)

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import CloudflareAIGateway

PDF_BYTES = b"%PDF-1.4 a tiny pdf"
PDF = base64.b64encode(PDF_BYTES).decode()
WAV_BYTES = b"RIFF\x00\x01\x02\x03WAVEfmt "
CLAUDE, GPT = "anthropic/claude-sonnet-4.5", "openai/gpt-5.5"


def _llm(fake: FakeGateway, model: str = CLAUDE, **kw: Any) -> Any:
    return CloudflareAIGateway(
        model=model,
        account_id="acct",
        api_token="tok",
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kw,
    )


def _ask(block: Any) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[TextBlock(text="Summarise."), block])]


def _pdf() -> DocumentBlock:
    return DocumentBlock(data=PDF_BYTES, document_mimetype="application/pdf", title="Handbook")


def test_document_block_on_messages_chat_and_stream() -> None:
    fake = FakeGateway()
    llm = _llm(fake)
    llm.chat(_ask(_pdf()))
    expected = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
        "title": "Handbook",
    }
    assert fake.last_request.json["messages"][0]["content"][1] == expected
    *_, last = llm.stream_chat(_ask(_pdf()))
    assert fake.last_request.json["messages"][0]["content"][1] == expected
    assert last.message.content


def test_document_url_is_passed_on_not_downloaded() -> None:
    fake = FakeGateway()
    _llm(fake).chat(_ask(DocumentBlock(url="https://example.com/a.pdf")))
    assert fake.last_request.json["messages"][0]["content"][1] == {
        "type": "document",
        "source": {"type": "url", "url": "https://example.com/a.pdf"},
    }
    assert len(fake.requests) == 1


def test_citable_block_is_a_text_document_with_citations() -> None:
    fake = FakeGateway()
    block = CitableBlock(
        title="Policy", source="https://example.com/policy", content=[TextBlock(text="Logs: 30d.")]
    )
    _llm(fake).chat(_ask(block))
    assert fake.last_request.json["messages"][0]["content"][1] == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "Logs: 30d."},
        "title": "Policy",
        "context": "https://example.com/policy",
        "citations": {"enabled": True},
    }


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (
            "chat_completions",
            {
                "type": "file",
                "file": {
                    "filename": "Handbook.pdf",
                    "file_data": f"data:application/pdf;base64,{PDF}",
                },
            },
        ),
        (
            "responses",
            {
                "type": "input_file",
                "filename": "Handbook.pdf",
                "file_data": f"data:application/pdf;base64,{PDF}",
            },
        ),
    ],
)
def test_document_block_on_openai_endpoints(endpoint: str, expected: dict[str, Any]) -> None:
    fake = FakeGateway()
    llm = _llm(fake, GPT, endpoint=endpoint)
    llm.chat(_ask(_pdf()))
    key = "messages" if endpoint == "chat_completions" else "input"
    assert fake.last_request.json[key][0]["content"][1] == expected


def test_audio_block_is_input_audio_on_chat_completions() -> None:
    # gpt-4o-audio-preview is not in the model table's catalogue: the emulator must accept it.
    fake = FakeGateway(accept_any_model=True)
    llm = _llm(fake, "openai/gpt-4o-audio-preview")
    *_, last = llm.stream_chat(_ask(AudioBlock(audio=WAV_BYTES, format="wav")))
    part = fake.last_request.json["messages"][0]["content"][1]
    assert part["type"] == "input_audio" and part["input_audio"]["format"] == "wav"
    assert base64.b64decode(part["input_audio"]["data"]) == WAV_BYTES
    assert last.message.content


@pytest.mark.parametrize(
    ("model", "endpoint"), [(CLAUDE, "messages"), (GPT, "responses"), (CLAUDE, "run")]
)
def test_audio_elsewhere_names_chat_completions(model: str, endpoint: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=f"endpoint '{endpoint}'.*'chat_completions'"):
        _llm(fake, model, endpoint=endpoint).chat(_ask(AudioBlock(audio=WAV_BYTES, format="wav")))
    assert fake.requests == []


def test_audio_without_a_usable_format_is_refused() -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="format='wav'"):
        _llm(fake, GPT).chat(_ask(AudioBlock(audio=WAV_BYTES, format="flac")))
    assert fake.requests == []


def test_document_in_a_tool_message() -> None:
    fake = FakeGateway()
    call = ToolCallBlock(tool_call_id="t1", tool_name="fetch_report", tool_kwargs={})
    tool = ChatMessage(role="tool", blocks=[_pdf()], additional_kwargs={"tool_call_id": "t1"})
    history = [
        ChatMessage(role="user", content="Fetch the report."),
        ChatMessage(role="assistant", blocks=[call]),
        tool,
    ]
    _llm(fake).chat(history)
    result = fake.last_request.json["messages"][-1]["content"][0]
    assert result["content"][0]["type"] == "document"
    with pytest.raises(GatewayConfigError, match="endpoint 'chat_completions'"):
        _llm(fake, GPT).chat(history)
    audio = ChatMessage(
        role="tool",
        blocks=[AudioBlock(audio=WAV_BYTES, format="wav")],
        additional_kwargs={"tool_call_id": "t1"},
    )
    with pytest.raises(GatewayConfigError, match="text, images and documents"):
        _llm(fake).chat([*history[:2], audio])
