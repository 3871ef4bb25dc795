"""Generate the tutorial notebooks in this folder from the cell sources below.

The ``.ipynb`` files are committed without outputs; this script is their reviewable source. After
editing a cell here, run ``python notebooks/_build.py`` and commit both. ``tests/test_notebooks.py``
checks that the committed files match this script, carry no outputs, and run top to bottom.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent

Cell = tuple[str, str]
"""(``"markdown"`` or ``"code"``, source)."""


def md(source: str) -> Cell:
    """A markdown cell."""
    return ("markdown", source.strip("\n"))


def code(source: str) -> Cell:
    """A code cell."""
    return ("code", source.strip("\n"))


# ---------------------------------------------------------------- shared cells

SETUP_MD = md("""
## Setup: your account, or the offline emulator

With `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN` set (the token needs
**Account › Workers AI › Read**), every cell below calls the real gateway. Without them, the
next cell starts the package's local **emulator** — a small HTTP server on `127.0.0.1` that
answers in each API's real wire format — and points the package at it through the same
environment variables (`CLOUDFLARE_API_BASE_URL` plus placeholder credentials). Nothing else in
the notebook changes: the code you read is the code you would ship.

Offline answers are deterministic stand-ins (mostly an echo of your prompt), not model output.
""")

SETUP_CODE = code("""
import os

from cf_gateway_core.emulator.server import run_in_thread

credentials = ("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN")
OFFLINE = not all(os.environ.get(name) for name in credentials)
if OFFLINE:
    emulator = run_in_thread()  # a free port on 127.0.0.1, served from a background thread
    os.environ["CLOUDFLARE_ACCOUNT_ID"] = "offline-account"
    os.environ["CLOUDFLARE_API_TOKEN"] = "offline-token"
    os.environ["CLOUDFLARE_API_BASE_URL"] = emulator.base_url
    print("No Cloudflare credentials: running offline against the emulator at", emulator.base_url)
else:
    print("Using your Cloudflare account from CLOUDFLARE_ACCOUNT_ID / CLOUDFLARE_API_TOKEN")
""")

CLEANUP_CODE = code("""
if OFFLINE:
    emulator.stop()
""")


# ---------------------------------------------------------------- 01: LangChain

LANGCHAIN: list[Cell] = [
    md("""
# Cloudflare AI Gateway in LangChain: quickstart

`langchain_cf_gateway` makes Cloudflare AI Gateway a LangChain chat model and embedding model.
One Cloudflare API token reaches OpenAI, Anthropic, Google, Workers AI (`@cf/…`) and the rest of
the gateway's catalogue; the model id picks the provider.

This notebook covers chat, streaming, tool calling, structured output, and embeddings with a
retriever. It runs top to bottom in a few seconds, with or without a Cloudflare account.
"""),
    SETUP_MD,
    SETUP_CODE,
    md("""
## Chat

`ChatCloudflareAIGateway` is a regular LangChain chat model: `invoke`, `batch`, `stream` and their
async twins all work. Credentials come from the environment (or `account_id=` / `api_token=`).
"""),
    code("""
from langchain_cf_gateway import ChatCloudflareAIGateway

llm = ChatCloudflareAIGateway(model="openai/gpt-5.5")
reply = llm.invoke("What is Cloudflare AI Gateway, in one sentence?")
print(reply.content)
"""),
    md("""
The reply is an `AIMessage`. Token counts are in `usage_metadata`; `response_metadata` holds the
model, the finish reason, and what the gateway reported about the request under `"gateway"`
(log id, cache status, …).
"""),
    code("""
print(reply.usage_metadata)
print(reply.response_metadata["finish_reason"], reply.response_metadata["gateway"]["cache_status"])
"""),
    md("""
Switching provider is a change of model id. `anthropic/…` models go to the gateway's Anthropic
Messages endpoint, everything else to its OpenAI-compatible Chat Completions endpoint — you get
the same `AIMessage` either way. Messages work as in any LangChain model:
"""),
    code("""
from langchain_core.messages import HumanMessage, SystemMessage

claude = ChatCloudflareAIGateway(model="anthropic/claude-sonnet-4.5", max_tokens=200)
reply = claude.invoke(
    [SystemMessage("Answer in five words or fewer."), HumanMessage("Why use an AI gateway?")]
)
print(reply.content)
"""),
    md("""
