"""Render an :class:`~cf_gateway_core.emulator._answer.Answer` in each API's wire shape.

The emulator decides *what* to answer; the public builders of :mod:`cf_gateway_core.testing`
(one implementation of the wire formats, shared with ``FakeGateway`` scripts, our tests and the
benchmark server)
decide *how* it looks: an answer becomes a :class:`~cf_gateway_core.testing.Turn`
and each format's JSON body or stream is built from it (docs/testing.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cf_gateway_core.emulator._answer import Answer
from cf_gateway_core.testing import anthropic, openai_chat, responses, workers_ai
from cf_gateway_core.testing.sse import SSEItem
from cf_gateway_core.testing.turns import ToolCall, Turn, Usage

__all__ = ["FORMATS", "Format", "as_turn", "universal_envelope", "v4_envelope"]

Body = dict[str, Any]
Frames = list[SSEItem]
universal_envelope = workers_ai.universal_envelope
v4_envelope = workers_ai.v4_envelope


def as_turn(a: Answer) -> Turn:
    """The public :class:`Turn` an emulator answer is rendered from."""
    calls = [ToolCall(c.name, c.arguments, id=None, raw_arguments=c.raw) for c in a.tool_calls]
    usage = Usage(
        input_tokens=a.input_tokens,
        output_tokens=a.output_tokens,
        cache_read_tokens=a.cache_read_tokens,
        cache_creation_tokens=a.cache_creation_tokens,
    )
    return Turn(
        text=a.text,
        tool_calls=calls,
        usage=usage,
        truncated=a.cut,
        id=a.seed,
        json_value=a.json_value,
    )


def _chat(a: Answer, metadata: bool) -> Body:
    return openai_chat.chat_completion(as_turn(a), model=a.model, gateway_metadata=metadata)


def _chat_frames(a: Answer, _: bool) -> Frames:
    return openai_chat.chat_events(as_turn(a), model=a.model)


def _message(a: Answer, metadata: bool) -> Body:
    return anthropic.message(as_turn(a), model=a.model, gateway_metadata=metadata)


def _message_frames(a: Answer, _: bool) -> Frames:
    return anthropic.message_events(as_turn(a), model=a.model)


def _response(a: Answer, metadata: bool) -> Body:
    return responses.response(as_turn(a), model=a.model, gateway_metadata=metadata)


def _response_frames(a: Answer, _: bool) -> Frames:
    return responses.response_events(as_turn(a), model=a.model)


def _native(a: Answer, _: bool) -> Body:
    return workers_ai.run_result(as_turn(a))


def _native_frames(a: Answer, _: bool) -> Frames:
    return workers_ai.run_events(as_turn(a))


Format = tuple[Callable[[Answer, bool], Body], Callable[[Answer, bool], Frames]]
"""A wire format: (JSON body builder, stream frames builder); the flag asks for gatewayMetadata."""

FORMATS: dict[str, Format] = {
    "openai_chat": (_chat, _chat_frames),
    "anthropic": (_message, _message_frames),
    "responses": (_response, _response_frames),
    "native": (_native, _native_frames),
}
"""Reply format name -> builders."""
