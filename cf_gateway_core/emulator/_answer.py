"""Decide the emulator's answer to a :class:`~cf_gateway_core.emulator._prompt.Prompt`.

Deterministic rules, in order:

1. A scripted ``text=`` or ``tool=`` (header ``x-emulator-reply``) wins.
2. A forced tool (``tool_choice`` naming one, or ``required``/``any``) gets a tool call whose
   arguments are synthesised from the tool's JSON schema — also after a tool result, as the APIs
   do. Without a tool result, so does a tool the last user message names: its name appears as a
   word, or all the words of its name except a leading verb (``get_weather`` → ``weather``) do.
3. JSON mode gets a JSON object: from the schema when there is one, else with the keys the prompt
   asks for (``'setup' and 'punchline' keys``), else ``{"answer": …}``; after a tool result too.
4. A conversation that ends with a tool result gets text that uses the result.
5. Otherwise the answer echoes the last user message in a sentence (:data:`ANSWER_TEMPLATE`).

Schema synthesis: ``const``/``default``/``enum`` (first value) first; numbers are taken in order
from the numbers in the prompt (else the schema minimum, else 1); strings from the prompt: the
names it quotes ("a customer named '…'"), else its proper nouns, one per name/place-like key in
the order they stand (so a ``name`` is the subject of the sentence: "Alice met Bob in Paris" ->
Alice), a capitalised verb that opens a request
("Fly from…", "Extract the…") not counting as one; other strings are the whole message for a
schema the caller gave (a tool's ``query``), and a short phrase for the keys JSON mode found in
the prompt ("a punchline about cats"); fixed samples for ``format: date`` etc.; booleans
``true``; one item per array; local ``$ref``, ``anyOf``, ``oneOf`` and ``allOf`` are followed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cf_gateway_core.emulator._jsonmode import schema_for_prompt
from cf_gateway_core.emulator._prompt import Prompt, Tool, count_tokens
from cf_gateway_core.emulator._script import Script, TextScript, ToolScript

__all__ = ["ANSWER_TEMPLATE", "Answer", "ToolCall", "decide", "synthesise"]

ANSWER_TEMPLATE = (
    'You said: "{quote}". This is the cf-gateway offline emulator answering as {model}.'
)
"""The plain answer: a readable sentence that quotes the last user message."""
_NO_USER_TEXT = "Hello from the cf-gateway offline emulator, answering as {model}."
_TOOL_RESULT = "The {name} tool returned: {result}"
_ANON_RESULT = "The tool returned: {result}"
_QUOTE_CHARS = 200
_MAX_DEPTH = 8

# Leading verbs dropped when matching a tool name against the prompt (get_weather -> weather).
_VERBS = re.compile(
    r"get|fetch|find|lookup|look|search|query|set|make|do|run|call|compute|calculate"
)
# Capitalised words that start questions and requests rather than name something.
_STARTERS = re.compile(
    r"what|whats|who|where|when|why|how|which|tell|please|can|could|would|should|is|are|do|does|"
    r"i|the|a|an|use|call|give|show|find|get|list|write|explain|describe|hi|hello|hey|"
    r"return|reply|respond|answer|json|ok|yes|no"
)
# Keys whose strings should be a name or place from the prompt rather than the whole prompt.
_NAME_KEYS = re.compile(
    r"name|city|location|place|country|region|person|company|town|user|title|origin|destination|"
    r"author|brand|capital"
)
_FORMAT_SAMPLES: dict[str, str] = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
# A capitalised word opening a sentence and followed by one of these is a request's verb
# ("Fly from Berlin", "Extract the name", "Give me"), not a name.
_IMPERATIVE = re.compile(
    r"(?:^|(?<=[.!?:;\n]))\s*[A-Z][a-z]+(?=\s+(?:the|a|an|this|that|these|those|me|us|my|our|"
    r"your|it|its|all|some|from|to|for|about|with|of)\b)"
)
# What a prompt is about ("a joke about cats as JSON" -> cats), for JSON mode's short values.
_TOPIC = re.compile(
    r"(?i)\babout\s+((?:the\s+)?[\w'-]+(?:\s+[\w'-]+){0,3}?)"
    r"(?=\s*(?:[.,;:!?]|$|\s(?:as|in|with|and|for|return|using|into)\b))"
)
_QUOTED = re.compile(r"(?<!\w)'([^'\n]+)'(?!\w)|\"([^\"\n]+)\"")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PROPER = re.compile(r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
_WORD = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"'s$")
_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the emulator makes; ``key`` seeds the per-API id."""

    key: str
    name: str
    arguments: Mapping[str, Any]
    raw: str | None = None
    """The argument text as sent when it is not ``arguments`` as JSON (a call cut short)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The reply, independent of the API that carries it."""

    model: str
    seed: str
    """Hex digest of the request (without its stream flag): ids derive from it."""
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    json_value: Any = None
    """The JSON-mode value (``text`` holds it serialised)."""
    input_tokens: int = 1
    cut: bool = False
    """The reply was cut off by ``max_tokens`` (a scripted ``cut``)."""
    """Prompt tokens in total (cached ones included)."""
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0

    @property
    def output_tokens(self) -> int:
        """Estimated output tokens (at least 1)."""
        args = "".join(json.dumps(c.arguments) for c in self.tool_calls)
        return max(1, count_tokens(self.text + args))