## Streaming

`stream` yields message chunks as the tokens arrive; `astream` is the async version.
"""),
    code("""
for chunk in llm.stream("Write a haiku about edge networks."):
    print(chunk.content, end="|", flush=True)
"""),
    code("""
async for chunk in claude.astream("Write a haiku about caching."):
    print(chunk.content, end="", flush=True)
"""),
    md("""
## Tool calling

`bind_tools` takes `@tool` functions, plain functions, pydantic classes or JSON schemas. The
model answers with `tool_calls`; run them and send the results back as `ToolMessage`s.
"""),
    code("""
from langchain_core.tools import tool


@tool
def get_weather(city: str) -> str:
    \"\"\"Current weather for a city.\"\"\"
    return f"Sunny and 24 °C in {city}"


with_tools = llm.bind_tools([get_weather])
question = HumanMessage("What's the weather in Lisbon? Use get_weather.")
ai = with_tools.invoke([question])
ai.tool_calls
"""),
    code("""
tool_messages = [get_weather.invoke(call) for call in ai.tool_calls]  # ToolMessages
final = with_tools.invoke([question, ai, *tool_messages])
print(final.content)
"""),
    md("""
## Structured output

`with_structured_output` returns instances of your pydantic class (or dicts for a JSON schema /
TypedDict). The default method is a forced tool call, which works on every endpoint;
`method="json_schema"` uses the provider's JSON-schema response format where there is one.
Offline, the emulator fills the fields from the schema and your prompt.
"""),
    code("""
from pydantic import BaseModel, Field


class City(BaseModel):
    \"\"\"A city mentioned in the text.\"\"\"

    name: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")


extract = llm.with_structured_output(City)
extract.invoke("Lisbon is the capital of Portugal.")
"""),
    md("""
## Embeddings and a retriever

`CloudflareAIGatewayEmbeddings` defaults to Workers AI's `@cf/baai/bge-base-en-v1.5` (768
dimensions). It plugs into any LangChain vector store; here the in-memory one.

(Offline, the emulator's vectors are derived from a hash of the text: equal texts give equal
vectors, but similarity carries no meaning, so the documents retrieved below are arbitrary.)
"""),
    code("""
from langchain_cf_gateway import CloudflareAIGatewayEmbeddings

embeddings = CloudflareAIGatewayEmbeddings()
print(len(embeddings.embed_query("Cloudflare AI Gateway")), "dimensions")
"""),
    code("""
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
"""),
    md("""
The retriever and the chat model compose into a small retrieval-augmented chain:
"""),
    code("""
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

prompt = ChatPromptTemplate.from_template(
    "Answer from this context only.\\n\\nContext:\\n{context}\\n\\nQuestion: {question}"
)


def join_docs(docs):
    return "\\n".join(doc.page_content for doc in docs)


rag = (
    {"context": retriever | join_docs, "question": RunnablePassthrough()}
    | prompt
    | llm
    | StrOutputParser()
)
print(rag.invoke("How can I cache LLM responses?"))
"""),
    md("""
## Next

- `02_llamaindex_quickstart.ipynb` — the same gateway from LlamaIndex.
- `03_gateway_features.ipynb` — endpoints, caching and metadata headers, and the errors you can
  catch.
"""),
    CLEANUP_CODE,
]


# ---------------------------------------------------------------- 02: LlamaIndex

LLAMAINDEX: list[Cell] = [
    md("""
# Cloudflare AI Gateway in LlamaIndex: quickstart

`llamaindex_cf_gateway` provides `CloudflareAIGateway` (a function-calling LLM) and
`CloudflareAIGatewayEmbedding`. One Cloudflare API token reaches every model in the gateway's
catalogue; the model id picks the provider.

This notebook covers chat, streaming, a query engine over a few documents, and an agent with
tools. It runs top to bottom in a few seconds, with or without a Cloudflare account.
"""),
    SETUP_MD,
    SETUP_CODE,
    md("""
## Chat and completion

`chat` takes `ChatMessage`s; `complete` takes a prompt string. Credentials come from the
environment (or `account_id=` / `api_token=`).
"""),
    code("""
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
"""),
    md("""
