"""One policy for a chat call's keyword arguments, shared by the LangChain and LlamaIndex adapters.

:data:`CALL_KEYWORDS` is the table: for every keyword a framework may pass per call
(``llm.invoke(..., temperature=0)``, ``llm.chat(messages, temperature=0)``) it says what the
keyword does. :func:`sort_call_kwargs` applies it and returns a neutral :class:`CallKwargs`; the
same mistake therefore gets the same :class:`~cf_gateway_core.errors.GatewayConfigError`, with
the same message, in both frameworks. The kinds (:class:`CallKind`):

- ``FIELD``: sets a :class:`~cf_gateway_core.messages.ChatRequest` field (``temperature``,
  ``max_tokens``, ``tools``, the Workers AI ``session_affinity`` / ``reject_if_busy``…).
- ``ROUTE``: ``endpoint``, the REST API for this call, checked with the message the constructor
  uses.
- ``OPTIONS`` / ``HEADERS`` / ``EXTRA_BODY``: per-call ``gateway_options``, ``extra_headers``
  (checked: reserved headers such as ``Authorization`` are refused) and ``extra_body``.
- ``CONSTRUCTION``: connection settings (``api_token``, ``base_url``, ``http_client``…). Per
  call they would be sent as JSON body fields (a token among them), so they raise, naming the
  class to build instead.
- ``IGNORED``: framework plumbing never sent (LangChain passes ``stream``).
- anything else goes into the JSON body, the convention of langchain-openai and
  llama-index-llms-openai (``logprobs=True`` becomes ``"logprobs": true``).

``None`` means "not given" for every keyword except the request fields: ``temperature=None``
per call unsets the instance's temperature, ``foo=None`` sends nothing.

Usage in an adapter (LlamaIndex shown; LangChain is the same with its own converters)::

    from cf_gateway_core.calls import sort_call_kwargs

    call = sort_call_kwargs(
        kwargs,
        owner="CloudflareAIGateway",
        converters={
            "tools": to_tool_specs,  # framework tools -> tuple of ToolSpec
            "tool_choice": to_tool_choice,  # framework value -> ToolChoice | None
            "response_format": to_response_format,  # -> ResponseFormat | None
        },
    )
    request = call.request(
        to_messages(messages),
        defaults={"model": self.model, "temperature": self.temperature, ...,
                  "session_affinity": self.session_affinity,
                  "reject_if_busy": self.reject_if_busy},
        extra_body={**self.model_kwargs, **self.extra_body},
    )
    reply = client.chat(
        request,
        endpoint=call.endpoint or self.endpoint,
        options=call.options,
        extra_headers=call.headers,
    )

The Workers AI opt-ins are request fields: the client checks them against the model (a
``GatewayConfigError`` for other models) and writes the ``x-session-affinity`` header and the
``options.rejectIfBusy`` body field itself; adapters merge no JSON fragments. To refuse them at
construction too, call ``check_workers_ai_opt_ins(model, session_affinity, reject_if_busy)``
(re-exported here from :mod:`cf_gateway_core.options`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from cf_gateway_core.checks import STRICT_CUTOFF, check_extra_headers, closest_name
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.messages import ChatRequest, Message
from cf_gateway_core.options import GatewayOptions, check_workers_ai_opt_ins
from cf_gateway_core.routing import ENDPOINTS

__all__ = [
    "CALL_KEYWORDS",
    "CallKind",
    "CallKwargs",
    "check_chat_endpoint",
    "check_workers_ai_opt_ins",
    "construction_only_message",
    "sort_call_kwargs",
    "stop_tuple",
]


class CallKind(enum.Enum):
    """What a per-call keyword does."""

    FIELD = "field"
    """Sets the :class:`ChatRequest` field of the same name."""
    ROUTE = "route"
    """Picks the REST API (``endpoint``)."""
    OPTIONS = "options"
    """Per-call gateway options (``cf-aig-*`` headers), merged over the instance's."""
    HEADERS = "headers"
    """Per-call extra HTTP headers (checked)."""
    EXTRA_BODY = "extra_body"
    """A dict of extra JSON fields."""
    CONSTRUCTION = "construction"
    """A connection setting: refused per call."""
    IGNORED = "ignored"
    """Framework plumbing, never sent."""
    BODY = "body"
    """A JSON body field of the same name (every keyword the table does not list)."""


