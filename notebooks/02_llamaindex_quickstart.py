# %% [markdown]
# # Cloudflare AI Gateway in LlamaIndex: quickstart
#
# `llamaindex_cf_gateway` provides `CloudflareAIGateway` (a function-calling LLM) and
# `CloudflareAIGatewayEmbedding`. One Cloudflare API token reaches every model in the gateway's
# catalogue; the model id picks the provider.
#
# This notebook covers chat, streaming, a query engine over a few documents, and an agent with
# tools. It runs top to bottom in a few seconds, with or without a Cloudflare account.

# %% [markdown]
# ## Setup: your account, or the offline emulator
#
# With `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN` set (the token needs
# **Account › Workers AI › Read**), every cell below calls the real gateway. Without them,
# `offline_unless_credentials()` starts the package's local **emulator** — a small HTTP server on
# `127.0.0.1` that answers in each API's real wire format — and points the package at it through
# the same environment variables. Nothing else in the notebook changes: the code you read is the
# code you would ship. Offline answers are deterministic stand-ins, not model output.

# %%
from cf_gateway_core.testing import offline_unless_credentials

gateway = offline_unless_credentials()  # your account, or the emulator on 127.0.0.1
print(gateway)

# %% [markdown]
# ## Chat and completion
#
# `chat` takes `ChatMessage`s; `complete` takes a prompt string. Credentials come from the
# environment (or `account_id=` / `api_token=`).

# %%
from llama_index.core.llms import ChatMessage

from llamaindex_cf_gateway import CloudflareAIGateway

llm = CloudflareAIGateway(model="anthropic/claude-sonnet-4.5", max_tokens=300)
response = llm.chat(
    [
        ChatMessage(role="system", content="Answer in one sentence."),
        ChatMessage(role="user", content="What is Cloudflare AI Gateway?"),
    ]
)
print(response.message.content)

# %% [markdown]
# What the gateway reported (log id, cache status, …) is in `additional_kwargs["gateway"]`; the
# token usage and finish reason are in `raw`.

# %%
print(response.additional_kwargs["gateway"])
print(response.raw["usage"], response.raw["finish_reason"])

# %%
print(llm.complete("Name one thing a gateway in front of an LLM is good for.").text)

# %% [markdown]
# ## Streaming
#
# `stream_chat` / `stream_complete` yield responses whose `delta` is the new text;
# `astream_chat` is the async version.

# %%
haiku = [ChatMessage(role="user", content="Write a haiku about edge networks.")]
for part in llm.stream_chat(haiku):
    print(part.delta, end="|", flush=True)


# %%
async for part in await llm.astream_complete("Write a haiku about caching."):
    print(part.delta, end="", flush=True)


# %% [markdown]
# ## A query engine over your documents
#
# `CloudflareAIGatewayEmbedding` (default `@cf/baai/bge-base-en-v1.5`) is the `embed_model` of a
# `VectorStoreIndex`; the LLM answers from the retrieved chunks. Both are passed explicitly here, so
# nothing falls back to LlamaIndex's global `Settings`.
#
# (Offline, the emulator's vectors come from a hash of the text, so which chunks are retrieved is
# arbitrary, and the "answer" quotes the prompt LlamaIndex built.)

# %%
from llama_index.core import Document, VectorStoreIndex

from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding

documents = [
    Document(text="AI Gateway caches, logs and rate-limits model calls."),
    Document(text="Workers AI runs open models on Cloudflare's GPUs."),
    Document(text="R2 is object storage without egress fees."),
]
index = VectorStoreIndex.from_documents(documents, embed_model=CloudflareAIGatewayEmbedding())
query_engine = index.as_query_engine(llm=llm, similarity_top_k=2)
answer = query_engine.query("What does AI Gateway do?")
print(answer)

# %%
[node.node.get_content() for node in answer.source_nodes]

# %% [markdown]
# ## An agent with tools
#
# `CloudflareAIGateway` is a function-calling LLM, so it drives LlamaIndex's `FunctionAgent`.
# Plain Python functions become tools; their docstrings and type hints become the schema. The agent
# runs asynchronously — in a notebook, `await` it directly; `stream_events()` shows each tool call
# as it happens.

# %%
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


agent = FunctionAgent(
    tools=[add, multiply],
    llm=CloudflareAIGateway(model="openai/gpt-5.5"),
    system_prompt="You are a calculator. Always use the tools for arithmetic.",
)

# %%
handler = agent.run(user_msg="Use multiply: what is 6 times 7?")
async for event in handler.stream_events():
    if isinstance(event, ToolCallResult):
        print(f"called {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}")
result = await handler
print(result)

# %% [markdown]
# ## Next
#
# - `01_langchain_quickstart.ipynb` — the same gateway from LangChain.
# - `03_gateway_features.ipynb` — endpoints, caching and metadata headers, and the errors you can
#   catch.

# %%
gateway.stop()  # stops the emulator, if one was started
