# %% [markdown]
# # Gateway features: endpoints, options, metadata and errors
#
# The quickstarts showed the framework side. This notebook is about the gateway itself:
#
# 1. which REST endpoint each model goes to, and how to pick another;
# 2. caching, logging and metadata through `gateway_options` (the `cf-aig-*` request headers);
# 3. reading what the gateway reports back;
# 4. what each error looks like, and how to catch it — scripted with the offline `FakeGateway`,
#    so this part works the same with or without an account.
#
# The examples use LangChain's `ChatCloudflareAIGateway`; the LlamaIndex classes take the same
# arguments.

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
# ## Model prefixes → endpoints
#
# With `endpoint="auto"` (the default) the model id decides the API. `resolve_route` shows the
# decision without sending anything:

# %%
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

# %% [markdown]
# - `anthropic/…` → Anthropic **Messages** (`/ai/v1/messages`);
# - everything else → OpenAI **Chat Completions** (`/ai/v1/chat/completions`), Workers AI `@cf/…`
#   models included;
# - `endpoint="responses"` → OpenAI **Responses** (`/ai/v1/responses`);
# - `endpoint="run"` → Workers AI's native `/ai/run/@cf/…` for `@cf/`/`@hf/` models, and the
#   universal `/ai/run` (`{"model", "input"}`) for the others.
#
# To watch the real requests, give the model your own `httpx.Client` with a request hook (the same
# `http_client=` is how you add proxies or custom transports). Every endpoint returns the same
# `AIMessage`, streaming included:

# %%
import httpx

from langchain_cf_gateway import ChatCloudflareAIGateway


def show_request(request: httpx.Request) -> None:
    """Print where a request goes and the gateway options it carries."""
    path = request.url.path.partition("/ai/")[2]
    options = {k: v for k, v in request.headers.items() if k.startswith("cf-aig-")}
    print(f"  -> POST …/ai/{path} {options or ''}")


http_client = httpx.Client(event_hooks={"request": [show_request]})

# %%
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

# %% [markdown]
# An impossible pair fails at construction, before any request:

# %%
from cf_gateway_core import GatewayConfigError

try:
    ChatCloudflareAIGateway(model="@cf/meta/llama-3.1-8b-instruct", endpoint="messages")
except GatewayConfigError as err:
    print(err)

# %% [markdown]
# ## Caching, logging and metadata: `gateway_options`
#
# Gateway features ride on `cf-aig-*` request headers. `GatewayOptions` (or a plain dict) builds
# them and validates the values against the gateway's limits, so a mistake fails here instead of
# being ignored silently by the gateway:

# %%
from cf_gateway_core import GatewayOptions

options = GatewayOptions(cache_ttl=600, metadata={"team": "docs", "user_id": 42}, collect_log=True)
options.headers()

# %%
try:
    GatewayOptions(metadata={f"key{i}": i for i in range(6)})
except GatewayConfigError as err:
    print(err)

# %% [markdown]
# Options set on the model apply to every call; per-call `gateway_options` are merged over them.
# Against the real gateway the second identical call below is normally answered from the
# cache (`HIT`, at no cost); the emulator has no cache and always says `MISS`. `skip_cache`
# bypasses the cache for one call; `event_id` is your own trace id, echoed back.

# %%
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

# %% [markdown]
# ## Reading what the gateway reports
#
# `response_metadata["gateway"]` (LangChain) and `additional_kwargs["gateway"]` (LlamaIndex) hold
# the gateway's response headers: `log_id` (find the request in the dashboard's logs),
# `cache_status`, `event_id`, `step` (which step of a fallback chain answered) and, where the
# provider reports it, `key_source` (Unified Billing or your own key).

# %%
reply.response_metadata["gateway"]

# %%
from llamaindex_cf_gateway import CloudflareAIGateway

li_llm = CloudflareAIGateway(model="openai/gpt-5.5", gateway_options={"event_id": "trace-456"})
li_llm.complete("Name one Cloudflare product.").additional_kwargs["gateway"]

