"""Neutral values: Message helpers, ChatResponse properties, GatewayMetadata, Usage."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from cf_gateway_core.messages import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    GatewayMetadata,
    ImagePart,
    Message,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
)


@pytest.mark.parametrize(
    ("factory", "role"),
    [(Message.system, "system"), (Message.user, "user"), (Message.assistant, "assistant")],
)
def test_message_helpers_build_one_text_part(factory: object, role: str) -> None:
    message = factory("hello")  # type: ignore[operator]
    assert message == Message(role=role, parts=(TextPart("hello"),))  # type: ignore[arg-type]
    assert message.text == "hello"
    assert message.name is None


def test_message_text_joins_text_parts_only() -> None:
    message = Message(
        role="user",
        parts=(
            TextPart("look at "),
            ImagePart(url="data:image/png;base64,iVBORw0KGgo=", detail="low"),
            TextPart("this"),
        ),
    )
    assert message.text == "look at this"


def test_message_tool_result_has_no_text() -> None:
    message = Message(
        role="tool", parts=(ToolResultPart(tool_call_id="call_1", content="42", name="calc"),)
    )
    assert message.text == ""
    part = message.parts[0]
    assert isinstance(part, ToolResultPart)
    assert part.is_error is False


def test_values_are_frozen_and_slotted() -> None:
    message = Message.user("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.role = "system"  # type: ignore[misc]
    for cls in (TextPart, Message, ChatResponse, Usage, GatewayMetadata, ChatRequest):
        assert "__slots__" in vars(cls)


def test_chat_response_properties() -> None:
    call = ToolCallPart(id="c1", name="f", arguments={"a": 1})
    response = ChatResponse(
        parts=(
            ReasoningPart(text="first "),
            ReasoningPart(text="second", signature="sig"),
            TextPart("Hello"),
            call,
        )
    )
    assert response.text == "Hello"
    assert response.reasoning == "first second"
    assert response.tool_calls == (call,)


def test_chat_response_defaults() -> None:
    response = ChatResponse()
    assert (response.text, response.reasoning, response.tool_calls) == ("", "", ())
    assert response.provider_details == {}
    assert response.usage is None
    # Each instance gets its own default mapping.
    assert ChatResponse().provider_details is not response.provider_details


def test_gateway_metadata_as_dict_keeps_set_fields_only() -> None:
    assert GatewayMetadata().as_dict() == {}
    metadata = GatewayMetadata(
        log_id="01M3YS79ZW10EMBHT63T6T4K0Y",
        cache_status="HIT",
        event_id="evt",
        request_id="req",
        step="0",
        model="openai/gpt-5.5",
        provider="openai",
        key_source="Unified",
    )
    assert metadata.as_dict() == {
        "log_id": "01M3YS79ZW10EMBHT63T6T4K0Y",
        "cache_status": "HIT",
        "event_id": "evt",
        "request_id": "req",
        "step": "0",
        "model": "openai/gpt-5.5",
        "provider": "openai",
        "key_source": "Unified",
    }
    assert GatewayMetadata(cache_status="MISS", step="").as_dict() == {
        "cache_status": "MISS",
        "step": "",
    }


@pytest.mark.parametrize(
    ("usage", "zero"),
    [
        (Usage(), True),
        (Usage(cache_read_tokens=5, reasoning_tokens=1), True),
        (Usage(input_tokens=1), False),
        (Usage(output_tokens=1), False),
        (Usage(total_tokens=1), False),
    ],
)
def test_usage_is_zero(usage: Usage, zero: bool) -> None:
    assert usage.is_zero is zero


def test_chat_request_defaults() -> None:
    request = ChatRequest(model="openai/gpt-5.5", messages=(Message.user("hi"),))
    assert request.tools == ()
    assert request.stream is False
    assert request.extra_body == {}
    assert request.temperature is None
    assert request.max_tokens is None
    assert request.stop is None


def test_tool_spec_default_parameters_schema() -> None:
    spec = ToolSpec(name="noop")
    assert spec.parameters == {"type": "object", "properties": {}}
    assert spec.description == ""
    assert spec.strict is None


def test_small_values() -> None:
    assert ToolChoice(mode="tool", name="f").name == "f"
    assert ResponseFormat(type="json_schema", name="x", schema={"type": "object"}).strict is None
    assert EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=["a"]).dimensions is None
    assert EmbeddingResponse(vectors=[[0.1, 0.2]]).usage is None


def test_values_pickle() -> None:
    response = ChatResponse(
        parts=(TextPart("x"), ToolCallPart(id="c", name="f", arguments={"a": 1})),
        usage=Usage(input_tokens=1),
        gateway=GatewayMetadata(log_id="l"),
    )
    assert pickle.loads(pickle.dumps(response)) == response