# ----------------------------------------------------------------- schema synthesis


class _Synth:
    __slots__ = ("brief", "last_noun", "nouns", "numbers", "root", "text")

    def __init__(self, root: Mapping[str, Any], text: str, brief: bool = False) -> None:
        self.root = root
        self.text = text
        self.brief = brief
        self.numbers: Iterator[str] = iter(_NUMBER.findall(text))
        # Name- and place-like keys take the prompt's proper nouns, one each, in the order they
        # stand: the subject first ("Lisbon is the capital of Portugal" -> name Lisbon, country
        # Portugal; "Alice met Bob in Paris" -> name Alice); the last one is reused when keys
        # outnumber them.
        # Names quoted in the prompt ("a customer named '你好啊集团'") win, first ones first.
        quoted = [q for pair in _QUOTED.findall(text) for q in pair if q]
        self.nouns: Iterator[str] = iter(quoted or _proper_nouns(text))
        self.last_noun: str | None = None

    def value(self, schema: Any, key: str = "", depth: int = 0) -> Any:
        schema = self._resolve(schema)
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return None
        for fixed in ("const", "default"):
            if fixed in schema:
                return schema[fixed]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for combinator in ("anyOf", "oneOf"):
            options = [o for o in schema.get(combinator) or [] if self._type(o) != "null"]
            if options:
                return self.value(options[0], key, depth + 1)
        if isinstance(schema.get("allOf"), list):
            return self.value(_merge(self._resolve(s) for s in schema["allOf"]), key, depth + 1)
        return _BUILDERS.get(self._type(schema), _build_string)(self, schema, key, depth)

    def _resolve(self, schema: Any) -> Any:
        for _ in range(_MAX_DEPTH):
            ref = schema.get("$ref") if isinstance(schema, Mapping) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return schema
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node.get(part) if isinstance(node, Mapping) else None
            schema = node
        return None

    def _type(self, schema: Any) -> str:
        schema = self._resolve(schema)
        if not isinstance(schema, Mapping):
            return "string"
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if isinstance(kind, str):
            return kind
        return "object" if "properties" in schema else "array" if "items" in schema else "string"

    def number(self, schema: Mapping[str, Any]) -> float:
        taken = next(self.numbers, None)
        if taken is not None:
            return float(taken)
        minimum = schema.get("minimum")
        return float(minimum) if isinstance(minimum, (int, float)) else 1.0


