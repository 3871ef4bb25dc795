"""Read what the emulator needs from a request body of each API into one :class:`Prompt`.

The emulator is a test double, so it knows the request shapes of OpenAI Chat Completions (also the
native Workers AI run body), Anthropic Messages and OpenAI Responses. It is lenient: it reads the
fields it uses and ignores the rest; checks for required fields live in ``replies.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PROMPT_READERS", "Prompt", "Tool", "count_tokens"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
# Content items whose "text" counts as message text (OpenAI, Anthropic and Responses spellings).
_TEXT_TYPES = frozenset({"text", "input_text", "output_text"})
# Keys whose string values are prompt text, for the input token estimate.
_TEXT_KEYS = frozenset(
    {"content", "text", "system", "instructions", "prompt", "input", "output", "arguments"}
)


@dataclass(frozen=True, slots=True)
class Tool:
    """An offered tool: its name and the JSON schema of its arguments."""

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Prompt:
    """What a request asks, independent of its API."""

    user_text: str = ""
    """Text of the last user message ("" when there is none)."""
    tool_result: str | None = None
    """Text of the trailing tool result, when the conversation ends with one."""
    tool_result_name: str | None = None
    tools: tuple[Tool, ...] = ()
    tool_choice: str = "auto"
    """``auto``, ``none``, ``required`` or ``tool`` (then ``forced_tool`` names it)."""
    forced_tool: str | None = None
    json_schema: Mapping[str, Any] | None = None
    json_mode: bool = False
    input_tokens: int = 1


def count_tokens(text: str) -> int:
    """A deterministic token estimate: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def _strings(value: Any, key: str = "content") -> Iterator[str]:
    if isinstance(value, str):
        if key in _TEXT_KEYS:
            yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, k if isinstance(v, (str, list, Mapping)) else "")
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)


def _input_tokens(body: Mapping[str, Any]) -> int:
    fields = ("messages", "system", "instructions", "input", "prompt")
    return max(1, sum(count_tokens(s) for f in fields for s in _strings(body.get(f), f)))


