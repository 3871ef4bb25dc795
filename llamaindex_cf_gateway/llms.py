"""``CloudflareAIGateway``: Cloudflare AI Gateway as a LlamaIndex ``FunctionCallingLLM``.

The class turns LlamaIndex calls into a neutral ``ChatRequest`` (through ``_convert``), sends it
with the core's ``GatewayClient`` / ``AsyncGatewayClient`` and turns the neutral reply or stream
events back into LlamaIndex responses. Routing, wire JSON, retries and errors are the core's:
errors raised here are the core's ``cf_gateway_core`` error classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from pydantic import Field

from cf_gateway_core import get_profile, resolve_route
from cf_gateway_core.calls import check_workers_ai_opt_ins, stop_tuple
from cf_gateway_core.pydantic_fields import session_of
from llamaindex_cf_gateway._convert import to_tool_choice, to_tool_specs
from llamaindex_cf_gateway._fields import GatewayFields
from llamaindex_cf_gateway._instrument import sealed
from llamaindex_cf_gateway._request import Call, build_call
from llamaindex_cf_gateway._results import (
    keep_first_tool_call,
    to_chat_response,
    to_tool_selections,
)

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from cf_gateway_core import ModelProfile

__all__ = ["CloudflareAIGateway"]

_PAYLOADS: dict[tuple[Any, ...], tuple[ModelProfile, dict[str, Any]]] = {}
"""(class, model, context_window, max_tokens) -> (the model's profile, to_payload's dict)."""
_PAYLOADS_SIZE = 64


class CloudflareAIGateway(GatewayFields, FunctionCallingLLM):
    """Cloudflare AI Gateway as a LlamaIndex LLM with tool calling, streaming and reasoning.

    One class for every model the gateway serves: ``openai/…``, ``anthropic/…`` (Anthropic
    Messages), ``google/…``, Workers AI ``@cf/…`` and more; ``endpoint`` picks the REST API
    (``auto`` routes by model prefix). Configuration comes from the arguments, else the
    environment (``CLOUDFLARE_ACCOUNT_ID``, ``CLOUDFLARE_API_TOKEN``, ``CLOUDFLARE_GATEWAY_ID``,
    ``CLOUDFLARE_API_BASE_URL``); the token never appears in ``repr``, ``to_dict`` or ``to_json``.

    Example:
        ```python
        from llamaindex_cf_gateway import CloudflareAIGateway

        llm = CloudflareAIGateway(model="anthropic/claude-sonnet-4.5")
        print(llm.complete("What is Cloudflare?").text)
        ```

    Replies carry usage and gateway metadata: ``ChatResponse.raw`` (a dict with ``id``,
    ``model``, ``finish_reason``, ``usage``, ``gateway``) and
    ``ChatResponse.additional_kwargs["gateway"]`` (``log_id``, ``cache_status``, …).

    Per call (the core's table, the same as LangChain's), ``model``, ``endpoint``,
    ``temperature``, ``max_tokens``, ``top_p``, ``stop``, ``reasoning_effort``,
    ``session_affinity`` and ``reject_if_busy`` override the instance's values;
    ``gateway_options`` and ``extra_headers`` apply to that call; ``extra_body`` and any other
    keyword are sent as extra JSON fields; connection settings (``api_token``, ``base_url``,
    ``http_client``…) raise a ``GatewayConfigError``. The connection is resolved at
    construction: changing connection fields afterwards has no effect.
    """

    model: str = Field(
        description="Model id: openai/gpt-5.5, anthropic/claude-sonnet-4.5, @cf/meta/…, …"
    )
    endpoint: str = Field(
        default="auto",
        description="REST API: auto, chat_completions, messages, responses or run.",
    )
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    max_tokens: int | None = Field(
        default=None,
        description="Max output tokens (unset: not sent, except the Anthropic default).",
    )
    stop: list[str] | str | None = Field(default=None, description="Stop sequences.")
    top_p: float | None = Field(default=None, description="Nucleus sampling.")
    reasoning_effort: str | None = Field(
        default=None, description="Reasoning effort (low, medium, high) where supported."
    )
    model_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra JSON fields merged into every request body."
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra JSON fields merged into every request body (after model_kwargs).",
    )
    session_affinity: str | None = Field(
        default=None,
        description="Workers AI prefix-cache session id, sent as header x-session-affinity.",
    )
    reject_if_busy: bool = Field(
        default=False,
        description="Ask Workers AI to fail fast with 429 when busy (body options.rejectIfBusy).",
    )
    context_window: int | None = Field(
        default=None,
        description="Override the context window reported in metadata (else a known-model table).",
    )

    def _check(self) -> None:
        """Refuse a model the endpoint cannot serve and Workers AI options on other models.

        Raises:
            GatewayConfigError: e.g. an ``@cf/`` model on ``messages``, or ``session_affinity``
                for a model outside Workers AI.
        """
        resolve_route(self.model, self.endpoint)
        check_workers_ai_opt_ins(self.model, self.session_affinity, self.reject_if_busy)

    @classmethod
    def class_name(cls) -> str:
        """The serialisation id of this class."""
        return "CloudflareAIGateway_LLM"

    @property
    def metadata(self) -> LLMMetadata:
        """Chat model; context window, output size and tool calling from the model table."""
        profile = get_profile(self.model)
        return LLMMetadata(
            context_window=self.context_window or profile.context_window,
            num_output=self.max_tokens or profile.max_output_tokens,
            is_chat_model=True,
            is_function_calling_model=profile.tool_calling,
            model_name=self.model,
        )

    def to_payload(self) -> dict[str, Any]:
        """What LlamaIndex's callbacks and instrumentation events carry for this LLM on every call.

        The class name and :attr:`metadata`, as LlamaIndex's ``BaseLLM.to_payload`` builds them
        (never a credential); built once per model, context window and output size (and model
        table entry, so ``register_profile`` changes show), a fresh copy per call.
        """
        cls = type(self)
        if cls.metadata is not _OWN_METADATA:  # a subclass's own metadata: built every call
            return self._payload()
        profile = get_profile(self.model)
        key = (cls, self.model, self.context_window, self.max_tokens)
        cached = _PAYLOADS.get(key)
        if cached is None or cached[0] is not profile:
            if len(_PAYLOADS) >= _PAYLOADS_SIZE:
                _PAYLOADS.clear()
            cached = _PAYLOADS[key] = (profile, self._payload())
        return dict(cached[1])  # its values are immutable: a shallow copy is a copy

    def _payload(self) -> dict[str, Any]:
        """LlamaIndex's ``BaseLLM.to_payload``: the class name and :attr:`metadata`."""
        return {"class_name": self.class_name(), **self.metadata.model_dump()}

    # ------------------------------------------------------------------------- request building

    def _call(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any], stream: bool = False
    ) -> Call:
        """The neutral request for one call and the client arguments that send it.

        ``stream`` is set in the request as it is built, so the client has nothing to rebuild.
        """
        defaults = {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "stop": stop_tuple(self.stop),
            "reasoning_effort": self.reasoning_effort,
            "session_affinity": self.session_affinity,
            "reject_if_busy": self.reject_if_busy,
            "stream": stream,
        }
        return build_call(
            messages,
            kwargs,
            owner=type(self).__name__,
            defaults=defaults,
            extra_body={**self.model_kwargs, **self.extra_body},
            endpoint=self.endpoint,
        )

    # ------------------------------------------------------------------------------------ chat

    @sealed
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send the conversation and return the complete reply."""
        call = self._call(messages, kwargs)
        reply = session_of(self).client.chat(call.request, **call.send)
        return to_chat_response(reply)

    @sealed
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async twin of :meth:`chat` (safe across event loops)."""
        call = self._call(messages, kwargs)
        reply = await session_of(self).aclient.chat(call.request, **call.send)
        return to_chat_response(reply)

    @sealed
    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the reply: each response holds the whole message so far and this ``delta``.

        Tool-call fragments and reasoning stream too; the last response (``delta=""``) is the
        complete reply with usage and gateway metadata, equal to what :meth:`chat` returns.
        """
        from llamaindex_cf_gateway._streaming import chat_responses  # a plain call skips it

        call = self._call(messages, kwargs, stream=True)
        events = session_of(self).client.stream(call.request, **call.send)
        return chat_responses(events)

    @sealed
    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async twin of :meth:`stream_chat`."""
        from llamaindex_cf_gateway._streaming import achat_responses

        call = self._call(messages, kwargs, stream=True)
        events = await session_of(self).aclient.stream(call.request, **call.send)
        return achat_responses(events)

    # ------------------------------------------------------------------------------ completion

    @sealed
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete ``prompt`` (sent as one user message)."""
        return chat_to_completion_decorator(self.chat)(prompt, **kwargs)

    @sealed
    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async twin of :meth:`complete`."""
        return await achat_to_completion_decorator(self.achat)(prompt, **kwargs)

    @sealed
    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream a completion of ``prompt``."""
        return stream_chat_to_completion_decorator(self.stream_chat)(prompt, **kwargs)

    @sealed
    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async twin of :meth:`stream_complete`."""
        return await astream_chat_to_completion_decorator(self.astream_chat)(prompt, **kwargs)

    # ------------------------------------------------------------------------- function calling

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn (the caller's history is not changed).

        ``tool_choice`` may be ``"auto"``, ``"none"``, ``"required"``, a tool name or an
        OpenAI/Anthropic-style dict; ``tool_required=True`` without it means "call some tool".
        """
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        specs = to_tool_specs(tools)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            prepared["tools"] = specs
            prepared["tool_choice"] = to_tool_choice(tool_choice, tool_required=tool_required)
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls are allowed (LlamaIndex's rule)."""
        if not allow_parallel_tool_calls:
            keep_first_tool_call(response.message)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls in ``response`` (its ``ToolCallBlock``s) as ``ToolSelection``s.

        Raises:
            ValueError: no tool call while ``error_on_no_tool_call`` is true.
        """
        return to_tool_selections(response, error_on_no_tool_call=error_on_no_tool_call)


_OWN_METADATA = CloudflareAIGateway.metadata
