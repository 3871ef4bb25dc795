"""What LangChain sees of a chat model: its ``profile``, LangSmith and invocation parameters.

The ``profile`` is derived from the core model table; per-call header values are masked in the
invocation parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import LangSmithParams

from cf_gateway_core import Endpoint, GatewayConfigError, Route, get_profile, resolve_route
from cf_gateway_core.pydantic_fields import masked_headers

if TYPE_CHECKING:
    from langchain_core.language_models.model_profile import ModelProfile

__all__ = ["langchain_profile", "langsmith_params", "masked_invocation_params"]


def langsmith_params(
    defaults: Mapping[str, Any], stop: Sequence[str] | None, kwargs: Mapping[str, Any]
) -> LangSmithParams:
    """LangSmith's ``ls_*`` parameters of one call.

    Args:
        defaults: the model's ``model``, ``temperature``, ``max_tokens`` and ``stop``.
        stop: the call's ``stop`` argument.
        kwargs: the call's keyword arguments (they override the model's values).
    """
    params = LangSmithParams(
        ls_provider="cloudflare",
        ls_model_name=kwargs.get("model") or defaults["model"],
        ls_model_type="chat",
    )
    temperature = kwargs.get("temperature", defaults["temperature"])
    if temperature is not None:
        params["ls_temperature"] = temperature
    max_tokens = kwargs.get("max_tokens", defaults["max_tokens"])
    if max_tokens is not None:
        params["ls_max_tokens"] = max_tokens
    stop = stop or kwargs.get("stop") or defaults["stop"]
    if stop:
        params["ls_stop"] = list(stop)
    return params


def masked_invocation_params(params: dict[str, Any]) -> dict[str, Any]:
    """LangChain's invocation params (what callbacks and tracers see).

    The values of per-call ``extra_headers`` are masked: they may carry credentials.
    """
    headers = params.get("extra_headers")
    if isinstance(headers, Mapping):
        params["extra_headers"] = masked_headers(headers)
    return params


def langchain_profile(model: str, endpoint: str | None = None) -> ModelProfile:
    """The langchain-core ``ModelProfile`` dict of ``model`` (``BaseChatModel.profile``).

    Args:
        model: the model id.
        endpoint: where the chat model sends it; media the endpoint refuses (docs/content.md)
            are then reported as unsupported even where the model takes them. An impossible
            model/endpoint pair is ignored here (the chat model raises it at construction).

    Returns:
        The keys langchain-core declares, filled from ``cf_gateway_core.get_profile(model)``.
    """
    route: Route | None = None
    if endpoint is not None:
        with contextlib.suppress(GatewayConfigError):
            route = resolve_route(model, endpoint)
    p = get_profile(model)
    profile: ModelProfile = {
        "max_input_tokens": p.context_window,
        "max_output_tokens": p.max_output_tokens,
        "text_inputs": True,
        "text_outputs": True,
        "image_inputs": p.image_inputs,
        "image_url_inputs": p.image_inputs,
        "pdf_inputs": p.pdf_inputs,
        "audio_inputs": p.audio_inputs,
        "image_tool_message": p.image_tool_results,
        "reasoning_output": p.reasoning,
        "reasoning_effort_levels": list(p.reasoning_efforts),
        "tool_calling": p.tool_calling,
        "tool_choice": p.tool_calling,
        "tool_call_streaming": p.tool_calling,
        "structured_output": "json_schema" in p.structured_output,
    }
    if route is not None:
        endpoint, anthropic_body = route.endpoint, route.anthropic_body
        if not (anthropic_body or endpoint is Endpoint.RESPONSES):
            profile["image_tool_message"] = False  # Chat Completions tool messages: text only
        if not (anthropic_body or endpoint in (Endpoint.RESPONSES, Endpoint.CHAT_COMPLETIONS)):
            profile["pdf_inputs"] = False
        if endpoint is not Endpoint.CHAT_COMPLETIONS:
            profile["audio_inputs"] = False  # only Chat Completions takes input_audio
    return profile