What the gateway reported (log id, cache status, …) is in `additional_kwargs["gateway"]`; the
token usage and finish reason are in `raw`.
"""),
    code("""
print(response.additional_kwargs["gateway"])
print(response.raw["usage"], response.raw["finish_reason"])
"""),
    code("""
print(llm.complete("Name one thing a gateway in front of an LLM is good for.").text)
"""),
    md("""
## Streaming

`stream_chat` / `stream_complete` yield responses whose `delta` is the new text;
`astream_chat` is the async version.
"""),
    code("""
haiku = [ChatMessage(role="user", content="Write a haiku about edge networks.")]
for part in llm.stream_chat(haiku):
    print(part.delta, end="|", flush=True)
"""),
    code("""
async for part in await llm.astream_complete("Write a haiku about caching."):
    print(part.delta, end="", flush=True)
"""),
    md("""
## A query engine over your documents

`CloudflareAIGatewayEmbedding` (default `@cf/baai/bge-base-en-v1.5`) is the `embed_model` of a
`VectorStoreIndex`; the LLM answers from the retrieved chunks. Both are passed explicitly here, so
nothing falls back to LlamaIndex's global `Settings`.

(Offline, the emulator's vectors come from a hash of the text, so which chunks are retrieved is
arbitrary, and the "answer" quotes the prompt LlamaIndex built.)
"""),
    code("""
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
"""),
    code("""
[node.node.get_content() for node in answer.source_nodes]
"""),
    md("""
## An agent with tools

`CloudflareAIGateway` is a function-calling LLM, so it drives LlamaIndex's `FunctionAgent`.
Plain Python functions become tools; their docstrings and type hints become the schema. The agent
runs asynchronously — in a notebook, `await` it directly; `stream_events()` shows each tool call
as it happens.
"""),
    code("""
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult


def add(a: int, b: int) -> int:
    \"\"\"Add two integers.\"\"\"
    return a + b


def multiply(a: int, b: int) -> int:
    \"\"\"Multiply two integers.\"\"\"
    return a * b


agent = FunctionAgent(
    tools=[add, multiply],
    llm=CloudflareAIGateway(model="openai/gpt-5.5"),
    system_prompt="You are a calculator. Always use the tools for arithmetic.",
)
"""),
    code("""
handler = agent.run(user_msg="Use multiply: what is 6 times 7?")
async for event in handler.stream_events():
    if isinstance(event, ToolCallResult):
        print(f"called {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}")
result = await handler
print(result)
"""),
    md("""
## Next

- `01_langchain_quickstart.ipynb` — the same gateway from LangChain.
- `03_gateway_features.ipynb` — endpoints, caching and metadata headers, and the errors you can
  catch.
"""),
    CLEANUP_CODE,
]


# ---------------------------------------------------------------- 03: gateway features

FEATURES: list[Cell] = [
    md("""
# Gateway features: endpoints, options, metadata and errors

The quickstarts showed the framework side. This notebook is about the gateway itself:

1. which REST endpoint each model goes to, and how to pick another;
2. caching, logging and metadata through `gateway_options` (the `cf-aig-*` request headers);
3. reading what the gateway reports back;
4. what each error looks like, and how to catch it — scripted with the offline `FakeGateway`,
   so this part works the same with or without an account.

The examples use LangChain's `ChatCloudflareAIGateway`; the LlamaIndex classes take the same
arguments.
"""),
    SETUP_MD,
    SETUP_CODE,
    md("""
## Model prefixes → endpoints

With `endpoint="auto"` (the default) the model id decides the API. `resolve_route` shows the
decision without sending anything:
"""),
    code("""
from cf_gateway_core import resolve_route

