"""LangChain tools, ``tool_choice`` and ``response_format`` as neutral request values.

Tools (LangChain tools, pydantic classes, functions, OpenAI-format dicts, a provider's own tool
dicts) become :class:`~cf_gateway_core.ToolSpec` / :class:`~cf_gateway_core.ProviderTool`;
``tool_choice`` a :class:`~cf_gateway_core.ToolChoice`; an OpenAI-style ``response_format`` a
:class:`~cf_gateway_core.ResponseFormat`. :data:`CALL_CONVERTERS` hands these conversions to the
core's per-call keyword table (:mod:`cf_gateway_core.calls`); :func:`bound_tools` is what
``bind_tools`` binds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

from langchain_core.utils.function_calling import convert_to_openai_tool

from cf_gateway_core import (
    GatewayConfigError,
    ProviderTool,
    ResponseFormat,
    ToolChoice,
    ToolSpec,
    as_provider_tool,
)

__all__ = [
    "CALL_CONVERTERS",
    "bound_tools",
    "format_tool",
    "to_response_format",
    "to_tool_choice",
    "to_tool_spec",
    "tool_cache_control",
]


_EMPTY_PARAMETERS: Mapping[str, Any] = {"type": "object", "properties": {}}

# LangChain tool_choice strings -> neutral modes ("any" is LangChain's word for "required").
_TOOL_CHOICE_MODES: dict[str, Literal["auto", "none", "required"]] = {
    "auto": "auto",
    "none": "none",
    "any": "required",
    "required": "required",
}


def to_tool_spec(tool: Any, *, strict: bool | None = None) -> ToolSpec | ProviderTool:
    """Convert a LangChain tool, pydantic class, function or dict schema to a :class:`ToolSpec`.

    OpenAI-format dicts (what ``bind_tools`` binds) are read directly; anything else goes through
    ``langchain_core``'s ``convert_to_openai_tool``.

    A provider's own tool dict (Anthropic ``web_search_20250305``…, OpenAI ``web_search``…)
    becomes a :class:`~cf_gateway_core.ProviderTool`, sent as written.

    Raises:
        GatewayConfigError: the tool is neither a function tool nor a provider tool.
    """
    if isinstance(tool, (ToolSpec, ProviderTool)):
        return tool
    provider = as_provider_tool(tool)
    if provider is not None:
        return provider
    cache = tool_cache_control(tool)
    is_openai = isinstance(tool, Mapping) and tool.get("type") == "function" and "function" in tool
    if isinstance(tool, Mapping) and "cache_control" in tool:
        tool = {key: value for key, value in tool.items() if key != "cache_control"}
    spec = tool if is_openai and strict is None else convert_to_openai_tool(tool, strict=strict)
    function = spec.get("function") if isinstance(spec, Mapping) else None
    if not isinstance(function, Mapping) or not function.get("name"):
        raise GatewayConfigError(
            f"tool {tool!r} is not a function tool; pass LangChain tools, pydantic classes, "
            "functions or JSON-schema dicts (built-in provider tools are not supported)."
        )
    return ToolSpec(
        name=function["name"],
        description=function.get("description") or "",
        parameters=function.get("parameters") or _EMPTY_PARAMETERS,
        strict=function.get("strict"),
        cache_control=cache,
    )


def tool_cache_control(tool: Any) -> Mapping[str, Any] | None:
    """The Anthropic ``cache_control`` of a tool.

    A dict tool's ``cache_control`` key or a ``BaseTool``'s ``extras["cache_control"]``
    (langchain-anthropic's two spellings).
    """
    if isinstance(tool, Mapping):
        value = tool.get("cache_control")
    else:
        extras = getattr(tool, "extras", None)
        value = extras.get("cache_control") if isinstance(extras, Mapping) else None
    if value is None or isinstance(value, Mapping):
        return value
    raise GatewayConfigError(
        f"cache_control must be a dict such as {{'type': 'ephemeral'}}, got {value!r}."
    )


def format_tool(tool: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """A tool as the OpenAI-format dict ``bind_tools`` binds.

    Its ``cache_control`` (if any) is kept as a top-level key, which :func:`to_tool_spec` reads
    back.
    """
    if as_provider_tool(tool) is not None:
        return dict(tool)  # a provider's own tool (web_search_20250305, web_search…), as written
    cache = tool_cache_control(tool)
    if isinstance(tool, Mapping) and "cache_control" in tool:
        tool = {key: value for key, value in tool.items() if key != "cache_control"}
    formatted = convert_to_openai_tool(tool, strict=strict)
    return formatted if cache is None else {**formatted, "cache_control": cache}


def to_tool_choice(choice: Any) -> ToolChoice | None:
    """Convert LangChain's ``tool_choice`` to a :class:`ToolChoice`.

    Accepted: ``auto`` / ``any`` / ``required`` / ``none`` / a tool name / ``True`` / an OpenAI or
    Anthropic dict.

    Raises:
        GatewayConfigError: the value has none of these shapes.
    """
    if choice is None or choice is False:
        return None
    if isinstance(choice, ToolChoice):
        return choice
    if choice is True:
        return ToolChoice(mode="required")
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        if name:
            return ToolChoice(mode="tool", name=name)
        choice = choice.get("type")
    if isinstance(choice, str) and choice:
        mode = _TOOL_CHOICE_MODES.get(choice)
        return ToolChoice(mode=mode) if mode else ToolChoice(mode="tool", name=choice)
    raise GatewayConfigError(
        f"tool_choice {choice!r} is not understood; use 'auto', 'any', 'required', 'none' or a "
        "tool name."
    )


def to_response_format(value: Any) -> ResponseFormat | None:
    """Convert an OpenAI-style ``response_format`` dict (or a :class:`ResponseFormat`).

    Raises:
        GatewayConfigError: not ``{"type": "json_object"}`` nor ``{"type": "json_schema",
            "json_schema": {"name", "schema", "strict"?}}``.
    """
    if value is None or isinstance(value, ResponseFormat):
        return value
    kind = value.get("type") if isinstance(value, Mapping) else None
    if kind == "json_object":
        return ResponseFormat(type="json_object")
    spec = value.get("json_schema") if kind == "json_schema" else None
    if isinstance(spec, Mapping) and isinstance(spec.get("schema"), Mapping):
        return ResponseFormat(
            type="json_schema",
            name=spec.get("name"),
            schema=spec["schema"],
            strict=spec.get("strict"),
        )
    raise GatewayConfigError(
        f"response_format {value!r} is not understood; pass {{'type': 'json_object'}} or "
        "{'type': 'json_schema', 'json_schema': {'name': …, 'schema': {…}}}."
    )


def _tool_specs(tools: Sequence[Any] | None) -> tuple[ToolSpec | ProviderTool, ...]:
    return tuple(to_tool_spec(tool) for tool in tools or ())


CALL_CONVERTERS: Mapping[str, Callable[[Any], Any]] = MappingProxyType(
    {
        "tools": _tool_specs,
        "tool_choice": to_tool_choice,
        "response_format": to_response_format,
    }
)
"""Per-call request fields whose LangChain values need converting (for ``sort_call_kwargs``)."""


def bound_tools(
    tools: Sequence[Any],
    tool_choice: str | bool | dict[str, Any] | None,
    parallel_tool_calls: bool | None,
    strict: bool | None,
) -> dict[str, Any]:
    """The keyword arguments ``bind_tools`` binds: formatted tools and the choices given.

    Raises:
        GatewayConfigError: ``tool_choice`` names a tool that is not bound, or a tool is not a
            function tool.
    """
    formatted = [format_tool(tool, strict=strict) for tool in tools]
    bound: dict[str, Any] = {"tools": formatted}
    if tool_choice is not None and tool_choice is not False:
        choice = to_tool_choice(tool_choice)
        names = [spec.name for spec in _tool_specs(formatted)]
        if choice is not None and choice.mode == "tool" and choice.name not in names:
            raise GatewayConfigError(
                f"tool_choice {choice.name!r} is not one of the bound tools {names}."
            )
        bound["tool_choice"] = tool_choice
    if parallel_tool_calls is not None:
        bound["parallel_tool_calls"] = parallel_tool_calls
    return bound
