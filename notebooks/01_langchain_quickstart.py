# %% [markdown]
# # Cloudflare AI Gateway in LangChain: quickstart
#
# `langchain_cf_gateway` makes Cloudflare AI Gateway a LangChain chat model and embedding model.
# One Cloudflare API token reaches OpenAI, Anthropic, Google, Workers AI (`@cf/…`) and the rest of
# the gateway's catalogue; the model id picks the provider.
#
# This notebook covers chat, streaming, tool calling, structured output, and embeddings with a
# retriever. It runs top to bottom in a few seconds, with or without a Cloudflare account.

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
# ## Chat
#
# `ChatCloudflareAIGateway` is a regular LangChain chat model: `invoke`, `batch`, `stream` and their
# async twins all work. Credentials come from the environment (or `account_id=` / `api_token=`).

# %%
from langchain_cf_gateway import ChatCloudflareAIGateway

llm = ChatCloudflareAIGateway(model="openai/gpt-5.5")
reply = llm.invoke("What is Cloudflare AI Gateway, in one sentence?")
print(reply.content)

# %% [markdown]
# The reply is an `AIMessage`. Token counts are in `usage_metadata`; `response_metadata` holds the
# model, the finish reason, and what the gateway reported about the request under `"gateway"`
# (log id, cache status, …).

# %%
print(reply.usage_metadata)
print(reply.response_metadata["finish_reason"], reply.response_metadata["gateway"]["cache_status"])

# %% [markdown]
# Switching provider is a change of model id. `anthropic/…` models go to the gateway's Anthropic
# Messages endpoint, everything else to its OpenAI-compatible Chat Completions endpoint — you get
# the same `AIMessage` either way. Messages work as in any LangChain model:

# %%
from langchain_core.messages import HumanMessage, SystemMessage

claude = ChatCloudflareAIGateway(model="anthropic/claude-sonnet-4.5", max_tokens=200)
reply = claude.invoke(
    [SystemMessage("Answer in five words or fewer."), HumanMessage("Why use an AI gateway?")]
)
print(reply.content)

# %% [markdown]
# ## Streaming
#
# `stream` yields message chunks as the tokens arrive; `astream` is the async version.

# %%
for chunk in llm.stream("Write a haiku about edge networks."):
    print(chunk.content, end="|", flush=True)


# %%
async for chunk in claude.astream("Write a haiku about caching."):
    print(chunk.content, end="", flush=True)


# %% [markdown]
# ## Tool calling
#
# `bind_tools` takes `@tool` functions, plain functions, pydantic classes or JSON schemas. The
# model answers with `tool_calls`; run them and send the results back as `ToolMessage`s.

# %%
from langchain_core.tools import tool


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny and 24 °C in {city}"


with_tools = llm.bind_tools([get_weather])
question = HumanMessage("What's the weather in Lisbon? Use get_weather.")
ai = with_tools.invoke([question])
ai.tool_calls

# %%
tool_messages = [get_weather.invoke(call) for call in ai.tool_calls]  # ToolMessages
final = with_tools.invoke([question, ai, *tool_messages])
print(final.content)

# %% [markdown]
# ## Structured output
#
# `with_structured_output` returns instances of your pydantic class (or dicts for a JSON schema /
# TypedDict). The default method is a forced tool call, which works on every endpoint;
# `method="json_schema"` uses the provider's JSON-schema response format where there is one.
# Offline, the emulator fills the fields from the schema and your prompt.

# %%
from pydantic import BaseModel, Field


class City(BaseModel):
    """A city mentioned in the text."""

    name: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")


extract = llm.with_structured_output(City)
extract.invoke("Lisbon is the capital of Portugal.")

# %% [markdown]
# ## Embeddings and a retriever
#
# `CloudflareAIGatewayEmbeddings` defaults to Workers AI's `@cf/baai/bge-base-en-v1.5` (768
# dimensions). It plugs into any LangChain vector store; here the in-memory one.
#
# (Offline, the emulator's vectors are derived from a hash of the text: equal texts give equal
# vectors, but similarity carries no meaning, so the documents retrieved below are arbitrary.)

# %%
from langchain_cf_gateway import CloudflareAIGatewayEmbeddings

embeddings = CloudflareAIGatewayEmbeddings()
print(len(embeddings.embed_query("Cloudflare AI Gateway")), "dimensions")

# %%
from langchain_core.vectorstores import InMemoryVectorStore

store = InMemoryVectorStore.from_texts(
    [
        "AI Gateway caches, logs and rate-limits model calls.",
        "Workers AI runs open models on Cloudflare's GPUs.",
        "R2 is object storage without egress fees.",
        "Vectorize is a vector database that runs on Cloudflare's network.",
    ],
    embedding=embeddings,
)
retriever = store.as_retriever(search_kwargs={"k": 2})
[doc.page_content for doc in retriever.invoke("How can I cache LLM responses?")]

# %% [markdown]
# The retriever and the chat model compose into a small retrieval-augmented chain:

# %%
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

prompt = ChatPromptTemplate.from_template(
    "Answer from this context only.\n\nContext:\n{context}\n\nQuestion: {question}"
)


def join_docs(docs):
    """The retrieved documents as one context string."""
    return "\n".join(doc.page_content for doc in docs)


rag = (
    {"context": retriever | join_docs, "question": RunnablePassthrough()}
    | prompt
    | llm
    | StrOutputParser()
)
print(rag.invoke("How can I cache LLM responses?"))

# %% [markdown]
# ## Next
#
# - `02_llamaindex_quickstart.ipynb` — the same gateway from LlamaIndex.
# - `03_gateway_features.ipynb` — endpoints, caching and metadata headers, and the errors you can
#   catch.

# %%
gateway.stop()  # stops the emulator, if one was started