_FIELDS = (
    "model",
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "reasoning_effort",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "cache_control",
    "prompt_cache_key",
    "session_affinity",
    "reject_if_busy",
)
_CONNECTION_SETTINGS = (
    "api_key",
    "api_token",
    "authorization",
    "account_id",
    "gateway_id",
    "base_url",
    "timeout",
    "max_retries",
    "http_client",
    "http_async_client",
    "async_http_client",
    "fast_transport",
    "allow_insecure_http",
)

CALL_KEYWORDS: Mapping[str, CallKind] = MappingProxyType(
    {
        **dict.fromkeys(_FIELDS, CallKind.FIELD),
        "endpoint": CallKind.ROUTE,
        "gateway_options": CallKind.OPTIONS,
        "extra_headers": CallKind.HEADERS,
        "extra_body": CallKind.EXTRA_BODY,
        **dict.fromkeys(_CONNECTION_SETTINGS, CallKind.CONSTRUCTION),
        "stream": CallKind.IGNORED,
    }
)
"""Per-call keyword -> what it does; a keyword not listed is :attr:`CallKind.BODY`."""


def stop_tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Stop sequences as :class:`ChatRequest` takes them: a string is one, empty is none."""
    if not value:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def construction_only_message(keyword: str, owner: str) -> str:
    """The message for a connection setting passed per call (the same in both frameworks).

    Args:
        keyword: the keyword given per call.
        owner: the adapter class the user builds, e.g. ``ChatCloudflareAIGateway``.
    """
    if keyword == "authorization":
        where = f"pass the token as api_token= to {owner}(...) (or set CLOUDFLARE_API_TOKEN)"
    else:
        where = f"pass {keyword}= to {owner}(...), or create another {owner} for another value"
    return (
        f"{keyword} is set when the model is created, not per call (per call it would be sent "
        f"as a JSON body field); {where}."
    )


def check_chat_endpoint(endpoint: object) -> None:
    """Refuse an ``endpoint`` value no chat class knows (at construction and per call).

    Raises:
        GatewayConfigError: the value is not one of ``auto``, ``chat_completions``, ``messages``,
            ``responses``, ``run``.
    """
    if endpoint not in ENDPOINTS:
        raise GatewayConfigError(
            f"endpoint {endpoint!r} is not known; pass endpoint= one of {', '.join(ENDPOINTS)}."
        )


_Converter = Callable[[Any], Any]
_DEFAULT_CONVERTERS: Mapping[str, _Converter] = MappingProxyType({"stop": stop_tuple})


class CallKwargs:
    """One call's keywords, sorted by :func:`sort_call_kwargs` (no framework objects left)."""

    __slots__ = ("endpoint", "extra_body", "fields", "headers", "options")

    def __init__(self) -> None:
        """An empty result: no overrides, no extra body, headers or options."""
        self.fields: dict[str, Any] = {}
        """:class:`ChatRequest` field values given for this call (converted)."""
        self.extra_body: dict[str, Any] = {}
        """JSON body fields for this call: ``extra_body=`` then the unlisted keywords."""
        self.options: GatewayOptions | Mapping[str, Any] | None = None
        """Per-call gateway options, for the client's ``options=``."""
        self.headers: dict[str, str] | None = None
        """Checked per-call headers, for the client's ``extra_headers=``."""
        self.endpoint: str | None = None
        """The endpoint for this call, ``None`` for the instance's."""

    def request(
        self,
        messages: Sequence[Message],
        *,
        defaults: Mapping[str, Any],
        extra_body: Mapping[str, Any] | None = None,
    ) -> ChatRequest:
        """The neutral request: ``defaults`` (the instance's values) overridden by this call.

        Args:
            messages: the converted conversation.
            defaults: :class:`ChatRequest` field values of the instance (``model`` required).
            extra_body: the instance's extra body fields; this call's are merged over them.
        """
        fields = {**defaults, **self.fields}
        body = {**(extra_body or {}), **self.extra_body}
        return ChatRequest(messages=tuple(messages), extra_body=body, **fields)


