"""Provider tools and the reply blocks they produce, for the Anthropic Messages and Responses APIs.

Requests: a tool dict is the provider's own tool when its ``type`` is a dated Anthropic tool type
with a ``name`` (``web_search_20250305``, ``code_execution_20250825``…: Anthropic server tools
and Anthropic-defined client tools) or an OpenAI Responses built-in (``web_search``,
``file_search``, ``code_interpreter``…); JSON schemas and function dicts are client tools. A
provider tool is sent as it is on the API it belongs to, and refused elsewhere, naming that
endpoint.

Replies: when a reply holds server-tool blocks or citations, its content is kept verbatim, in
wire order, as :attr:`~cf_gateway_core.messages.ChatResponse.content_blocks` (the text stays the
joined answer text), so the next turn can send it back unchanged. Stream and JSON replies build
the same blocks with :func:`anthropic_content_blocks` / :func:`responses_content_blocks`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.messages import ChatRequest, ProviderPart, ProviderTool

__all__ = [
    "AnthropicBlocks",
    "anthropic_content_blocks",
    "as_provider_tool",
    "provider_parts",
    "provider_tool_api",
    "refuse_foreign",
    "reply_citations",
    "responses_content_blocks",
]

_Block = dict[str, Any]
Api = Literal["anthropic", "responses"]

# Anthropic tool types are dated: web_search_20250305, code_execution_20250825, bash_20250124…
_ANTHROPIC_TYPE = re.compile(r"^[a-z][a-z_]*_\d{8}$")
# OpenAI Responses built-in tool types (https://platform.openai.com/docs/guides/tools), and the
# prefixes of their dated variants (web_search_preview_2025_03_11…).
_OPENAI_BUILT_INS = frozenset(
    {
        "web_search",
        "web_search_preview",
        "file_search",
        "code_interpreter",
        "image_generation",
        "mcp",
        "computer_use_preview",
        "local_shell",
        "shell",
        "apply_patch",
    }
)
_OPENAI_DATED = ("web_search_preview_", "web_search_20")

_ENDPOINTS: dict[Api, str] = {"anthropic": "messages", "responses": "responses"}
_DESCRIBED: dict[Api, str] = {
    "anthropic": "an Anthropic server tool",
    "responses": "an OpenAI Responses built-in tool",
}

# Anthropic reply blocks that are plain answer parts (read into parts, not kept verbatim).
_PLAIN_BLOCKS = frozenset({"text", "tool_use"})
_REASONING_BLOCKS = frozenset({"thinking", "redacted_thinking"})
# Responses output items read into parts (reasoning is not sent back: no encrypted round trip).
_PLAIN_ITEMS = frozenset({"message", "function_call"})
_SKIPPED_ITEMS = frozenset({"reasoning", "function_call"})


def provider_tool_api(tool: Mapping[str, Any]) -> Api | None:
    """Which API a tool dict belongs to.

    Returns:
        The API, or ``None`` for a client tool (a function, or a JSON schema whose ``type`` is
        ``object``).
    """
    kind = tool.get("type")
    if not isinstance(kind, str) or "function" in tool:
        return None
    if _ANTHROPIC_TYPE.match(kind) and isinstance(tool.get("name"), str):
        return "anthropic"
    if kind in _OPENAI_BUILT_INS or kind.startswith(_OPENAI_DATED):
        return "responses"
    return None


def refuse_foreign(request: ChatRequest, api: Api | None, endpoint: str) -> None:
    """Refuse provider tools and provider blocks of another API than ``api``.

    Raises:
        GatewayConfigError: naming the endpoint that takes them.
    """
    for tool in request.tools:
        if isinstance(tool, ProviderTool) and tool.api != api:
            raise GatewayConfigError(
                f"tool {tool.name!r} is {_DESCRIBED[tool.api]}, which endpoint {endpoint!r} does "
                f"not take: use endpoint {_ENDPOINTS[tool.api]!r}"
                + (" with an anthropic/ model." if tool.api == "anthropic" else ".")
            )
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, ProviderPart) and part.api != api:
                raise GatewayConfigError(
                    f"the history holds a {part.block.get('type')!r} block from an earlier "
                    f"{_ENDPOINTS[part.api]!r} reply, which endpoint {endpoint!r} cannot take "
                    f"back: continue the conversation on endpoint {_ENDPOINTS[part.api]!r}."
                )


# ----------------------------------------------------------------------------- Anthropic


def _kind(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    return kind if isinstance(kind, str) else ""


def _clean_text(block: Mapping[str, Any]) -> _Block:
    clean: _Block = {"type": "text", "text": block.get("text") or ""}
    citations = block.get("citations")
    if isinstance(citations, list) and citations:
        clean["citations"] = list(citations)
    return clean


def anthropic_content_blocks(content: Iterable[Any]) -> tuple[Mapping[str, Any], ...]:
    """The reply blocks to keep (all but thinking, in order).

    Kept when any is a server-tool block or cites; ``()`` when the reply is plain text, thinking
    and tool calls.
    """
    kept = [b for b in content if isinstance(b, Mapping) and _kind(b) not in _REASONING_BLOCKS]
    for block in kept:  # the usual reply (text and tool calls, no citation) is left at once
        kind = _kind(block)
        if kind not in _PLAIN_BLOCKS or (kind == "text" and block.get("citations")):
            return tuple(_clean_text(b) if _kind(b) == "text" else dict(b) for b in kept)
    return ()


class AnthropicBlocks:
    """Rebuilds an Anthropic reply's content blocks from its stream events."""

    __slots__ = ("_blocks", "_json", "_text")

    def __init__(self) -> None:
        """Start with no blocks."""
        self._blocks: dict[int, _Block] = {}
        self._json: dict[int, list[str]] = {}
        # Text pieces per block, joined once in result() (appending to the block's string on
        # every delta would copy it each time: quadratic in the length of the reply).
        self._text: dict[int, list[str]] = {}

    def start(self, index: int, block: Mapping[str, Any]) -> None:
        """``content_block_start``: the block as it starts."""
        self._blocks[index] = dict(block)

    def delta(self, index: int, delta: Mapping[str, Any]) -> None:
        """``content_block_delta``: text, citations and input JSON are appended."""
        block = self._blocks.get(index)
        if block is None:
            return
        kind = delta.get("type")
        if kind == "text_delta":
            self.text(index, str(delta.get("text") or ""))
        elif kind == "citations_delta" and isinstance(delta.get("citation"), Mapping):
            block["citations"] = [*(block.get("citations") or []), dict(delta["citation"])]
        elif kind == "input_json_delta":
            self._json.setdefault(index, []).append(str(delta.get("partial_json") or ""))

    def text(self, index: int, piece: str) -> None:
        """A ``text_delta``'s text for block ``index``.

        Ignored for a block that never started, like every delta of one.
        """
        if index in self._blocks:
            pieces = self._text.get(index)
            if pieces is None:
                self._text[index] = [piece]
            else:
                pieces.append(piece)

    def result(self) -> tuple[Mapping[str, Any], ...]:
        """The kept blocks (see :func:`anthropic_content_blocks`)."""
        for index, pieces in self._text.items():
            block = self._blocks[index]
            start = block.get("text")  # a start text of another type than str is no text
            block["text"] = (start if isinstance(start, str) else "") + "".join(pieces)
        self._text.clear()
        for index, pieces in self._json.items():
            text = "".join(pieces)
            try:
                value = json.loads(text) if text.strip() else {}
            except ValueError:
                value = {}
            self._blocks[index]["input"] = value
        return anthropic_content_blocks(b for _, b in sorted(self._blocks.items()))


