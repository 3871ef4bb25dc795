"""``ChatCloudflareAIGateway``: Cloudflare AI Gateway as a LangChain chat model.

A thin shell: configuration and LangChain plumbing here; value conversion in
:mod:`langchain_cf_gateway._convert` (requests) and :mod:`langchain_cf_gateway._results` (replies,
streams); structured output in :mod:`langchain_cf_gateway._structured`; routing, wire formats,
retries and I/O in :mod:`cf_gateway_core`. Sync and async share everything but the ``await``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from cf_gateway_core import ChatRequest, Route, resolve_route
from cf_gateway_core.calls import check_workers_ai_opt_ins, sort_call_kwargs, stop_tuple
from cf_gateway_core.pydantic_fields import (
    AsyncHttpClient,
    HttpClient,
    OptionsField,
    unwrapped_config_errors,
)
from langchain_cf_gateway._convert import to_messages
from langchain_cf_gateway._errors import TRANSLATED_ERRORS, to_langchain_error, translated
from langchain_cf_gateway._profile import (
    langchain_profile,
    langsmith_params,
    masked_invocation_params,
)
from langchain_cf_gateway._results import to_ai_message
from langchain_cf_gateway._session import SessionModel
from langchain_cf_gateway._tool_specs import CALL_CONVERTERS, bound_tools

if TYPE_CHECKING:
    from langchain_core.language_models.model_profile import ModelProfile

    # Annotation only: langchain_core.tools.base costs ~9 ms to import, and BaseChatModel does not
    # load it; convert_to_openai_tool imports it when tools are bound.
    from langchain_core.tools import BaseTool

__all__ = ["ChatCloudflareAIGateway"]

EndpointName = Literal["auto", "chat_completions", "messages", "responses", "run"]
StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]

# The model's values that are the request's defaults (stop: see _prepare), and those that
# identify it to LangChain's caches and tracers.
_REQUEST_DEFAULTS = (
    "model", "temperature", "max_tokens", "top_p", "reasoning_effort", "session_affinity",
    "reject_if_busy",
)  # fmt: skip
_IDENTIFYING = (
    "model", "endpoint", "temperature", "max_tokens", "top_p", "stop", "reasoning_effort",
)  # fmt: skip


class ChatCloudflareAIGateway(BaseChatModel, SessionModel):
    """Chat models behind Cloudflare AI Gateway's REST API.

    One class for every model the gateway serves: ``openai/…``, ``anthropic/…``,
    ``google/…``, Workers AI ``@cf/…`` and ``@hf/…``. With ``endpoint="auto"`` Anthropic models use
    the Anthropic Messages API (``/ai/v1/messages``) and all others OpenAI Chat Completions
    (``/ai/v1/chat/completions``); ``endpoint="responses"`` and ``endpoint="run"`` select the
    OpenAI Responses API and the Workers AI run API.

    Setup: set ``CLOUDFLARE_ACCOUNT_ID`` and ``CLOUDFLARE_API_TOKEN`` (and optionally
    ``CLOUDFLARE_GATEWAY_ID``), or pass ``account_id=``, ``api_token=`` (alias ``api_key``),
    ``gateway_id=``. Missing credentials or an impossible model/endpoint pair raise
    :class:`cf_gateway_core.GatewayConfigError` at construction.

    Example:
        .. code-block:: python

            from langchain_cf_gateway import ChatCloudflareAIGateway

            llm = ChatCloudflareAIGateway(model="anthropic/claude-sonnet-4.5")
            llm.invoke("What is Cloudflare?")
            for chunk in llm.stream("Tell me a joke"):
                print(chunk.text, end="")

    Tools and structured output: see :meth:`bind_tools` and :meth:`with_structured_output`; a
    stream delivers each tool call whole in its last chunk (a call cut off mid-arguments lands in
    ``invalid_tool_calls``, never guessed).

    Results: ``response_metadata`` holds ``model_name`` (the model id requested), ``finish_reason``
    (``stop``, ``length``, ``tool_calls``, ``content_filter``…), ``raw_finish_reason``,
    ``served_model`` and ``gateway`` (``log_id``, ``cache_status``, ``event_id``, ``step``,
    ``key_source``… from the ``cf-aig-*`` headers). ``usage_metadata`` includes cache-read and
    reasoning token details when reported. Reasoning text is
    ``additional_kwargs["reasoning_content"]`` (a ``reasoning`` block in ``content_blocks``);
    signed Anthropic thinking is kept in ``additional_kwargs["reasoning_blocks"]`` and sent back
    unchanged in later turns.

    Per call: ``stop``, ``temperature``, ``max_tokens``, ``top_p``, ``reasoning_effort``,
    ``model``, ``endpoint``, ``session_affinity``, ``reject_if_busy``, ``gateway_options``
    (merged over the instance's), ``extra_headers`` and ``extra_body``; other keyword arguments
    are merged into the request body. Connection settings (``api_token``, ``base_url``…) are set
    at construction: per call they raise ``GatewayConfigError``.

    Errors are :mod:`cf_gateway_core` errors that are also the matching
    ``langchain_core.exceptions`` class, e.g. ``CloudflareRateLimitError`` is both a
    ``cf_gateway_core.RateLimitError`` and a ``ModelRateLimitError``.
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid", arbitrary_types_allowed=True)

    model: str = Field(alias="model_name")
    """Model id, e.g. ``openai/gpt-5.5``, ``anthropic/claude-sonnet-4.5``,
    ``@cf/meta/llama-3.1-8b-instruct``."""
    account_id: str | None = None
    """Cloudflare account id; default ``CLOUDFLARE_ACCOUNT_ID``."""
    api_token: SecretStr | None = Field(default=None, alias="api_key")
    """API token; default ``CLOUDFLARE_API_TOKEN``. Never shown in ``repr`` or serialized."""
    gateway_id: str | None = None
    """Gateway id (header ``cf-aig-gateway-id``); default ``CLOUDFLARE_GATEWAY_ID``, else none."""
    base_url: str | None = None
    """API base; default ``CLOUDFLARE_API_BASE_URL``, else ``https://api.cloudflare.com/client/v4``."""
    endpoint: EndpointName = "auto"
    """``auto`` (from the model prefix), ``chat_completions``, ``messages``, ``responses`` or
    ``run``."""
    timeout: float | None = 60.0
    """Seconds per request; ``None`` for no timeout."""
    max_retries: int = 2
    """Retries of failed requests (429, 5xx, connection errors), before a stream's first byte."""
    temperature: float | None = None
    """Sampling temperature; unset is not sent."""
    max_tokens: int | None = None
    """Maximum output tokens; unset is not sent (``messages`` uses a per-model default)."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences."""
    top_p: float | None = None
    """Nucleus sampling; unset is not sent."""
    reasoning_effort: str | None = None
    """``minimal``/``low``/``medium``/``high`` where the model reasons; unset is not sent."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra JSON fields merged into every request body."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Extra JSON fields merged into every request body (after ``model_kwargs``)."""
    gateway_options: OptionsField = None
    """Gateway features as ``cf-aig-*`` headers (cache, logging, retries…); stored as a dict."""
    session_affinity: str | None = None
    """Sent as header ``x-session-affinity`` (Workers AI prompt caching across requests)."""
    reject_if_busy: bool = False
    """Send ``options.rejectIfBusy: true`` (Workers AI answers 429 instead of queueing)."""
    streaming: bool = False
    """Stream under ``invoke`` too (the result is the same message)."""
    allow_insecure_http: bool = False
    """Permit a plain ``http://`` base URL to a non-loopback host."""
    fast_transport: bool = False
    """Deprecated, no effect: async requests go through aiohttp by default. ``True`` emits a
    ``DeprecationWarning``."""
    http_client: HttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.Client`` (custom transport, proxies); not closed by this object."""
    http_async_client: AsyncHttpClient = Field(default=None, exclude=True, repr=False)
    """A caller-owned ``httpx.AsyncClient``."""

    _route: Route = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        """Validate and resolve the configuration (see the class docstring).

        Raises:
            GatewayConfigError: missing credentials, a bad value or an impossible model/endpoint
                pair.
        """
        with unwrapped_config_errors():
            super().__init__(**kwargs)

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        self._open_session()
        self._route = resolve_route(self.model, self.endpoint)
        check_workers_ai_opt_ins(self.model, self.session_affinity, self.reject_if_busy)
        return self

    # -- LangChain metadata ---------------------------------------------------------------------

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The LangChain ``profile`` of this model, from ``cf_gateway_core.get_profile``."""
        return langchain_profile(self.model, self.endpoint)

    @property
    def _llm_type(self) -> str:
        return "cloudflare-ai-gateway"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The token is serialized as a reference to ``CLOUDFLARE_API_TOKEN``."""
        return {"api_token": "CLOUDFLARE_API_TOKEN"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Serializable with ``dumpd``/``load`` (without the token)."""
        return True

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in _IDENTIFYING}
        return {**params, "extra_body": {**self.model_kwargs, **self.extra_body}}

    def _get_invocation_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """LangChain's invocation params, with per-call ``extra_headers`` values masked.

        What ``BaseChatModel`` builds (``asdict()``: the identifying params and ``_type``; then
        ``stop`` and the call's keyword arguments), without the deprecation-warning filter it puts
        around the deprecated ``dict()`` on every call — unless a subclass overrides ``dict()``.
        """
        if type(self).dict is not BaseChatModel.dict:
            params = super()._get_invocation_params(stop=stop, **kwargs)
        else:
            params = {**self.asdict(), "stop": stop, **kwargs}
        return masked_invocation_params(params)

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        fields = ("model", "temperature", "max_tokens", "stop")
        return langsmith_params({name: getattr(self, name) for name in fields}, stop, kwargs)

    # -- requests -------------------------------------------------------------------------------

    def _prepare(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        stream: bool = False,
    ) -> tuple[ChatRequest, dict[str, Any]]:
        """The neutral request and the client's keyword arguments for one call.

        ``stream`` is set in the request as it is built, so the client has nothing to rebuild.
        """
        call = sort_call_kwargs(kwargs, owner="ChatCloudflareAIGateway", converters=CALL_CONVERTERS)
        defaults = {name: getattr(self, name) for name in _REQUEST_DEFAULTS}
        defaults["stop"] = stop_tuple(stop if stop is not None else self.stop)
        defaults["stream"] = stream
        extra_body = {**self.model_kwargs, **self.extra_body}
        request = call.request(to_messages(messages), defaults=defaults, extra_body=extra_body)
        endpoint = call.endpoint or self.endpoint
        return request, {
            "endpoint": endpoint,
            "options": call.options,
            "extra_headers": call.headers,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request, call = self._prepare(messages, stop, kwargs)
        try:  # what translated() does, without a generator-based context manager per call
            response = self._client.chat(request, **call)
        except TRANSLATED_ERRORS as exc:
            raise to_langchain_error(exc) from exc
        message = to_ai_message(response, request.model)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request, call = self._prepare(messages, stop, kwargs)
        try:
            response = await self._async_client.chat(request, **call)
        except TRANSLATED_ERRORS as exc:
            raise to_langchain_error(exc) from exc
        message = to_ai_message(response, request.model)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from langchain_cf_gateway._streaming import StreamConverter  # a plain call skips it

        request, call = self._prepare(messages, stop, kwargs, stream=True)
        converter = StreamConverter(request.model)
        convert = converter.chunk
        with translated(), self._client.stream(request, **call) as events:
            # The events of each read, converted here rather than in a generator of their own:
            # one layer less per event (the async twin below does the same).
            for batch in events.batches():
                for event in batch:
                    chunk = convert(event)
                    if chunk is None:
                        continue
                    if run_manager is not None:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
            yield converter.last(events.result())

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        from langchain_cf_gateway._streaming import StreamConverter

        request, call = self._prepare(messages, stop, kwargs, stream=True)
        converter = StreamConverter(request.model)
        convert = converter.chunk
        with translated():
            async with self._async_client.stream(request, **call) as events:
                async for batch in events.batches():
                    for event in batch:
                        chunk = convert(event)
                        if chunk is None:
                            continue
                        if run_manager is not None:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
                yield converter.last(events.result())

    # -- tools and structured output ------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (LangChain tools, pydantic classes, functions, dict schemas) to the model.

        Args:
            tools: the tools; converted once to OpenAI-format schemas.
            tool_choice: ``"auto"``, ``"any"``/``"required"`` (must call a tool), ``"none"``, a
                tool name (must call that tool), ``True`` or a provider-style dict.
            parallel_tool_calls: allow (or forbid) several tool calls in one reply.
            strict: ask for strict schema adherence where the provider supports it.
            **kwargs: further per-call arguments to bind.

        Raises:
            GatewayConfigError: ``tool_choice`` names a tool that is not bound, or a tool is not
                a function tool.
        """
        return super().bind(
            **bound_tools(tools, tool_choice, parallel_tool_calls, strict), **kwargs
        )

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: StructuredMethod = "function_calling",
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable that returns output shaped like ``schema``.

        Args:
            schema: a pydantic class, a TypedDict, a JSON schema or an OpenAI tool schema.
                ``json_mode`` also accepts ``None`` (any JSON object) where supported.
            include_raw: return ``{"raw", "parsed", "parsing_error"}`` instead of raising on a
                parsing error.
            method: ``function_calling`` (default: a forced tool call), ``json_schema``
                (``response_format`` with the schema) or ``json_mode`` (``response_format``
                ``json_object``; say what to return in the prompt). Where the endpoint takes no
                ``response_format`` (Anthropic Messages bodies) the last two use function calling.
            strict: strict schema adherence where the provider supports it.
            **kwargs: not accepted (raises ``ValueError``).

        Returns:
            A runnable producing pydantic instances for pydantic schemas, dicts otherwise.
        """
        if kwargs:
            raise ValueError(f"Received unsupported arguments {kwargs}")
        # Imported on first use: its parsers and runnables cost ~5 ms at import.
        from langchain_cf_gateway._structured import method_for_route, structured_runnable

        chosen = method_for_route(method, schema, self._route)
        return structured_runnable(self, schema, chosen, strict, include_raw=include_raw)