def _sort_one(
    call: CallKwargs,
    key: str,
    value: Any,
    owner: str,
    converters: Mapping[str, _Converter],
) -> None:
    kind = CALL_KEYWORDS.get(key, CallKind.BODY)
    if kind is CallKind.CONSTRUCTION:
        raise GatewayConfigError(construction_only_message(key, owner))
    if kind is CallKind.FIELD:
        if key == "model" and value is None:
            return  # the instance's model
        convert = converters.get(key)
        call.fields[key] = convert(value) if convert is not None else value
    elif value is None or kind is CallKind.IGNORED:
        return
    elif kind is CallKind.ROUTE:
        check_chat_endpoint(value)
        call.endpoint = value
    elif kind is CallKind.OPTIONS:
        call.options = value
    elif kind is CallKind.HEADERS:
        call.headers = check_extra_headers(value)
    elif kind is CallKind.EXTRA_BODY:
        if not isinstance(value, Mapping):
            raise GatewayConfigError(
                f"extra_body must be a dict of JSON fields, got {type(value).__name__}."
            )
        call.extra_body = {**value, **call.extra_body}
    else:
        _refuse_misspelt_setting(key, owner)
        call.extra_body[key] = value


def _refuse_misspelt_setting(key: str, owner: str) -> None:
    # An unlisted keyword goes into the JSON body; one that looks like a misspelt connection
    # setting (api_tokne=, base_ur=) would send its value, perhaps the token, to the provider.
    close = closest_name(key, _CONNECTION_SETTINGS, cutoff=STRICT_CUTOFF)
    if close:
        raise GatewayConfigError(
            f"{key!r} looks like a misspelt {close!r}, a connection setting; per call it "
            f"would be sent as a JSON body field. Pass {close}= to {owner}(...); to send a "
            f"body field named {key!r} on purpose, pass extra_body={{{key!r}: ...}}."
        )


_TABLES: dict[int, tuple[Mapping[str, _Converter], Mapping[str, _Converter]]] = {}
"""id(converters) -> (converters, its checked table): an adapter passes the same mapping on
every call, so the table is merged and checked once, not per call."""


def _converter_table(converters: Mapping[str, _Converter] | None) -> Mapping[str, _Converter]:
    """``converters`` over the default ones, checked (a ``ValueError`` names the wrong keys)."""
    key = id(converters)
    cached = _TABLES.get(key)
    if cached is not None and cached[0] is converters and converters is not None:
        return cached[1]
    table = {**_DEFAULT_CONVERTERS, **(converters or {})}
    wrong = sorted(name for name in table if CALL_KEYWORDS.get(name) is not CallKind.FIELD)
    if wrong:
        raise ValueError(f"converters for keywords that are not request fields: {wrong}")
    if isinstance(converters, MappingProxyType):  # read-only: safe to keep its merged table
        if len(_TABLES) >= 16:
            _TABLES.clear()
        _TABLES[key] = (converters, MappingProxyType(table))
    return table


def sort_call_kwargs(
    kwargs: Mapping[str, Any],
    *,
    owner: str,
    converters: Mapping[str, _Converter] | None = None,
) -> CallKwargs:
    """Sort one call's keyword arguments by :data:`CALL_KEYWORDS`.

    Args:
        kwargs: the call's keyword arguments, as the framework passed them.
        owner: the adapter class name, for the construction-only message.
        converters: request field -> function turning the framework's value into the
            :class:`ChatRequest` one (``tools``, ``tool_choice``, ``response_format``); ``stop``
            accepts a string or a sequence by default.

    Returns:
        The request field values, extra body, gateway options, headers and endpoint.

    Raises:
        GatewayConfigError: a connection setting passed per call, an unknown ``endpoint``,
            unusable ``extra_headers`` or an ``extra_body`` that is not a dict.
        ValueError: ``converters`` names a keyword that is not a request field (a bug in the
            adapter).
    """
    table = _converter_table(converters)
    call = CallKwargs()
    for key, value in kwargs.items():
        _sort_one(call, key, value, owner, table)
    return call