# ----------------------------------------------------------------------------- Responses


def responses_content_blocks(output: Any) -> tuple[Mapping[str, Any], ...]:
    """The output items to keep (all but reasoning and function calls, in order).

    Kept when any is a built-in tool call or a message part has annotations; ``()`` otherwise.
    """
    items = [i for i in output if isinstance(i, Mapping)] if isinstance(output, list) else []
    kept = [i for i in items if _kind(i) not in _SKIPPED_ITEMS]
    special = any(_kind(i) not in _PLAIN_ITEMS or _annotated(i) for i in kept)
    return tuple(dict(i) for i in kept) if special else ()


def _annotated(item: Mapping[str, Any]) -> bool:
    content = item.get("content")
    return any(
        isinstance(part, Mapping) and part.get("annotations")
        for part in (content if isinstance(content, list) else [])
    )


# ----------------------------------------------------------------------------- adapters' helpers


def as_provider_tool(tool: Any) -> ProviderTool | None:
    """A tool dict as a :class:`ProviderTool` when it is a provider's own tool, else ``None``."""
    if not isinstance(tool, Mapping):
        return None
    api = provider_tool_api(tool)
    return None if api is None else ProviderTool(api=api, spec=dict(tool))


def _api_of(blocks: Iterable[Mapping[str, Any]]) -> Api:
    # Responses output items are "message" or "*_call" items; Anthropic blocks never are.
    for block in blocks:
        kind = str(block.get("type"))
        if kind == "message" or kind.endswith("_call"):
            return "responses"
    return "anthropic"


def provider_parts(blocks: Iterable[Any]) -> tuple[ProviderPart, ...]:
    """An earlier reply's ``content_blocks`` as the parts to send back.

    Client ``tool_use`` blocks are left out: they come back as tool calls.
    """
    kept = [dict(b) for b in blocks if isinstance(b, Mapping) and b.get("type") != "tool_use"]
    api = _api_of(kept)
    return tuple(ProviderPart(api=api, block=block) for block in kept)


def reply_citations(blocks: Iterable[Any]) -> list[dict[str, Any]]:
    """Every citation in ``content_blocks``, in order.

    Anthropic text-block ``citations`` and Responses ``output_text`` ``annotations``, each as the
    provider wrote it.
    """
    found: list[dict[str, Any]] = []
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        found.extend(dict(c) for c in block.get("citations") or [] if isinstance(c, Mapping))
        content = block.get("content") if block.get("type") == "message" else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, Mapping):
                notes = part.get("annotations") or []
                found.extend(dict(a) for a in notes if isinstance(a, Mapping))
    return found
