"""What a scripted model says in one turn, independent of the API that carries it.

A :class:`Turn` holds the text, the tool calls (several per reply), the reasoning, the token
usage and how the reply ended. The wire builders (:mod:`cf_gateway_core.testing.openai_chat`,
:mod:`~cf_gateway_core.testing.anthropic`, :mod:`~cf_gateway_core.testing.responses`,
:mod:`~cf_gateway_core.testing.workers_ai`) render it in each API's documented shape, and
:meth:`cf_gateway_core.testing.FakeGateway.queue_turns` answers a request with it in the shape the
request's endpoint speaks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Split", "ToolCall", "Turn", "Usage", "fragments", "word_pieces"]

Split = Callable[[str], Sequence[str]]
"""How a stream splits a text into deltas (the pieces must join back to the text)."""

_WORD_PIECE = re.compile(r"\s*\S+")


def word_pieces(text: str) -> list[str]:
    """Split text into word chunks, each with its leading space, as model streams send them.

    Args:
        text: the whole text.

    Returns:
        The pieces; ``"".join(pieces) == text``.
    """
    pieces = _WORD_PIECE.findall(text)
    rest = text[len("".join(pieces)) :]
    return [*pieces[:-1], pieces[-1] + rest] if pieces else ([rest] if rest else [])


def fragments(arguments: str) -> list[str]:
    """Split tool-call argument JSON into three fragments, as streams deliver them.

    Args:
        arguments: the argument JSON text.

    Returns:
        Three pieces (the first may be empty for tiny objects) that join back to ``arguments``.
    """
    third = max(1, len(arguments) // 3)
    return [arguments[:third], arguments[third : 2 * third], arguments[2 * third :]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Token counts of one reply.

    Attributes:
        input_tokens: prompt tokens in total, cached ones included (Anthropic's ``input_tokens``
            is rendered without the cached ones, as Anthropic reports it).
        output_tokens: generated tokens (reasoning included).
        cache_read_tokens: prompt tokens read from the provider's prompt cache.
        cache_creation_tokens: prompt tokens written to it (Anthropic).
        reasoning_tokens: the part of ``output_tokens`` spent on reasoning.
    """

    input_tokens: int = 10
    output_tokens: int = 5
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call in a reply.

    Attributes:
        name: the tool's name.
        arguments: the arguments object.
        id: the call id, used as is in every format (``None``: a deterministic id in the
            format's own style, ``call_…`` or ``toolu_01…``).
        raw_arguments: argument text sent instead of ``arguments`` as JSON (a call cut short by
            the token limit, e.g. ``'{"city": "Lis'``); Chat Completions and Responses only.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None
    raw_arguments: str | None = None

    @property
    def arguments_json(self) -> str:
        """The argument text as it travels on the wire."""
        if self.raw_arguments is not None:
            return self.raw_arguments
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    """One assistant reply, to be rendered in any wire format.

    Attributes:
        text: the answer text (may be empty when the turn only calls tools).
        tool_calls: the tool calls, in order (several per reply are allowed).
        reasoning: reasoning text (``reasoning_content`` on Chat Completions, a ``thinking``
            block on Anthropic Messages, a ``reasoning`` summary item on Responses).
        reasoning_signature: the Anthropic ``thinking`` block's signature.
        usage: the token counts.
        truncated: the reply was cut by the token limit (``finish_reason: "length"``,
            ``stop_reason: "max_tokens"``, Responses ``status: "incomplete"``).
        id: the seed of the reply's ids (``chatcmpl-<id>``, ``msg_01<id>``, ``resp_<id>``);
            equal ids give equal JSON and stream replies.
        json_value: the JSON-mode object; Workers AI's native reply carries it as an object in
            ``response`` (the other formats carry ``text``).
        chunks: how streams split ``text`` (default: word by word); must join to ``text``.
        reasoning_chunks: how streams split ``reasoning``; must join to ``reasoning``.
    """

    text: str = ""
    tool_calls: Sequence[ToolCall] = ()
    reasoning: str = ""
    reasoning_signature: str = ""
    usage: Usage = field(default_factory=Usage)
    truncated: bool = False
    id: str = "0123456789abcdef0123456789abcdef0123456789abcdef"
    json_value: Any = None
    chunks: Sequence[str] | None = None
    reasoning_chunks: Sequence[str] | None = None

    def __post_init__(self) -> None:
        """Check that ``chunks`` spell ``text`` and ``reasoning_chunks`` spell ``reasoning``."""
        if self.chunks is not None and "".join(self.chunks) != self.text:
            raise ValueError("Turn.chunks must join to Turn.text")
        if self.reasoning_chunks is not None and "".join(self.reasoning_chunks) != self.reasoning:
            raise ValueError("Turn.reasoning_chunks must join to Turn.reasoning")

    @property
    def split(self) -> Split:
        """The function splitting this turn's text and reasoning into stream deltas."""
        chosen: dict[str, list[str]] = {}
        if self.reasoning_chunks is not None:
            chosen[self.reasoning] = list(self.reasoning_chunks)
        if self.chunks is not None:
            chosen[self.text] = list(self.chunks)
        if not chosen:
            return word_pieces
        return lambda text: chosen[text] if text in chosen else word_pieces(text)

    def call_id(self, index: int, prefix: str, size: int) -> str:
        """The id of tool call ``index``: its own, or ``prefix`` + a digest of the turn.

        Args:
            index: the call's position in :attr:`tool_calls`.
            prefix: the format's id prefix (``call_``, ``toolu_01``).
            size: how many digest characters follow the prefix.

        Returns:
            The id.
        """
        call = self.tool_calls[index]
        if call.id is not None:
            return call.id
        seed = f"{self.id}:{index}:{call.name}".encode()
        return prefix + hashlib.sha256(seed).hexdigest()[:size]
