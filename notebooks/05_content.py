# %% [markdown]
# # Prompt caching, documents, audio, images in tool results, server tools
#
# What an application moved from langchain-anthropic, langchain-openai or LlamaIndex's Anthropic and
# OpenAI integrations keeps when it runs through Cloudflare AI Gateway. Every cell runs offline:
# `FakeGateway` answers in each API's real wire shape (citations for documents, a server-tool
# result for web search, cache token counts on a repeated cached call) and records each request,
# so you can see exactly what would be sent. With real credentials, drop `http_client=` and the
# `account_id` / `api_token` arguments. The shapes and their sources: `docs/content.md`.

# %%
import base64

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    TextBlock,
)

from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway

fake = FakeGateway()
offline = dict(account_id="test", api_token="test", http_client=fake.client())
print("running offline: FakeGateway answers in each API's wire shape and records every request")

# %% [markdown]
# ## Prompt caching
#
# Anthropic `cache_control` on a content block (as in langchain-anthropic) marks the end of the
# cached prefix. The first call writes the cache, the second reads it: the cache tokens are in
# `usage_metadata["input_token_details"]`.

# %%
handbook = "The gateway handbook, many pages long. " * 50
claude = ChatCloudflareAIGateway(model="anthropic/claude-sonnet-4.5", **offline)
question = HumanMessage(
    [
        {"type": "text", "text": handbook, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "What does the gateway cache?"},
    ]
)
first = claude.invoke([question]).usage_metadata["input_token_details"]
second = claude.invoke([question]).usage_metadata["input_token_details"]
print("first call: ", first)
print("second call:", second)
print("sent:", fake.requests[-1].json["messages"][0]["content"][0]["cache_control"])

# %% [markdown]
# LlamaIndex marks the same breakpoint with a `CachePoint` after the block; OpenAI models take a
# `prompt_cache_key`.

# %%
li_claude = CloudflareAIGateway(model="anthropic/claude-sonnet-4.5", **offline)
point = CachePoint(cache_control=CacheControl(type="ephemeral", ttl="1h"))
blocks = [TextBlock(text=handbook), point, TextBlock(text="Summarise it.")]
li_claude.chat([ChatMessage(role="user", blocks=blocks)])
print("LlamaIndex sent:", fake.requests[-1].json["messages"][0]["content"][0]["cache_control"])

gpt = ChatCloudflareAIGateway(model="openai/gpt-5.5", **offline)
gpt.invoke("Summarise the handbook.", prompt_cache_key="handbook-v1")
print("OpenAI sent prompt_cache_key:", fake.requests[-1].json["prompt_cache_key"])

# %% [markdown]
# ## Documents, with citations
#
# A LangChain `file` block (or a LlamaIndex `DocumentBlock`) becomes an Anthropic `document` block;
# ask for citations and the answer cites the document.

# %%
pdf = base64.b64encode(b"%PDF-1.4 Latency fell 30% after the edge rollout.").decode()
reply = claude.invoke(
    [
        HumanMessage(
            [
                {"type": "text", "text": "What does the report say about latency?"},
                {
                    "type": "file",
                    "base64": pdf,
                    "mime_type": "application/pdf",
                    "extras": {"title": "Report", "citations": {"enabled": True}},
                },
            ]
        )
    ]
)
print("sent block:", fake.requests[-1].json["messages"][0]["content"][1]["type"])
print("citations:", [c.get("document_title") for c in reply.additional_kwargs["citations"]])

li_gpt = CloudflareAIGateway(model="openai/gpt-5.5", endpoint="responses", **offline)
li_gpt.chat(
    [ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4 ...", title="Report")])]
)
print("Responses part:", fake.requests[-1].json["input"][0]["content"][0]["type"])

# %% [markdown]
# ## Images in tool results
#
# On the Responses API a tool's image goes back as an `input_image` item of the
# `function_call_output` (on Anthropic Messages, inside the `tool_result`). Chat Completions has no
# place for it, so there the call raises and names the endpoints that do.

# %%
gpt_responses = ChatCloudflareAIGateway(model="openai/gpt-5.5", endpoint="responses", **offline)
history = [
    HumanMessage("Take a screenshot and describe it."),
    AIMessage("", tool_calls=[{"name": "screenshot", "args": {}, "id": "call_1"}]),
    ToolMessage(
        [{"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}],
        tool_call_id="call_1",
    ),
]
gpt_responses.invoke(history)
print("sent:", fake.requests[-1].json["input"][-1]["output"][0]["type"])
try:
    gpt.invoke(history)
except Exception as error:
    print(type(error).__name__, "-", error)

# %% [markdown]
# ## Server tools and citations
#
# Provider tool dicts go to the provider as written. The reply's server-tool blocks and citations
# are kept, and go back unchanged on the next turn.

# %%
search = claude.bind_tools([{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}])
question = HumanMessage("What did Cloudflare ship this week?")
reply = search.invoke([question])
print(reply.content[:120])
print("blocks:", [block["type"] for block in reply.additional_kwargs["content_blocks"]])
print("first citation:", reply.additional_kwargs["citations"][0]["url"])
search.invoke([question, reply, HumanMessage("Tell me more about the first one.")])
sent_back = fake.requests[-1].json["messages"][1]["content"]
print("sent back:", [block["type"] for block in sent_back])
fake.client().close()
