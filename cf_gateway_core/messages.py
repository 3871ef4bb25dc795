"""Neutral request and response values shared by every wire format and both adapters.

These are pure values: frozen, slotted dataclasses with no behaviour beyond small conveniences.
Adapters convert LangChain / LlamaIndex types into a :class:`ChatRequest` and a
:class:`ChatResponse` back into framework types; wire modules (``cf_gateway_core.wire``) convert
between these values and JSON. Nothing here knows a JSON field name or a model prefix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cf_gateway_core._values import value_class

__all__ = [
    "AudioPart",
    "ChatRequest",
    "ChatResponse",
    "DocumentPart",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "FinishReason",
    "GatewayMetadata",
    "ImagePart",
    "Message",
    "Part",
    "ProviderPart",
    "ProviderTool",
    "ReasoningPart",
    "ResponseFormat",
    "Role",
    "TextPart",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "ToolSpec",
    "Usage",
]

Role = Literal["system", "user", "assistant", "tool"]
"""Who speaks. ``tool`` messages carry :class:`ToolResultPart` values."""

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
"""Why generation ended, normalised across wire formats (the raw value is kept beside it)."""

_CUT_BEFORE_ARGUMENTS = (
    "the reply was cut by the token limit (finish_reason 'length') before this tool call's "
    "arguments arrived; raise max_tokens and ask again"
)


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TextPart:
    """Plain text."""

    text: str
    cache_control: Mapping[str, Any] | None = None
    """Anthropic prompt-caching breakpoint (``{"type": "ephemeral", "ttl"?: "5m" | "1h"}``)."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ImagePart:
    """An image given by URL: ``https://…`` or a ``data:<media type>;base64,<data>`` URL."""

    url: str
    """The image location; wire modules split ``data:`` URLs where the API wants raw base64."""
    detail: str | None = None
    """OpenAI's ``detail`` hint (``low`` / ``high`` / ``auto``); ignored where unsupported."""
    cache_control: Mapping[str, Any] | None = None
    """Anthropic prompt-caching breakpoint on this block."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class DocumentPart:
    """A document (PDF, plain text…).

    Given by exactly one of ``data``, ``text``, ``url`` or ``file_id``.
    """

    data: str | None = None
    """Base64-encoded file content (``media_type`` says what it is)."""
    text: str | None = None
    """Plain-text content."""
    url: str | None = None
    """An ``https://`` URL the provider fetches."""
    file_id: str | None = None
    """An id from the provider's Files API."""
    media_type: str | None = None
    """``application/pdf``, ``text/plain``…; ``None`` reads as PDF for ``data``/``url``."""
    filename: str | None = None
    title: str | None = None
    """Anthropic document ``title`` (also the filename OpenAI gets when none is set)."""
    context: str | None = None
    """Anthropic document ``context`` (about the document, not cited)."""
    citations: bool = False
    """Ask for citations into this document (Anthropic ``citations: {"enabled": true}``)."""
    cache_control: Mapping[str, Any] | None = None
    """Anthropic prompt-caching breakpoint on this block."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class AudioPart:
    """Audio input, as base64 data with its media type (``audio/wav``, ``audio/mpeg``…)."""

    data: str
    media_type: str


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ReasoningPart:
    """Model reasoning ("thinking") text, with the provider's signature where one is given."""

    text: str
    signature: str | None = None
    """Anthropic's thinking signature; must be sent back unchanged in multi-turn tool use."""
    redacted_data: str | None = None
    """Anthropic ``redacted_thinking`` data (opaque; ``text`` is empty then)."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ToolCallPart:
    """A tool call requested by the model."""

    id: str
    name: str
    arguments: Mapping[str, Any]
    """Parsed JSON arguments (an empty mapping when ``error`` is set)."""
    raw_arguments: str | None = None
    """The arguments exactly as received, when they were not valid JSON."""
    error: str | None = None
    """Why the arguments could not be parsed; such calls are "invalid tool calls"."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ToolResultPart:
    """The result of a tool call, sent back to the model."""

    tool_call_id: str
    content: str | tuple[TextPart | ImagePart | DocumentPart, ...]
    name: str | None = None
    is_error: bool = False
    cache_control: Mapping[str, Any] | None = None
    """Anthropic prompt-caching breakpoint on the ``tool_result`` block."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ProviderPart:
    """A block of an earlier reply sent back verbatim in assistant history.

    Anthropic ``server_tool_use`` / ``*_tool_result`` / cited ``text`` blocks
    (``api="anthropic"``), or Responses output items such as ``web_search_call``
    (``api="responses"``).
    """

    api: Literal["anthropic", "responses"]
    block: Mapping[str, Any]


Part = (
    TextPart
    | ImagePart
    | DocumentPart
    | AudioPart
    | ReasoningPart
    | ToolCallPart
    | ToolResultPart
    | ProviderPart
)
"""Any message part."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class Message:
    """One conversation turn: a role and an ordered tuple of parts."""

    role: Role
    parts: tuple[Part, ...]
    name: str | None = None

    @classmethod
    def system(cls, text: str) -> Message:
        """A system message with one text part."""
        return cls(role="system", parts=(TextPart(text),))

    @classmethod
    def user(cls, text: str) -> Message:
        """A user message with one text part."""
        return cls(role="user", parts=(TextPart(text),))

    @classmethod
    def assistant(cls, text: str) -> Message:
        """An assistant message with one text part."""
        return cls(role="assistant", parts=(TextPart(text),))

    @property
    def text(self) -> str:
        """The concatenated text parts."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ToolSpec:
    """A tool the model may call, described by a JSON schema for its arguments."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    strict: bool | None = None
    cache_control: Mapping[str, Any] | None = None
    """Anthropic prompt-caching breakpoint on this tool definition (caches the tools up to it)."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ProviderTool:
    """A provider's own tool, sent as its dict.

    Anthropic server tools (``web_search_20250305``, ``code_execution_…``) on Messages, OpenAI
    built-ins (``web_search``, ``file_search``, ``code_interpreter``…) on Responses.
    """

    api: Literal["anthropic", "responses"]
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The tool's ``name`` (Anthropic) or ``type`` (OpenAI built-ins have no name)."""
        return str(self.spec.get("name") or self.spec.get("type") or "")


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ToolChoice:
    """How the model must use tools.

    ``mode`` is ``auto`` (model decides), ``none`` (no tools), ``required`` (must call some tool)
    or ``tool`` (must call the tool called ``name``).
    """

    mode: Literal["auto", "none", "required", "tool"]
    name: str | None = None


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ResponseFormat:
    """Structured output: ``json_object`` (any JSON) or ``json_schema`` (``schema`` required)."""

    type: Literal["json_object", "json_schema"]
    name: str | None = None
    schema: Mapping[str, Any] | None = None
    strict: bool | None = None


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ChatRequest:
    """Everything a chat call sends, independent of the wire format."""

    model: str
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec | ProviderTool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    reasoning_effort: str | None = None
    """``low`` / ``medium`` / ``high`` where the API supports it."""
    cache_control: Mapping[str, Any] | None = None
    """Anthropic prompt caching for this call: placed on the last content block that can carry
    it (langchain-anthropic's per-call ``cache_control=``)."""
    prompt_cache_key: str | None = None
    """OpenAI's ``prompt_cache_key`` (Chat Completions and Responses)."""
    session_affinity: str | None = None
    """Workers AI prefix-cache affinity: requests with the same id reach the same model instance
    (sent as header ``x-session-affinity``; Workers AI models only)."""
    reject_if_busy: bool = False
    """Ask Workers AI to answer 429 at once when at capacity instead of queueing (body
    ``options.rejectIfBusy``; Workers AI models only)."""
    stream: bool = False
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    """Extra JSON fields merged into the payload last (``model_kwargs`` / ``extra_body``)."""


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class Usage:
    """Token counts; optional details are ``None`` when the API did not report them."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None

    @property
    def is_zero(self) -> bool:
        """True when no token count is reported (Workers AI sends such frames mid-stream)."""
        return not (self.input_tokens or self.output_tokens or self.total_tokens)


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class GatewayMetadata:
    """What the gateway tells about a request, from ``cf-aig-*`` headers and the body."""

    log_id: str | None = None
    cache_status: str | None = None
    event_id: str | None = None
    request_id: str | None = None
    step: str | None = None
    model: str | None = None
    provider: str | None = None
    key_source: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The fields that are set, as a plain dict."""
        return {
            name: value for name in self.__slots__ if (value := getattr(self, name)) is not None
        }


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class ChatResponse:
    """A complete reply, as parsed from JSON or folded from a stream.

    ``parts`` is in canonical order — reasoning parts, then one text part (all text joined), then
    tool calls in wire order — so a streamed reply and a non-streamed one compare equal.
    """

    parts: tuple[TextPart | ReasoningPart | ToolCallPart, ...] = ()
    id: str | None = None
    model: str | None = None
    finish_reason: FinishReason | None = None
    raw_finish_reason: str | None = None
    usage: Usage | None = None
    gateway: GatewayMetadata | None = None
    provider_details: Mapping[str, Any] = field(default_factory=dict)
    """Vendor extras we keep but do not interpret (``gatewayMetadata``, ``system_fingerprint``…)."""
    content_blocks: tuple[Mapping[str, Any], ...] = ()
    """The reply's content in wire order, verbatim, when it holds server-tool blocks or citations
    (Anthropic content blocks other than thinking; Responses output items other than reasoning
    and function calls); empty otherwise. Sent back unchanged as :class:`ProviderPart` values."""

    def __post_init__(self) -> None:
        """A reply cut by the token limit cannot vouch for its last tool call's arguments.

        When generation stopped at ``max_tokens`` (``finish_reason == "length"``), a last tool call
        whose arguments are empty was cut before they arrived: it becomes an invalid call (empty
        ``raw_arguments`` and an ``error``), never a callable call with ``{}``. A call whose
        arguments parsed as a complete JSON object is kept.
        """
        if self.finish_reason != "length" or not self.parts:
            return
        last = self.parts[-1]
        if isinstance(last, ToolCallPart) and last.error is None and not last.arguments:
            cut = ToolCallPart(
                id=last.id,
                name=last.name,
                arguments={},
                raw_arguments=last.raw_arguments or "",
                error=_CUT_BEFORE_ARGUMENTS,
            )
            object.__setattr__(self, "parts", (*self.parts[:-1], cut))

    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def reasoning(self) -> str:
        """All reasoning text joined."""
        return "".join(p.text for p in self.parts if isinstance(p, ReasoningPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        """The tool calls, in order."""
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class EmbeddingRequest:
    """Texts to embed with one model (the client batches large inputs)."""

    model: str
    texts: Sequence[str]
    dimensions: int | None = None
    extra_body: Mapping[str, Any] = field(default_factory=dict)


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class EmbeddingResponse:
    """One vector per input text, in input order."""

    vectors: list[list[float]]
    model: str | None = None
    usage: Usage | None = None
    gateway: GatewayMetadata | None = None