def _merge(schemas: Iterator[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for schema in schemas:
        if isinstance(schema, Mapping):
            merged.update(schema)
            properties.update(schema.get("properties") or {})
    if properties:
        merged["properties"] = properties
    return merged


def _build_object(synth: _Synth, schema: Mapping[str, Any], _: str, depth: int) -> Any:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    return {name: synth.value(sub, name, depth + 1) for name, sub in properties.items()}


def _build_array(synth: _Synth, schema: Mapping[str, Any], key: str, depth: int) -> Any:
    minimum = schema.get("minItems")
    count = max(1, minimum if isinstance(minimum, int) else 1)
    return [synth.value(schema.get("items", {}), key, depth + 1) for _ in range(count)]


def _build_integer(synth: _Synth, schema: Mapping[str, Any], _: str, __: int) -> Any:
    return int(synth.number(schema))


def _build_number(synth: _Synth, schema: Mapping[str, Any], _: str, __: int) -> Any:
    value = synth.number(schema)
    return int(value) if value.is_integer() else value


def _build_string(synth: _Synth, schema: Mapping[str, Any], key: str, _: int) -> Any:
    sample = _FORMAT_SAMPLES.get(str(schema.get("format")))
    if sample is not None:
        return sample
    if _NAME_KEYS.search(key.lower()):
        # Once the nouns run out, a schema's name keys reuse the last; JSON mode's own keys
        # ("the title and author of a book about Paris") get a phrase instead.
        noun = next(synth.nouns, None if synth.brief else synth.last_noun)
        synth.last_noun = noun or synth.last_noun
        if noun:
            return noun
    if synth.brief:
        return _brief(key, synth.text)
    return _condense(synth.text) or key or "text"


def _brief(key: str, text: str) -> str:
    """A short value for ``key``, such as "a punchline about cats".

    The prompt's topic is added when there is one, else it is just "a punchline".
    """
    words = " ".join(_words(key)) or "value"
    article = "an" if words[0] in "aeiou" else "a"
    topic = _TOPIC.search(text)
    return f"{article} {words} about {topic.group(1)}" if topic else f"{article} {words}"


_BUILDERS: dict[str, Callable[[_Synth, Mapping[str, Any], str, int], Any]] = {
    "object": _build_object,
    "array": _build_array,
    "integer": _build_integer,
    "number": _build_number,
    "boolean": lambda *_: True,
    "null": lambda *_: None,
    "string": _build_string,
}


def synthesise(schema: Mapping[str, Any], text: str, *, brief: bool = False) -> Any:
    """A value that satisfies ``schema``, drawing strings and numbers from ``text``.

    With ``brief``, strings that are not names are short phrases, not the whole text (JSON mode's
    own keys).
    """
    return _Synth(schema, text, brief).value(schema)


def _proper_nouns(text: str) -> list[str]:
    runs = []
    text = _IMPERATIVE.sub(lambda m: m.group().lower(), text)
    for match in _PROPER.finditer(text):
        words = [
            w for w in match.group().split() if not _STARTERS.fullmatch(w.split("'")[0].lower())
        ]
        if words:
            runs.append(_POSSESSIVE.sub("", " ".join(words)))
    return list(dict.fromkeys(runs))


def _condense(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------- tool choice


def _words(name: str) -> list[str]:
    return [w.lower() for w in _CAMEL.findall(name.replace("-", "_").replace("_", " "))]


def names_tool(text: str, name: str) -> bool:
    """Whether ``text`` names the tool ``name`` (see the module docstring)."""
    lowered = text.lower()
    if re.search(rf"(?<![a-z0-9_]){re.escape(name.lower())}(?![a-z0-9_])", lowered):
        return True
    words = _words(name)
    while words and _VERBS.fullmatch(words[0]):
        words = words[1:]
    present = set(_WORD.findall(lowered))
    return bool(words) and all(w in present for w in words)


def _pick_tool(prompt: Prompt) -> Tool | None:
    if not prompt.tools or prompt.tool_choice == "none":
        return None
    # A forced choice (a named tool, required/any) holds after a tool result too, as on the API.
    if prompt.tool_result is not None and prompt.tool_choice not in ("tool", "required"):
        return None
    if prompt.tool_choice == "tool" and prompt.forced_tool:
        found = [t for t in prompt.tools if t.name == prompt.forced_tool]
        return found[0] if found else Tool(prompt.forced_tool, {})
    named = [t for t in prompt.tools if names_tool(prompt.user_text, t.name)]
    if named:
        return named[0]
    return prompt.tools[0] if prompt.tool_choice == "required" else None


def _source(prompt: Prompt) -> str:
    """The text answers draw from: the last user message, then a trailing tool result."""
    return ". ".join(t for t in (prompt.user_text, prompt.tool_result) if t)


def _call(seed: str, tool: Tool, prompt: Prompt, arguments: Mapping[str, Any] | None) -> ToolCall:
    if arguments is None:
        value = synthesise(tool.schema, _source(prompt))
        arguments = value if isinstance(value, dict) else {}
    key = hashlib.sha256(f"{seed}:{tool.name}".encode()).hexdigest()
    return ToolCall(key, tool.name, arguments)


def _plain_text(prompt: Prompt, model: str) -> str:
    quote = _condense(prompt.user_text)
    if not quote:
        return _NO_USER_TEXT.format(model=model)
    if len(quote) > _QUOTE_CHARS:
        quote = quote[: _QUOTE_CHARS - 1] + "…"
    return ANSWER_TEMPLATE.format(quote=quote, model=model)


def decide(
    prompt: Prompt,
    *,
    model: str,
    seed: str,
    script: Script | None = None,
    more_tools: tuple[ToolScript, ...] = (),
    cut: bool = False,
) -> Answer:
    """The answer to ``prompt`` (see the module docstring for the rules).

    ``more_tools`` adds scripted calls to a scripted ``tool=``, ``cut`` cuts its first call's
    arguments in half.
    """
    base = Answer(model=model, seed=seed, input_tokens=prompt.input_tokens)
    if isinstance(script, TextScript):
        return replace(base, text=script.text)
    if isinstance(script, ToolScript):
        offered = {t.name: t for t in prompt.tools}
        calls = []
        for index, scripted in enumerate((script, *more_tools)):
            offer = offered.get(scripted.name, Tool(scripted.name, {}))
            call = _call(f"{seed}:{index}" if index else seed, offer, prompt, scripted.arguments)
            calls.append(call)
        if cut:
            text = json.dumps(calls[0].arguments, ensure_ascii=False)
            calls[0] = replace(calls[0], raw=text[: max(1, len(text) // 2)])
        return replace(base, tool_calls=tuple(calls), cut=cut)
    tool = _pick_tool(prompt)
    if tool is not None:
        return replace(base, tool_calls=(_call(seed, tool, prompt, None),))
    if prompt.json_mode:
        # Honoured after a tool result too: the result is part of what the answer draws from.
        # The prompt's own keys get short values ("a punchline about cats"), not the prompt.
        schema = prompt.json_schema or schema_for_prompt(prompt.user_text)
        brief = prompt.json_schema is None
        value = synthesise(schema, _source(prompt), brief=brief) if schema else None
        value = value if value is not None else {"answer": _plain_text(prompt, model)}
        return replace(base, text=json.dumps(value, ensure_ascii=False), json_value=value)
    if prompt.tool_result is not None:
        template = _TOOL_RESULT if prompt.tool_result_name else _ANON_RESULT
        result = _condense(prompt.tool_result)
        return replace(base, text=template.format(name=prompt.tool_result_name, result=result))
    return replace(base, text=_plain_text(prompt, model))