for model, endpoint in [
    ("openai/gpt-5.5", "auto"),
    ("anthropic/claude-sonnet-4.5", "auto"),
    ("google/gemini-3-flash", "auto"),
    ("@cf/meta/llama-3.1-8b-instruct", "auto"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
    ("openai/gpt-5.5", "run"),
]:
    route = resolve_route(model, endpoint)
    print(f"{model:32} {endpoint:9} -> POST /accounts/<id>/{route.path}")
"""),
    md("""
- `anthropic/…` → Anthropic **Messages** (`/ai/v1/messages`);
- everything else → OpenAI **Chat Completions** (`/ai/v1/chat/completions`), Workers AI `@cf/…`
  models included;
- `endpoint="responses"` → OpenAI **Responses** (`/ai/v1/responses`);
- `endpoint="run"` → Workers AI's native `/ai/run/@cf/…` for `@cf/`/`@hf/` models, and the
  universal `/ai/run` (`{"model", "input"}`) for the others.

To watch the real requests, give the model your own `httpx.Client` with a request hook (the same
`http_client=` is how you add proxies or custom transports). Every endpoint returns the same
`AIMessage`, streaming included:
"""),
    code("""
import httpx

from langchain_cf_gateway import ChatCloudflareAIGateway


def show_request(request: httpx.Request) -> None:
    path = request.url.path.partition("/ai/")[2]
    options = {k: v for k, v in request.headers.items() if k.startswith("cf-aig-")}
    print(f"  -> POST …/ai/{path} {options or ''}")


http_client = httpx.Client(event_hooks={"request": [show_request]})
"""),
    code("""
for model, endpoint in [
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
    ("anthropic/claude-haiku-4.5", "run"),
]:
    llm = ChatCloudflareAIGateway(
        model=model, endpoint=endpoint, max_tokens=100, http_client=http_client
    )
    print(f"{model} via {endpoint!r}:")
    print("   ", llm.invoke("Say hello in French.").content[:70])
    print("   ", "".join(chunk.content for chunk in llm.stream("Say hello in Spanish."))[:70])
"""),
    md("""
An impossible pair fails at construction, before any request:
"""),
    code("""
from cf_gateway_core import GatewayConfigError

try:
    ChatCloudflareAIGateway(model="@cf/meta/llama-3.1-8b-instruct", endpoint="messages")
except GatewayConfigError as err:
    print(err)
"""),
    md("""
## Caching, logging and metadata: `gateway_options`

Gateway features ride on `cf-aig-*` request headers. `GatewayOptions` (or a plain dict) builds
them and validates the values against the gateway's limits, so a mistake fails here instead of
being ignored silently by the gateway:
"""),
    code("""
from cf_gateway_core import GatewayOptions

options = GatewayOptions(cache_ttl=600, metadata={"team": "docs", "user_id": 42}, collect_log=True)
options.headers()
"""),
    code("""
try:
    GatewayOptions(metadata={f"key{i}": i for i in range(6)})
except GatewayConfigError as err:
    print(err)
"""),
    md("""
Options set on the model apply to every call; per-call `gateway_options` are merged over them.
Against the real gateway the second identical call below is normally answered from the
cache (`HIT`, at no cost); the emulator has no cache and always says `MISS`. `skip_cache`
bypasses the cache for one call; `event_id` is your own trace id, echoed back.
"""),
    code("""
cached = ChatCloudflareAIGateway(
    model="openai/gpt-5.5", gateway_options=options, http_client=http_client
)
for _ in range(2):
    reply = cached.invoke("Name one Cloudflare product.")
    print("   cache:", reply.response_metadata["gateway"]["cache_status"])

reply = cached.invoke(
    "Name one Cloudflare product.", gateway_options={"skip_cache": True, "event_id": "trace-123"}
)
print("   cache:", reply.response_metadata["gateway"]["cache_status"])
"""),
    md("""
## Reading what the gateway reports

`response_metadata["gateway"]` (LangChain) and `additional_kwargs["gateway"]` (LlamaIndex) hold
the gateway's response headers: `log_id` (find the request in the dashboard's logs),
`cache_status`, `event_id`, `step` (which step of a fallback chain answered) and, where the
provider reports it, `key_source` (Unified Billing or your own key).
"""),
    code("""
reply.response_metadata["gateway"]
"""),
    code("""
from llamaindex_cf_gateway import CloudflareAIGateway

li_llm = CloudflareAIGateway(model="openai/gpt-5.5", gateway_options={"event_id": "trace-456"})
li_llm.complete("Name one Cloudflare product.").additional_kwargs["gateway"]
"""),
    md("""
## Errors