def _text(content: Any) -> str:
    """Text of a message's content: a string, or the text items of a content list."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for item in content:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, Mapping) and item.get("type", "text") in _TEXT_TYPES:
            value = item.get("text")
            texts.append(value if isinstance(value, str) else "")
    return "".join(texts)


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _schema(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {"type": "object", "properties": {}}


# ----------------------------------------------------------------- OpenAI Chat (and native run)


def _openai_tools(body: Mapping[str, Any]) -> tuple[Tool, ...]:
    tools = []
    for raw in _dicts(body.get("tools")):
        # {"type": "function", "function": {...}} or the flat native {"name", "parameters"}.
        function = raw.get("function")
        spec: Mapping[str, Any] = function if isinstance(function, Mapping) else raw
        name = spec.get("name")
        if isinstance(name, str) and name:
            tools.append(Tool(name, _schema(spec.get("parameters"))))
    return tuple(tools)


def _openai_choice(choice: Any) -> tuple[str, str | None]:
    if isinstance(choice, str):
        return ("required" if choice == "any" else choice), None
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        if isinstance(name, str) and name:
            return "tool", name
    return "auto", None


def _openai_format(body: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, bool]:
    fmt = body.get("response_format")
    if not isinstance(fmt, Mapping) or fmt.get("type") not in ("json_object", "json_schema"):
        return None, False
    spec = fmt.get("json_schema")
    if not isinstance(spec, Mapping):
        return None, True
    # OpenAI wraps the schema as {name, schema, strict}; Workers AI takes it bare (§6.1 [C]).
    inner = spec.get("schema")
    return (inner if isinstance(inner, Mapping) else spec), True


def _openai_call_names(messages: list[Mapping[str, Any]]) -> dict[str, str]:
    names = {}
    for message in messages:
        for call in _dicts(message.get("tool_calls")):
            function = call.get("function")
            if isinstance(function, Mapping) and isinstance(call.get("id"), str):
                names[call["id"]] = str(function.get("name") or "")
    return names


def read_openai_chat(body: Mapping[str, Any]) -> Prompt:
    """Read an OpenAI Chat Completions body (or a native Workers AI ``messages``/``prompt``)."""
    messages = _dicts(body.get("messages"))
    users = [m for m in messages if m.get("role") == "user"]
    user_text = _text(users[-1].get("content")) if users else _text(body.get("prompt"))
    result = result_name = None
    if messages and messages[-1].get("role") in ("tool", "function"):
        last = messages[-1]
        result = _text(last.get("content"))
        result_name = _openai_call_names(messages).get(str(last.get("tool_call_id")))
    choice, forced = _openai_choice(body.get("tool_choice"))
    schema, json_mode = _openai_format(body)
    return Prompt(
        user_text=user_text,
        tool_result=result,
        tool_result_name=result_name or None,
        tools=_openai_tools(body),
        tool_choice=choice,
        forced_tool=forced,
        json_schema=schema,
        json_mode=json_mode,
        input_tokens=_input_tokens(body),
    )


# ----------------------------------------------------------------- Anthropic Messages

_ANTHROPIC_CHOICES: dict[str, str] = {"auto": "auto", "any": "required", "tool": "tool"}


def _blocks(message: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return [b for b in _dicts(message.get("content")) if b.get("type") == kind]


def _anthropic_result(messages: list[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    if not messages or messages[-1].get("role") != "user":
        return None, None
    results = _blocks(messages[-1], "tool_result")
    if not results:
        return None, None
    names = {b.get("id"): b.get("name") for m in messages for b in _blocks(m, "tool_use")}
    name = names.get(results[-1].get("tool_use_id"))
    return _text(results[-1].get("content")), name if isinstance(name, str) else None


def _anthropic_format(body: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, bool]:
    # Anthropic structured outputs: output_format (beta) or output_config.format.
    config = body.get("output_config")
    fmt = body.get("output_format") or (
        config.get("format") if isinstance(config, Mapping) else None
    )
    if isinstance(fmt, Mapping) and isinstance(fmt.get("schema"), Mapping):
        return fmt["schema"], True
    return None, False


def read_anthropic(body: Mapping[str, Any]) -> Prompt:
    """Read an Anthropic Messages body."""
    messages = _dicts(body.get("messages"))
    users = [m for m in messages if m.get("role") == "user" and _text(m.get("content"))]
    result, result_name = _anthropic_result(messages)
    tools = tuple(
        Tool(t["name"], _schema(t.get("input_schema")))
        for t in _dicts(body.get("tools"))
        if isinstance(t.get("name"), str)
    )
    raw_choice = body.get("tool_choice")
    choice = raw_choice if isinstance(raw_choice, Mapping) else {}
    forced = choice.get("name") if choice.get("type") == "tool" else None
    schema, json_mode = _anthropic_format(body)
    return Prompt(
        user_text=_text(users[-1].get("content")) if users else "",
        tool_result=result,
        tool_result_name=result_name,
        tools=tools,
        tool_choice=_ANTHROPIC_CHOICES.get(
            str(choice.get("type")), str(choice.get("type", "auto"))
        ),
        forced_tool=forced if isinstance(forced, str) else None,
        json_schema=schema,
        json_mode=json_mode,
        input_tokens=_input_tokens(body),
    )


# ----------------------------------------------------------------- OpenAI Responses


def _responses_result(items: list[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    if not items or items[-1].get("type") != "function_call_output":
        return None, None
    names = {i.get("call_id"): i.get("name") for i in items if i.get("type") == "function_call"}
    name = names.get(items[-1].get("call_id"))
    output = items[-1].get("output")
    return _text(output), name if isinstance(name, str) else None


def _responses_format(body: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, bool]:
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    if not isinstance(fmt, Mapping) or fmt.get("type") not in ("json_object", "json_schema"):
        return None, False
    schema = fmt.get("schema")
    return (schema if isinstance(schema, Mapping) else None), True


def read_responses(body: Mapping[str, Any]) -> Prompt:
    """Read an OpenAI Responses body (``input`` as a string or a list of items)."""
    raw_input = body.get("input")
    items = _dicts(raw_input)
    users = [i for i in items if i.get("role") == "user" and _text(i.get("content"))]
    if isinstance(raw_input, str):
        user_text = raw_input
    else:
        user_text = _text(users[-1].get("content")) if users else ""
    result, result_name = _responses_result(items)
    tools = tuple(
        Tool(t["name"], _schema(t.get("parameters")))
        for t in _dicts(body.get("tools"))
        if t.get("type", "function") == "function" and isinstance(t.get("name"), str)
    )
    choice, forced = _openai_choice(body.get("tool_choice"))
    schema, json_mode = _responses_format(body)
    return Prompt(
        user_text=user_text,
        tool_result=result,
        tool_result_name=result_name,
        tools=tools,
        tool_choice=choice,
        forced_tool=forced,
        json_schema=schema,
        json_mode=json_mode,
        input_tokens=_input_tokens(body),
    )


PROMPT_READERS: dict[str, Callable[[Mapping[str, Any]], Prompt]] = {
    "openai_chat": read_openai_chat,
    "anthropic": read_anthropic,
    "responses": read_responses,
}
"""Request format -> reader."""