# %% [markdown]
# ## Errors
#
# Every error is a `cf_gateway_core.GatewayError`. HTTP errors are `APIStatusError` subclasses with
# `status_code`, the Cloudflare error `code`, `message`, `log_id` and `request_id`; in LangChain
# they are also the matching `langchain_core.exceptions.Model*Error`. The API token never appears
# in an error.
#
# To see them without breaking anything, answer from a `FakeGateway` — the emulator in-process, as
# an `httpx` transport — instead of the network. It reads the same `x-emulator-reply` request
# header as the emulator server, which scripts one reply: `error code=2003` is a rate-limit error
# with the status and message the gateway sends. (These cells use placeholder credentials, so they
# work the same with your account.)

# %%
from cf_gateway_core import APIStatusError
from cf_gateway_core.testing import FakeGateway


def scripted_model(reply: str, model: str = "openai/gpt-5.5") -> ChatCloudflareAIGateway:
    """A model whose requests the in-process emulator answers as `reply` scripts."""
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

# %% [markdown]
# A near miss of a model the package's model table knows — dashes where the slug has dots, a
# missing author prefix — fails before any request, with the id you probably meant:

# %%
from cf_gateway_core import GatewayConfigError

for typo in ["anthropic/claude-haiku-4-5", "gpt-5.5"]:
    try:
        ChatCloudflareAIGateway(model=typo, account_id="demo", api_token="demo")
    except GatewayConfigError as err:
        print(err)

# %% [markdown]
# Catch the class you can act on. A rate limit is a `RateLimitError` — a spend limit
# (`SpendLimitError`, codes 2041/2045) is a subclass, which you may want to handle differently:

# %%
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

# %% [markdown]
# LangChain code that knows nothing about Cloudflare can catch the `langchain_core` classes:

# %%
from langchain_core.exceptions import ModelRateLimitError

try:
    scripted_model("error code=2003").invoke("Hello")
except ModelRateLimitError as err:
    print(type(err).__name__, "is a RateLimitError:", isinstance(err, RateLimitError))

# %% [markdown]
# ### Retries, and scripting replies in your own tests
#
# Rate limits (except the daily free allocation and spend limits), 5xx and connection errors are
# retried `max_retries` times (default 2) with backoff, honouring `retry-after`. In your tests,
# queue replies on a `FakeGateway` and assert on the requests it recorded: here one 429 is
# followed by the emulator's default answer.

# %%
fake = FakeGateway()
fake.queue_error(429, code=2003, message="Rate limited", endpoint="chat_completions")

llm = ChatCloudflareAIGateway(
    model="openai/gpt-5.5", account_id="demo", api_token="demo", http_client=fake.client()
)
print(llm.invoke("Hello").content)
print(len(fake.requests), "requests;", fake.last_request.json["messages"])

# %% [markdown]
# The LlamaIndex classes raise the same `cf_gateway_core` errors, and also take a per-call
# `extra_headers`:

# %%
li_fake = CloudflareAIGateway(
    model="example/no-such-model",
    account_id="demo",
    api_token="demo",
    http_client=FakeGateway().client(),
    max_retries=0,
)
try:
    li_fake.complete("Hello", extra_headers={"x-emulator-reply": "error code=7003"})
except NotFoundError as err:
    print(repr(err))

# %% [markdown]
# The emulator also runs as a standalone server for other languages and tools —
# `cf-gateway emulator --port 8787` — and the same header scripts it:
#
# ```bash
# curl -s http://127.0.0.1:8787/client/v4/accounts/any/ai/v1/chat/completions \
#   -H "authorization: Bearer any" -H "x-emulator-reply: error code=2003" \
#   -d '{"model": "openai/gpt-5.5", "messages": [{"role": "user", "content": "Hi"}]}'
# ```

# %%
gateway.stop()  # stops the emulator, if one was started