Every error is a `cf_gateway_core.GatewayError`. HTTP errors are `APIStatusError` subclasses with
`status_code`, the Cloudflare error `code`, `message`, `log_id` and `request_id`; in LangChain
they are also the matching `langchain_core.exceptions.Model*Error`. The API token never appears
in an error.

To see them without breaking anything, answer from a `FakeGateway` — the emulator in-process, as
an `httpx` transport — instead of the network. It reads the same `x-emulator-reply` request
header as the emulator server, which scripts one reply: `error code=2003` is a rate-limit error
with the status and message the gateway sends. (These cells use placeholder credentials, so they
work the same with your account.)
"""),
    code("""
from cf_gateway_core import APIStatusError
from cf_gateway_core.testing import FakeGateway


def scripted_model(reply: str, model: str = "openai/gpt-5.5") -> ChatCloudflareAIGateway:
    \"\"\"A model whose requests the in-process emulator answers as `reply` scripts.\"\"\"
    fake_http = FakeGateway().client(headers={"x-emulator-reply": reply})
    return ChatCloudflareAIGateway(
        model=model, account_id="demo", api_token="demo", http_client=fake_http, max_retries=0
    )


for script, model in [
    ("error code=10000", "openai/gpt-5.5"),  # a wrong token, or one without Workers AI Read
    ("error code=2003", "openai/gpt-5.5"),  # the gateway's rate limit
    ("error code=7003", "example/no-such-model"),  # a model the gateway does not know
]:
    try:
        scripted_model(script, model).invoke("Hello")
    except APIStatusError as err:
        print(f"{type(err).__name__}: status {err.status_code}, code {err.code}")
        print(f"    {err}  (log_id {err.log_id})")
"""),
    md("""
A near miss of a model the package's model table knows — dashes where the slug has dots, a
missing author prefix — fails before any request, with the id you probably meant:
"""),
    code("""
from cf_gateway_core import GatewayConfigError

for typo in ["anthropic/claude-haiku-4-5", "gpt-5.5"]:
    try:
        ChatCloudflareAIGateway(model=typo, account_id="demo", api_token="demo")
    except GatewayConfigError as err:
        print(err)
"""),
    md("""
Catch the class you can act on. A rate limit is a `RateLimitError` — a spend limit
(`SpendLimitError`, codes 2041/2045) is a subclass, which you may want to handle differently:
"""),
    code("""
from cf_gateway_core import AuthenticationError, NotFoundError, RateLimitError, SpendLimitError

for script, model in [
    ("error code=2003", "openai/gpt-5.5"),
    ("error code=2045", "openai/gpt-5.5"),
    ("error code=7003", "example/no-such-model"),
    ("error code=10000", "openai/gpt-5.5"),
]:
    try:
        scripted_model(script, model).invoke("Hello")
    except SpendLimitError:
        print("spend limit reached: stop for now")
    except RateLimitError:
        print("rate limited: back off and try again")
    except NotFoundError as err:
        print(f"unknown model: {err.message}")
    except AuthenticationError:
        print("check the token: it needs Account › Workers AI › Read")
"""),
    md("""
LangChain code that knows nothing about Cloudflare can catch the `langchain_core` classes:
"""),
    code("""
from langchain_core.exceptions import ModelRateLimitError

try:
    scripted_model("error code=2003").invoke("Hello")
except ModelRateLimitError as err:
    print(type(err).__name__, "is a RateLimitError:", isinstance(err, RateLimitError))
"""),
    md("""
### Retries, and scripting replies in your own tests

Rate limits (except the daily free allocation and spend limits), 5xx and connection errors are
retried `max_retries` times (default 2) with backoff, honouring `retry-after`. In your tests,
queue replies on a `FakeGateway` and assert on the requests it recorded: here one 429 is
followed by the emulator's default answer.
"""),
    code("""
fake = FakeGateway()
fake.queue_error(429, code=2003, message="Rate limited", endpoint="chat_completions")

llm = ChatCloudflareAIGateway(
    model="openai/gpt-5.5", account_id="demo", api_token="demo", http_client=fake.client()
)
print(llm.invoke("Hello").content)
print(len(fake.requests), "requests;", fake.last_request.json["messages"])
"""),
    md("""
