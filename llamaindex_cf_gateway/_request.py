"""One LlamaIndex chat call as the core sends it: the neutral request and how to send it.

The call's keyword arguments are sorted by the core's per-call table
(:func:`cf_gateway_core.calls.sort_call_kwargs`, shared with the LangChain adapter, so the same
mistake raises the same ``GatewayConfigError`` in both); this module only supplies LlamaIndex's
converters for ``tools``, ``tool_choice`` and ``response_format`` and the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from llama_index.core.base.llms.types import ChatMessage

from cf_gateway_core import ChatRequest, GatewayConfigError, ResponseFormat
from cf_gateway_core.calls import sort_call_kwargs
from llamaindex_cf_gateway._convert import to_messages, to_tool_choice, to_tool_specs

__all__ = ["Call", "build_call"]


def _response_format(value: object) -> ResponseFormat | None:
    if value is None or isinstance(value, ResponseFormat):
        return value
    raise GatewayConfigError(
        "response_format must be a cf_gateway_core.ResponseFormat, e.g. "
        "ResponseFormat(type='json_schema', name='Answer', schema={...}); for pydantic output "
        "use llm.structured_predict(...) or llm.as_structured_llm(...)."
    )


_CONVERTERS: Mapping[str, Callable[[Any], Any]] = MappingProxyType(
    {
        "tools": lambda tools: to_tool_specs(tools or ()),
        "tool_choice": to_tool_choice,
        "response_format": _response_format,
    }
)
"""LlamaIndex's per-call values -> the ``ChatRequest`` fields they set."""


class Call:
    """One call's neutral request and the client arguments that send it."""

    __slots__ = ("request", "send")

    def __init__(self, request: ChatRequest, send: dict[str, Any]) -> None:
        """Hold the request and ``send``: ``endpoint``, ``options`` and ``extra_headers``."""
        self.request = request
        self.send = send


def build_call(
    messages: Sequence[ChatMessage],
    kwargs: Mapping[str, Any],
    *,
    owner: str,
    defaults: Mapping[str, Any],
    extra_body: Mapping[str, Any],
    endpoint: str,
) -> Call:
    """The request for one call: the instance's values overridden by the call's keywords.

    Args:
        messages: the LlamaIndex conversation.
        kwargs: the call's keyword arguments.
        owner: the class name named in configuration errors.
        defaults: the instance's ``ChatRequest`` field values (``model`` required).
        extra_body: the instance's extra JSON fields (a dict of this call's own: a call
            without keywords sends it as it is); the call's are merged over them.
        endpoint: the instance's endpoint, used when the call names none.

    Raises:
        GatewayConfigError: a connection setting passed per call, an unknown ``endpoint``,
            unusable ``extra_headers``, a ``response_format`` that is not a ``ResponseFormat``,
            or a message the gateway cannot take.
    """
    if not kwargs:  # the instance's values as they are: nothing to sort, one dict less
        request = ChatRequest(messages=to_messages(messages), extra_body=extra_body, **defaults)
        return Call(request, {"endpoint": endpoint, "options": None, "extra_headers": None})
    call = sort_call_kwargs(kwargs, owner=owner, converters=_CONVERTERS)
    request = call.request(to_messages(messages), defaults=defaults, extra_body=extra_body)
    send = {
        "endpoint": call.endpoint or endpoint,
        "options": call.options,
        "extra_headers": call.headers,
    }
    return Call(request, send)
