"""Tool-call arguments: parsing them, and the :class:`ToolCallPart` built from them.

Shared by the non-stream reply parsers (``wire/*``) and the stream accumulator (``events``), so a
streamed and a non-streamed reply give the same call; kept apart from ``events`` so a plain call
does not load the stream events (docs/architecture.md, "Import cost").
"""

from __future__ import annotations

from cf_gateway_core import _json
from cf_gateway_core.messages import ToolCallPart

__all__ = ["accumulator_call_id", "parse_tool_arguments", "tool_call_part"]


def parse_tool_arguments(raw: str) -> tuple[dict[str, object], str | None]:
    """Parse tool-call arguments; return ``(arguments, error)``; empty text means ``{}``."""
    if not raw.strip():
        return {}, None
    try:
        value = _json.loads(raw)
    except ValueError as exc:
        return {}, f"arguments are not valid JSON: {exc}"
    except RecursionError:
        return {}, "arguments are nested too deeply to parse"
    if not isinstance(value, dict):
        return {}, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None


def accumulator_call_id(index: int) -> str:
    """The id the stream accumulator (``events.StreamAccumulator``) gives a call without one.

    Non-stream parsers use it too, so a streamed and a non-streamed reply carry the same id.
    """
    return f"call_{index}"


def tool_call_part(call_id: str, name: str, arguments_text: str) -> ToolCallPart:
    """A tool call from its arguments text, parsed as the stream accumulator parses it.

    Arguments that are not a JSON object leave ``arguments`` empty, keep the text in
    ``raw_arguments`` and say why in ``error``.
    """
    arguments, error = parse_tool_arguments(arguments_text)
    return ToolCallPart(
        id=call_id,
        name=name,
        arguments=arguments,
        raw_arguments=arguments_text if error else None,
        error=error,
    )