The LlamaIndex classes raise the same `cf_gateway_core` errors, and also take a per-call
`extra_headers`:
"""),
    code("""
li_fake = CloudflareAIGateway(
    model="example/no-such-model", account_id="demo", api_token="demo",
    http_client=FakeGateway().client(), max_retries=0,
)
try:
    li_fake.complete("Hello", extra_headers={"x-emulator-reply": "error code=7003"})
except NotFoundError as err:
    print(repr(err))
"""),
    md("""
The emulator also runs as a standalone server for other languages and tools —
`cf-gateway emulator --port 8787` — and the same header scripts it:

```bash
curl -s http://127.0.0.1:8787/client/v4/accounts/any/ai/v1/chat/completions \\
  -H "authorization: Bearer any" -H "x-emulator-reply: error code=2003" \\
  -d '{"model": "openai/gpt-5.5", "messages": [{"role": "user", "content": "Hi"}]}'
```
"""),
    CLEANUP_CODE,
]


# ---------------------------------------------------------------- 04: beyond chat

BEYOND: list[Cell] = [
    md("""
# Beyond chat: gateway logs and feedback, rerankers, the model catalogue, images and speech

Every request through Cloudflare AI Gateway leaves a **log** (model, provider, tokens, cost,
cache, duration, status) whose id comes back with the reply. This notebook closes the loop:
it runs a small **evaluation**, grades each answer and writes the grade back to the gateway log
as feedback and a score, where the dashboard and the logs API show it next to the cost. Then it
reranks retrieved documents with a Workers AI reranker in LangChain and LlamaIndex, searches the
model catalogue, and generates an image, speech and a transcript through `/ai/run`.

Reading logs needs the token's **AI Gateway › Read** permission and feedback **AI Gateway ›
Edit**, on top of **Workers AI › Read**; offline, the emulator keeps the logs of the requests it
answered and stores the feedback.
"""),
    SETUP_MD,
    SETUP_CODE,
    md("""
## An evaluation loop with feedback on each gateway log

`GatewayLogRecorder` is a LangChain callback handler: passed in `config={"callbacks": [...]}`
it records the gateway log id of every chat model call a chain makes. The grader here is a
keyword check (swap in an LLM judge or a human); its verdict goes to the log with
`GatewayFeedback.send` — `feedback` 1 / -1, `score` 0–100, `metadata` of your own.
"""),
    code("""
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_cf_gateway import ChatCloudflareAIGateway
from langchain_cf_gateway.feedback import GatewayFeedback, GatewayLogRecorder

llm = ChatCloudflareAIGateway(model="openai/gpt-5.5")
chain = (
    ChatPromptTemplate.from_messages([("user", "Answer in one sentence: {question}")])
    | llm
    | StrOutputParser()
)
EVAL_SET = [
    ("What does AI Gateway log for each request?", ["log"]),
    ("Which header selects the gateway?", ["gateway"]),
    ("Can the gateway cache responses?", ["cache"]),
]
recorder = GatewayLogRecorder()
feedback = GatewayFeedback.from_model(llm)
for question, keywords in EVAL_SET:
    answer = chain.invoke({"question": question}, config={"callbacks": [recorder]})
    hits = sum(k in answer.lower() for k in keywords)
    score = round(100 * hits / len(keywords))
    log_id = recorder.log_ids[-1]
    feedback.send(log_id, feedback=1 if score >= 50 else -1, score=score,
                  metadata={"eval": "keywords-v1"})
    print(f"{score:>3}  {log_id}  {question}")
"""),
    md("""
Read the logs back: the grade sits next to what the call cost.
"""),
    code("""
for log_id in recorder.log_ids:
    log = feedback.get_log(log_id)
    print(f"{log.model:<16} tokens {log.tokens_in}/{log.tokens_out}  cost ${log.cost:.6f}  "
          f"feedback {log.feedback:+d}  score {log.score:g}  {log.metadata}")
"""),
    md("""
The same from LlamaIndex: `GatewayLogRecorder` there is an instrumentation event handler, so it
also sees the calls a query engine or an agent makes for you.
"""),
    code("""
from llama_index.core.llms import ChatMessage

