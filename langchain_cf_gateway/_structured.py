"""Structured output: a schema and a method in, a bound model and its output parser out.

``function_calling`` forces a call to a tool built from the schema; ``json_schema`` and
``json_mode`` bind an OpenAI-style ``response_format``. Where the chat model's route takes no
``response_format`` (the core's ``Route.takes_response_format``: Anthropic Messages bodies do
not), :func:`method_for_route` falls back to ``function_calling``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any, Protocol

from langchain_core.exceptions import OutputParserException
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.outputs import Generation
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from cf_gateway_core import GatewayConfigError, Route

__all__ = ["method_for_route", "structured_runnable"]

_Pair = tuple[Runnable[Any, Any], Runnable[Any, Any]]


class _Bindable(Protocol):
    def bind(self, **kwargs: Any) -> Runnable[Any, Any]: ...

    def bind_tools(self, tools: Any, **kwargs: Any) -> Runnable[Any, Any]: ...


def _require_call(parsed: Any, result: list[Generation], partial: bool) -> Any:
    # LangChain's tools parsers return None when the reply has no tool call; a silent None is
    # is how other integrations lose structured output, so a complete reply without one raises.
    if parsed is None and not partial:
        text = result[0].text if result else ""
        raise OutputParserException(
            "The model answered without calling the structured-output tool; its reply was: "
            f"{text[:200]!r}",
            llm_output=text,
        )
    return parsed


class _RequiredPydanticToolsParser(PydanticToolsParser):
    """``PydanticToolsParser`` that raises instead of returning ``None`` for a reply in prose."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        """Parse the first tool call (see :func:`_require_call`)."""
        return _require_call(super().parse_result(result, partial=partial), result, partial)


class _RequiredKeyToolsParser(JsonOutputKeyToolsParser):
    """``JsonOutputKeyToolsParser`` that raises instead of returning ``None``."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        """Parse the first matching tool call (see :func:`_require_call`)."""
        return _require_call(super().parse_result(result, partial=partial), result, partial)


def _parser_for(schema: Any) -> Runnable[Any, Any]:
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


def _ls_format(method: str, schema: Any, strict: bool | None) -> dict[str, Any]:
    if schema is None:
        return {}
    return {
        "ls_structured_output_format": {
            "kwargs": {"method": method, "strict": strict},
            "schema": schema,
        }
    }


def _with_function_calling(llm: _Bindable, schema: Any, strict: bool | None) -> _Pair:
    if schema is None:
        raise ValueError("method='function_calling' needs a schema.")
    name = convert_to_openai_tool(schema)["function"]["name"]
    bound = llm.bind_tools(
        [schema], tool_choice=name, strict=strict, **_ls_format("function_calling", schema, strict)
    )
    parser: Runnable[Any, Any]
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        parser = _RequiredPydanticToolsParser(tools=[schema], first_tool_only=True)
    else:
        parser = _RequiredKeyToolsParser(key_name=name, first_tool_only=True)
    return bound, parser


def _with_json_schema(llm: _Bindable, schema: Any, strict: bool | None) -> _Pair:
    if schema is None:
        raise ValueError("method='json_schema' needs a schema.")
    function = convert_to_openai_tool(schema)["function"]
    spec: dict[str, Any] = {"name": function["name"], "schema": function.get("parameters", {})}
    if function.get("description"):
        spec["description"] = function["description"]
    if strict is not None:
        spec["strict"] = strict
    response_format = {"type": "json_schema", "json_schema": spec}
    bound = llm.bind(response_format=response_format, **_ls_format("json_schema", schema, strict))
    return bound, _parser_for(schema)


def _with_json_mode(llm: _Bindable, schema: Any, strict: bool | None) -> _Pair:
    bound = llm.bind(
        response_format={"type": "json_object"}, **_ls_format("json_mode", schema, None)
    )
    return bound, _parser_for(schema)


_BUILDERS: dict[str, Callable[[_Bindable, Any, bool | None], _Pair]] = {
    "function_calling": _with_function_calling,
    "json_schema": _with_json_schema,
    "json_mode": _with_json_mode,
}


def method_for_route(method: str, schema: Any, route: Route) -> str:
    """``method``, or ``function_calling`` where ``route`` takes no ``response_format``.

    Raises:
        GatewayConfigError: ``json_schema`` / ``json_mode`` without a schema on such a route.
    """
    if method not in ("json_schema", "json_mode") or route.takes_response_format:
        return method
    if schema is None:
        raise GatewayConfigError(
            f"method={method!r} without a schema needs response_format, which endpoint "
            f"{route.endpoint.value!r} does not take; pass a schema (it is then used as a forced "
            "tool call) or use another endpoint."
        )
    return "function_calling"


def structured_runnable(
    llm: _Bindable, schema: Any, method: str, strict: bool | None, *, include_raw: bool
) -> Runnable[Any, Any]:
    """``llm | parser``, or with ``include_raw`` a map to ``{"raw", "parsed", "parsing_error"}``.

    Raises:
        ValueError: an unknown method, or a method that needs a schema got none.
    """
    builder = _BUILDERS.get(method)
    if builder is None:
        raise ValueError(
            f"method {method!r} is not supported; use 'function_calling', 'json_schema' or "
            "'json_mode'."
        )
    bound, parser = builder(llm, schema, strict)
    if not include_raw:
        return bound | parser
    parsed = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    fallback = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=bound) | parsed.with_fallbacks([fallback], exception_key="parsing_error")
