"""The peers: the LangChain and LlamaIndex packages a user could pick instead, each pointed at
the fake gateway the way its documentation says (no option beyond the base URL and the key)."""

from __future__ import annotations

from typing import Any

from clients import (
    ACCOUNT,
    ANTHROPIC_MODEL,
    OPENAI_MODEL,
    TOKEN,
    WF_MODEL,
    Client,
    account_base,
    ai_base,
    unsupported,
)
from frameworks import lc, li


def lc_cloudflare(api: str) -> Client:
    fmt = "openai_compatible" if api == "chat_completions" else "workers_ai"

    def build(root: str) -> Any:
        from langchain_cloudflare import ChatCloudflareWorkersAI

        return ChatCloudflareWorkersAI(
            model=WF_MODEL,
            account_id=ACCOUNT,
            api_token=TOKEN,
            base_url=account_base(root),
            endpoint_format=fmt,
        )

    return lc(
        f"peer: langchain-cloudflare ChatCloudflareWorkersAI, {api}",
        api,
        "peer",
        "from langchain_cloudflare import ChatCloudflareWorkersAI",
        build,
        note=f"endpoint_format={fmt!r}",
    )


def chat_openai() -> Client:
    def build(root: str) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=OPENAI_MODEL, api_key=TOKEN, base_url=ai_base(root) + "/v1")

    return lc(
        "peer: langchain-openai ChatOpenAI, chat_completions",
        "chat_completions",
        "peer",
        "from langchain_openai import ChatOpenAI",
        build,
        note="base_url=.../ai/v1",
    )


def chat_anthropic() -> Client:
    def build(root: str) -> Any:
        from langchain_anthropic import ChatAnthropic

        return ChatAnthropic(model=ANTHROPIC_MODEL, api_key=TOKEN, base_url=ai_base(root))

    return lc(
        "peer: langchain-anthropic ChatAnthropic, messages",
        "messages",
        "peer",
        "from langchain_anthropic import ChatAnthropic",
        build,
        note="base_url=.../ai (the SDK appends /v1/messages)",
    )


def openai_like() -> Client:
    def build(root: str) -> Any:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=OPENAI_MODEL,
            api_base=ai_base(root) + "/v1",
            api_key=TOKEN,
            is_chat_model=True,
            is_function_calling_model=True,
            context_window=128000,
        )

    return li(
        "peer: llama-index OpenAILike, chat_completions",
        "chat_completions",
        "peer",
        "from llama_index.llms.openai_like import OpenAILike",
        build,
        note="api_base=.../ai/v1",
    )


def li_gateway() -> Client:
    def build(root: str) -> Any:
        from llama_index.llms.cloudflare_ai_gateway import CloudflareAIGateway
        from llama_index.llms.openai import OpenAI

        inner = OpenAI(model="gpt-4o-mini", api_base=ai_base(root) + "/v1", api_key=TOKEN)
        return CloudflareAIGateway(llms=[inner], account_id=ACCOUNT, gateway="gw", api_key=TOKEN)

    return li(
        "peer: llama-index-llms-cloudflare-ai-gateway CloudflareAIGateway, chat_completions",
        "chat_completions",
        "peer",
        "from llama_index.llms.cloudflare_ai_gateway import CloudflareAIGateway",
        build,
        note=(
            "its gateway URL is hard-coded, so it wraps an inner OpenAI(api_base=.../ai/v1); the "
            "wrapper never intercepts its calls, so requests go to the inner LLM's URL"
        ),
        tools=unsupported("a plain LLM: no chat_with_tools"),
    )