from llamaindex_cf_gateway import CloudflareAIGateway
from llamaindex_cf_gateway.feedback import GatewayFeedback as LIFeedback
from llamaindex_cf_gateway.feedback import GatewayLogRecorder as LIRecorder

li_llm = CloudflareAIGateway(model="anthropic/claude-sonnet-4.5")
li_recorder = LIRecorder().attach()
reply = li_llm.chat([ChatMessage(role="user", content="Name one thing the gateway logs.")])
li_recorder.detach()
LIFeedback.from_llm(li_llm).send(li_recorder.calls[-1], feedback=1, score=90)
print(LIFeedback.from_llm(li_llm).get_log(reply))
"""),
    md("""
## Reranking retrieved documents

`CloudflareAIGatewayRerank` sends the query and the candidates to `@cf/baai/bge-reranker-base`
and keeps the `top_n` best. In LangChain it is a `BaseDocumentCompressor` (use it in a
`ContextualCompressionRetriever` from `langchain-classic`, or call it directly); the score lands
in `metadata["relevance_score"]`.
"""),
    code("""
from langchain_core.documents import Document

from langchain_cf_gateway import CloudflareAIGatewayRerank

docs = [
    Document(page_content="Cats sleep up to sixteen hours a day."),
    Document(page_content="AI Gateway logs every request with its tokens and cost."),
    Document(page_content="The gateway can cache responses to repeated prompts."),
]
for doc in CloudflareAIGatewayRerank(top_n=2).compress_documents(docs, "gateway logs cost"):
    print(f"{doc.metadata['relevance_score']:.3f}  {doc.page_content}")
"""),
    md("""
In LlamaIndex it is a `BaseNodePostprocessor`: retrieve wide, rerank, answer from the best.
"""),
    code("""
from llama_index.core import Document as LIDocument
from llama_index.core import VectorStoreIndex

from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding
from llamaindex_cf_gateway import CloudflareAIGatewayRerank as LIRerank

index = VectorStoreIndex.from_documents(
    [LIDocument(text=d.page_content) for d in docs], embed_model=CloudflareAIGatewayEmbedding()
)
engine = index.as_query_engine(
    llm=li_llm, similarity_top_k=3, node_postprocessors=[LIRerank(top_n=1)]
)
response = engine.query("What does the gateway log, and what does it cost?")
for node in response.source_nodes:
    print(f"{node.score:.3f}  {node.node.get_content()}")
"""),
    md("""
## The model catalogue

`client.models` searches Workers AI's catalogue (`task`, `author`, `search`) and reads a model's
input/output schema; `extend_model_table()` is the one opt-in call that adds catalogue models the
package's model table does not know yet. The command line has it too:
`cf-gateway models --task "Text-to-Image"`.
"""),
    code("""
from cf_gateway_core import GatewayClient

client = GatewayClient()
for model in client.models.search(task="Automatic Speech Recognition"):
    print(model.name, "-", model.task)
print(client.models.schema("@cf/baai/bge-reranker-base")["input"]["required"])
print("added to the model table:", client.models.extend_model_table(task="Text Generation"))
"""),
    md("""
## Images, speech and transcripts

Typed calls on `/ai/run`, each model's documented options checked before the request
(`cf-gateway image "…" -o out.png`, `cf-gateway speak "…" -o out.mp3`,
`cf-gateway transcribe out.mp3` do the same from a shell). Offline, the image is a small PNG and
the speech a short silent MP3 that the emulator's transcription reads back.
"""),
    code("""
image = client.generate_image("a lighthouse at dusk, watercolour", steps=4)
print(image.mime_type, len(image.data), "bytes; log", image.gateway.log_id)

speech = client.speak("Cloudflare AI Gateway logs every request.")
print(speech.mime_type, len(speech.audio), "bytes")

transcript = client.transcribe(speech.audio)
print(transcript.text)
print([(w.word, w.start) for w in transcript.words[:3]])
client.close()
"""),
    md("""
LangChain agents get the same as tools (`langchain_cf_gateway.tools`:
`CloudflareImageGenerationTool`, `CloudflareSpeechToTextTool`, `CloudflareTextToSpeechTool`) and
LlamaIndex agents as a tool spec (`llamaindex_cf_gateway.tools.CloudflareAIGatewayToolSpec`).
"""),
    code("""
