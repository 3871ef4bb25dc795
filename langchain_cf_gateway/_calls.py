"""One LangChain call's keyword arguments, sorted: request fields, gateway options, headers, body.

Per-call keywords either set a field of the neutral ``ChatRequest`` (``temperature``, ``tools``…),
choose per-call gateway options or headers, are refused because they are fixed at construction
(connection settings), or — like langchain-openai's per-call kwargs — go into the JSON body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cf_gateway_core import GatewayConfigError
from cf_gateway_core.pydantic_fields import check_extra_headers
from langchain_cf_gateway._convert import to_response_format, to_tool_choice, to_tool_spec

__all__ = ["split_call_kwargs", "stop_tuple"]


def stop_tuple(value: Sequence[str] | None) -> tuple[str, ...] | None:
    """Stop sequences as the request takes them (``None`` for none)."""
    return tuple(value) if value else None


def _tools(value: Sequence[Any] | None) -> tuple[Any, ...]:
    return tuple(to_tool_spec(tool) for tool in value or ())


def _same(value: Any) -> Any:
    return value


# Per-call keyword -> (ChatRequest field, converter). Anything not listed here, "extra_body" and
# "gateway_options" is merged into the JSON body, like langchain-openai's per-call kwargs.
_CALL_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "model": ("model", _same),
    "tools": ("tools", _tools),
    "tool_choice": ("tool_choice", to_tool_choice),
    "parallel_tool_calls": ("parallel_tool_calls", _same),
    "response_format": ("response_format", to_response_format),
    "temperature": ("temperature", _same),
    "max_tokens": ("max_tokens", _same),
    "top_p": ("top_p", _same),
    "stop": ("stop", stop_tuple),
    "reasoning_effort": ("reasoning_effort", _same),
    "cache_control": ("cache_control", _same),
    "prompt_cache_key": ("prompt_cache_key", _same),
}
# Keywords LangChain itself may pass through to _generate/_stream; never sent.
_IGNORED_CALL_KEYS = frozenset({"stream"})
# Connection settings are fixed at construction; per call they would land in the JSON body
# (a stray api_key= sent to the server as a body field would leak it).
_CONSTRUCTION_ONLY = frozenset(
    {
        "api_key",
        "api_token",
        "account_id",
        "gateway_id",
        "base_url",
        "endpoint",
        "timeout",
        "max_retries",
        "http_client",
        "http_async_client",
        "fast_transport",
        # Workers AI opt-ins: checked against the model at construction (a header and
        # options.rejectIfBusy); per call they would land in the body as stray fields.
        "session_affinity",
        "reject_if_busy",
    }
)


def split_call_kwargs(
    kwargs: Mapping[str, Any],
    extra_body: dict[str, Any],
    extra_headers: dict[str, str] | None,
) -> tuple[dict[str, Any], dict[str, Any], Any, dict[str, str] | None]:
    """Sort one call's keywords.

    Args:
        kwargs: the call's keyword arguments.
        extra_body: the model's own extra body fields.
        extra_headers: the model's own extra headers.

    Returns:
        The request field overrides, the extra body, the per-call gateway options and the
        headers.

    Raises:
        GatewayConfigError: a connection setting passed per call, or unusable extra headers.
    """
    fields: dict[str, Any] = {}
    extra, options, headers = extra_body, None, extra_headers
    for key, value in kwargs.items():
        target = _CALL_FIELDS.get(key)
        if target is not None:
            fields[target[0]] = target[1](value)
        elif key == "gateway_options":
            options = value
        elif key == "extra_headers":
            headers = {**(headers or {}), **check_extra_headers(value)}
        elif key == "extra_body":
            extra = {**extra, **value}
        elif key in _CONSTRUCTION_ONLY:
            raise GatewayConfigError(
                f"{key} is set when the model is created, not per call; create another "
                f"ChatCloudflareAIGateway for a different {key}."
            )
        elif key not in _IGNORED_CALL_KEYS:
            extra = {**extra, key: value}
    return fields, extra, options, headers
