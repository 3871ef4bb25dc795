"""LangChain's ``profile`` for a model, derived from the core model table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cf_gateway_core import Endpoint, Route, get_profile

if TYPE_CHECKING:
    from langchain_core.language_models.model_profile import ModelProfile

__all__ = ["langchain_profile"]


def langchain_profile(model: str, route: Route | None = None) -> ModelProfile:
    """The langchain-core ``ModelProfile`` dict of ``model`` (``BaseChatModel.profile``).

    Args:
        model: the model id.
        route: where the chat model sends it; media the endpoint refuses (docs/content.md) are
            then reported as unsupported even where the model takes them.

    Returns:
        The keys langchain-core declares, filled from ``cf_gateway_core.get_profile(model)``.
    """
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