import tempfile

from langchain_cf_gateway.tools import CloudflareTextToSpeechTool
from llamaindex_cf_gateway.tools import CloudflareAIGatewayToolSpec

out = tempfile.mkdtemp()
tool = CloudflareTextToSpeechTool(output_dir=out)
message = tool.invoke({"name": tool.name, "args": {"text": "Hello, agent."}, "id": "1",
                       "type": "tool_call"})
print(message.content)
print([t.metadata.name for t in CloudflareAIGatewayToolSpec(output_dir=out).to_tool_list()])
"""),
    CLEANUP_CODE,
]


CONTENT: list[Cell] = [
    md("""
# Prompt caching, documents, audio, images in tool results, server tools

What an application moved from langchain-anthropic, langchain-openai or LlamaIndex's Anthropic and
OpenAI integrations keeps when it runs through Cloudflare AI Gateway. Every cell runs offline:
`FakeGateway` answers in each API's real wire shape (citations for documents, a server-tool
result for web search, cache token counts on a repeated cached call) and records each request,
so you can see exactly what would be sent. With real credentials, drop `http_client=` and the
`account_id` / `api_token` arguments. The shapes and their sources: `docs/content.md`.
"""),
    code("""
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
"""),
    md("""
## Prompt caching

Anthropic `cache_control` on a content block (as in langchain-anthropic) marks the end of the
cached prefix. The first call writes the cache, the second reads it: the cache tokens are in
`usage_metadata["input_token_details"]`.
"""),
    code("""
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
"""),
    md("""
LlamaIndex marks the same breakpoint with a `CachePoint` after the block; OpenAI models take a
`prompt_cache_key`.
"""),
    code("""
li_claude = CloudflareAIGateway(model="anthropic/claude-sonnet-4.5", **offline)
point = CachePoint(cache_control=CacheControl(type="ephemeral", ttl="1h"))
blocks = [TextBlock(text=handbook), point, TextBlock(text="Summarise it.")]
li_claude.chat([ChatMessage(role="user", blocks=blocks)])
print("LlamaIndex sent:", fake.requests[-1].json["messages"][0]["content"][0]["cache_control"])

gpt = ChatCloudflareAIGateway(model="openai/gpt-5.5", **offline)
gpt.invoke("Summarise the handbook.", prompt_cache_key="handbook-v1")
print("OpenAI sent prompt_cache_key:", fake.requests[-1].json["prompt_cache_key"])
"""),
    md("""
## Documents, with citations

A LangChain `file` block (or a LlamaIndex `DocumentBlock`) becomes an Anthropic `document` block;
ask for citations and the answer cites the document.
"""),
    code("""
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
li_gpt.chat([ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4 ...", title="Report")])])
print("Responses part:", fake.requests[-1].json["input"][0]["content"][0]["type"])
"""),
    md("""
## Images in tool results

On the Responses API a tool's image goes back as an `input_image` item of the
`function_call_output` (on Anthropic Messages, inside the `tool_result`). Chat Completions has no
place for it, so there the call raises and names the endpoints that do.
"""),
    code("""
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
"""),
    md("""
## Server tools and citations

Provider tool dicts go to the provider as written. The reply's server-tool blocks and citations
are kept, and go back unchanged on the next turn.
"""),
    code("""
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
"""),
]


NOTEBOOKS: dict[str, list[Cell]] = {
    "01_langchain_quickstart.ipynb": LANGCHAIN,
    "02_llamaindex_quickstart.ipynb": LLAMAINDEX,
    "03_gateway_features.ipynb": FEATURES,
    "04_beyond_chat.ipynb": BEYOND,
    "05_content.ipynb": CONTENT,
}


def notebook(cells: list[Cell]) -> NotebookNode:
    """A notebook without outputs, with stable cell ids (so regenerating gives no diff)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, (kind, source) in enumerate(cells):
        new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = new(source)
        cell.id = f"cell-{number:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def build() -> dict[str, str]:
    """File name -> notebook JSON text, exactly as written to disk."""
    return {name: nbformat.writes(notebook(cells)) + "\n" for name, cells in NOTEBOOKS.items()}


def main() -> int:
    """Write every notebook next to this script."""
    for name, text in build().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
