"""The clients the benchmark compares: a raw-httpx floor per API, ours, and the peers.

Each :class:`Client` knows how to build itself against the fake server and how to do the five
things the scenarios time: ``invoke`` (one call, returns the text), ``stream`` (yields the text
pieces), ``ainvoke`` (async call), ``tools`` (a tool-call round trip: call with a tool, get the
call, send the result, get the answer). Libraries are imported inside the builders, so importing
this module costs nothing and the import-time scenario can time each statement in a fresh
interpreter. A client that cannot do a scenario says why (``unsupported``) instead of being left
out; a client that fails at run time is reported with its error by the runner.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "benchacct"
TOKEN = "bench-token-not-secret"
PROMPT = "What is Cloudflare AI Gateway?"
WF_MODEL = "@cf/meta/llama-3.1-8b-instruct"
OPENAI_MODEL = "openai/gpt-5.5"
ANTHROPIC_MODEL = "anthropic/claude-sonnet-4.5"
TOOL_SPEC = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["city"],
    },
}

# The framework imports an adapter cannot avoid: "beyond the framework" is measured against these.
FRAMEWORK_IMPORTS = {
    "langchain": "from langchain_core.language_models.chat_models import BaseChatModel",
    "llamaindex": "from llama_index.core.llms.function_calling import FunctionCallingLLM",
}
BASELINE_IMPORTS = {
    "httpx": "import httpx",
    "langchain_core": "import langchain_core",
    "langchain framework (BaseChatModel)": FRAMEWORK_IMPORTS["langchain"],
    "llama_index.core": "import llama_index.core",
    "llamaindex framework (FunctionCallingLLM)": FRAMEWORK_IMPORTS["llamaindex"],
    "cf_gateway_core": "import cf_gateway_core",
}


class Unsupported(Exception):
    """The client cannot do this scenario (the message says why)."""


@dataclass
class Client:
    """One row of the table."""

    name: str
    api: str  # chat_completions | messages | run
    group: str  # floor | thin | ours | peer | ref
    framework: str | None  # langchain | llamaindex | None
    import_stmt: str
    build: Callable[[str], Any]  # server root URL -> object
    invoke: Callable[[Any], str]
    stream: Callable[[Any], Iterator[str]]
    ainvoke: Callable[[Any], Awaitable[str]] | None
    tools: Callable[[Any], str] | None
    note: str = ""
    scenarios: frozenset[str] = field(
        default_factory=lambda: frozenset({"invoke", "stream", "async", "tools", "import", "rss"})
    )
    unsupported: dict[str, str] = field(default_factory=dict)


def account_base(root: str) -> str:
    """``http://127.0.0.1:PORT/client/v4`` (our ``base_url``)."""
    return f"{root}/client/v4"


def ai_base(root: str) -> str:
    """The account's ``/ai`` prefix."""
    return f"{root}/client/v4/accounts/{ACCOUNT}/ai"


# --------------------------------------------------------------------------- raw httpx floor

_FLOOR_PATHS = {
    "chat_completions": "/v1/chat/completions",
    "messages": "/v1/messages",
    "run": f"/run/{WF_MODEL}",
}


def _floor_payload(api: str, stream: bool = False, tool_turn: int = 0) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
    body: dict[str, Any] = {"messages": messages}
    if api == "chat_completions":
        body["model"] = OPENAI_MODEL
    elif api == "messages":
        body["model"] = ANTHROPIC_MODEL
        body["max_tokens"] = 1024
    if stream:
        body["stream"] = True
    if tool_turn:
        if api == "messages":
            body["tools"] = [
                {
                    "name": TOOL_SPEC["name"],
                    "description": TOOL_SPEC["description"],
                    "input_schema": TOOL_SPEC["parameters"],
                }
            ]
        else:
            body["tools"] = [{"type": "function", "function": TOOL_SPEC}]
    return body


def _floor_text(api: str, body: dict[str, Any]) -> str:
    if api == "chat_completions":
        return str(body["choices"][0]["message"]["content"])
    if api == "messages":
        return str(body["content"][0]["text"])
    return str(body["result"]["response"])


def _floor_delta(api: str, frame: dict[str, Any]) -> str:
    if api == "chat_completions":
        choices = frame.get("choices")
        return (choices[0]["delta"].get("content") or "") if choices else ""
    if api == "messages":
        delta = frame.get("delta")
        return delta.get("text", "") if frame.get("type") == "content_block_delta" else ""
    return frame.get("response") or ""


class Floor:
    """Raw httpx, the floor: post + ``.json()``; stream + ``iter_lines`` + ``json.loads``."""

    def __init__(self, root: str, api: str) -> None:
        import httpx

        self.api = api
        self.url = ai_base(root) + _FLOOR_PATHS[api]
        self.headers = {"authorization": f"Bearer {TOKEN}"}
        if api == "messages":
            self.headers["anthropic-version"] = "2023-06-01"
        self.http = httpx.Client()
        self.ahttp: Any = None  # built on first async use, inside the event loop
        self.payload = _floor_payload(api)
        self.stream_payload = _floor_payload(api, stream=True)

    def invoke(self) -> str:
        body = self.http.post(self.url, json=self.payload, headers=self.headers).json()
        return _floor_text(self.api, body)

    def stream(self) -> Iterator[str]:
        with self.http.stream(
            "POST", self.url, json=self.stream_payload, headers=self.headers
        ) as response:
            for line in response.iter_lines():
                if line.startswith("data:") and line != "data: [DONE]":
                    yield _floor_delta(self.api, json.loads(line[5:]))

    async def ainvoke(self) -> str:
        import httpx

        if self.ahttp is None:
            self.ahttp = httpx.AsyncClient()  # httpx's default limits
        response = await self.ahttp.post(self.url, json=self.payload, headers=self.headers)
        return _floor_text(self.api, response.json())

    def tools(self) -> str:
        first = self.http.post(
            self.url, json=_floor_payload(self.api, tool_turn=1), headers=self.headers
        ).json()
        second = _floor_payload(self.api, tool_turn=2)
        messages = second["messages"]
        if self.api == "messages":
            call = first["content"][0]
            messages.append({"role": "assistant", "content": first["content"]})
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": call["id"], "content": "21 C"}
                    ],
                }
            )
        else:
            node = first if self.api == "chat_completions" else first["result"]
            if self.api == "chat_completions":
                calls = node["choices"][0]["message"]["tool_calls"]
            else:
                calls = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for c in node["tool_calls"]
                ]
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
            messages.append({"role": "tool", "tool_call_id": calls[0]["id"], "content": "21 C"})
        body = self.http.post(self.url, json=second, headers=self.headers).json()
        return _floor_text(self.api, body)


def _floor(api: str) -> Client:
    return Client(
        name=f"floor: raw httpx, {api}",
        api=api,
        group="floor",
        framework=None,
        import_stmt="import httpx",
        build=lambda root: Floor(root, api),
        invoke=lambda c: c.invoke(),
        stream=lambda c: c.stream(),
        ainvoke=lambda c: c.ainvoke(),
        tools=lambda c: c.tools(),
    )


class AiohttpRaw:
    """Reference: aiohttp with no httpx on top (the async ceiling of a Python client)."""

    def __init__(self, root: str, api: str) -> None:
        self.api = api
        self.url = ai_base(root) + _FLOOR_PATHS[api]
        self.data = json.dumps(_floor_payload(api)).encode()
        self.headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
        if api == "messages":
            self.headers["anthropic-version"] = "2023-06-01"
        self.session: Any = None

    async def ainvoke(self) -> str:
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession()
        async with self.session.post(self.url, data=self.data, headers=self.headers) as resp:
            return _floor_text(self.api, json.loads(await resp.read()))


def _aiohttp_ref(api: str) -> Client:
    return Client(
        name=f"ref: raw aiohttp, {api}",
        api=api,
        group="ref",
        framework=None,
        import_stmt="import aiohttp",
        build=lambda root: AiohttpRaw(root, api),
        invoke=_unsupported("async reference only"),
        stream=_unsupported("async reference only"),
        ainvoke=lambda c: c.ainvoke(),
        tools=None,
        scenarios=frozenset({"async"}),
    )


# --------------------------------------------------------------------------- thinnest adapters

THIN_NAMES = {
    "langchain": "thin: LangChain BaseChatModel over raw httpx/aiohttp, {api}",
    "llamaindex": "thin: LlamaIndex CustomLLM over raw httpx/aiohttp, {api}",
}


def _thin(framework: str, api: str) -> Client:
    """The thinnest adapter of ``framework`` (``thin.py``): the limit for our rows."""
    name = THIN_NAMES[framework].format(api=api)
    if framework == "langchain":

        def build_lc(root: str) -> Any:
            import thin

            return thin.thin_langchain(root, api)

        return _lc(name, api, "thin", FRAMEWORK_IMPORTS[framework], build_lc, scenarios=_TIMED)

    def build_li(root: str) -> Any:
        import thin

        return thin.thin_llamaindex(root, api)

    return _li(
        name,
        api,
        "thin",
        FRAMEWORK_IMPORTS[framework],
        build_li,
        tools=_unsupported("a CustomLLM has no tool calling"),
        scenarios=_TIMED,
    )


_TIMED = frozenset({"invoke", "stream", "async", "tools"})


def _unsupported(reason: str) -> Callable[[Any], Any]:
    def fail(_: Any) -> Any:
        raise Unsupported(reason)

    return fail


# --------------------------------------------------------------------------- LangChain helpers


def _lc_text(message: Any) -> str:
    text = message.text  # a property in langchain-core 1.x (a method before)
    return text if isinstance(text, str) else text()


def _lc_stream(model: Any) -> Iterator[str]:
    for chunk in model.stream(PROMPT):
        yield _lc_text(chunk)


async def _lc_ainvoke(model: Any) -> str:
    return _lc_text(await model.ainvoke(PROMPT))


def _lc_tool() -> Any:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str, unit: str = "celsius") -> str:
        """Current weather for a city."""
        return "21 C"

    return get_weather


_BOUND: dict[int, Any] = {}  # id(model) -> (model, its tool-bound runnable or LLM tool)


def _prepared(model: Any, make: Callable[[Any], Any]) -> Any:
    """What ``make`` builds for ``model`` (tool objects, a tool-bound model), built on the first
    call only: the scenario's warm-up, outside the timed rounds, as an app builds its tools once."""
    entry = _BOUND.get(id(model))
    if entry is None or entry[0] is not model:
        entry = _BOUND[id(model)] = (model, make(model))
    return entry[1]


def _lc_tools(model: Any) -> str:
    from langchain_core.messages import HumanMessage, ToolMessage

    bound = _prepared(model, lambda m: m.bind_tools([_lc_tool()]))
    history: list[Any] = [HumanMessage(PROMPT)]
    reply = bound.invoke(history)
    if not reply.tool_calls:
        raise RuntimeError(f"no tool call in the reply: {reply!r}")
    call = reply.tool_calls[0]
    history += [reply, ToolMessage("21 C", tool_call_id=call["id"])]
    return _lc_text(bound.invoke(history))


def _lc(
    name: str,
    api: str,
    group: str,
    import_stmt: str,
    build: Callable[[str], Any],
    note: str = "",
    **extra: Any,
) -> Client:
    return Client(
        name=name,
        api=api,
        group=group,
        framework="langchain",
        import_stmt=import_stmt,
        build=build,
        invoke=lambda m: _lc_text(m.invoke(PROMPT)),
        stream=_lc_stream,
        ainvoke=_lc_ainvoke,
        tools=_lc_tools,
        note=note,
        **extra,
    )


# --------------------------------------------------------------------------- LlamaIndex helpers


def _li_messages() -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content=PROMPT)]


def _li_invoke(llm: Any) -> str:
    return str(llm.chat(_li_messages()).message.content)


def _li_stream(llm: Any) -> Iterator[str]:
    for response in llm.stream_chat(_li_messages()):
        yield response.delta or ""


async def _li_ainvoke(llm: Any) -> str:
    return str((await llm.achat(_li_messages())).message.content)


def _li_tools(llm: Any) -> str:
    from llama_index.core.llms import ChatMessage
    from llama_index.core.tools import FunctionTool

    def get_weather(city: str, unit: str = "celsius") -> str:
        """Current weather for a city."""
        return "21 C"

    tool = _prepared(llm, lambda _: FunctionTool.from_defaults(fn=get_weather))
    history = _li_messages()
    reply = llm.chat_with_tools([tool], chat_history=history)
    calls = llm.get_tool_calls_from_response(reply, error_on_no_tool_call=True)
    history.append(reply.message)
    history.append(
        ChatMessage(
            role="tool",
            content="21 C",
            additional_kwargs={"tool_call_id": calls[0].tool_id, "name": calls[0].tool_name},
        )
    )
    return str(llm.chat_with_tools([tool], chat_history=history).message.content)


def _li(
    name: str,
    api: str,
    group: str,
    import_stmt: str,
    build: Callable[[str], Any],
    note: str = "",
    tools: Callable[[Any], str] | None = _li_tools,
    **extra: Any,
) -> Client:
    return Client(
        name=name,
        api=api,
        group=group,
        framework="llamaindex",
        import_stmt=import_stmt,
        build=build,
        invoke=_li_invoke,
        stream=_li_stream,
        ainvoke=_li_ainvoke,
        tools=tools,
        note=note,
        **extra,
    )


# --------------------------------------------------------------------------- ours

_OURS_MODELS = {
    "chat_completions": (OPENAI_MODEL, "auto"),
    "messages": (ANTHROPIC_MODEL, "auto"),
    "run": (WF_MODEL, "run"),
}


def _ours_kwargs(root: str, api: str) -> dict[str, Any]:
    model, endpoint = _OURS_MODELS[api]
    kwargs: dict[str, Any] = {
        "model": model,
        "endpoint": endpoint,
        "account_id": ACCOUNT,
        "api_token": TOKEN,
        "base_url": account_base(root),
    }
    return kwargs


# framework -> (row label, package, class, the client wrapper for that framework's calls)
_OURS: dict[str, tuple[str, str, str, Callable[..., Client]]] = {
    "lc": ("ChatCloudflareAIGateway", "langchain_cf_gateway", "ChatCloudflareAIGateway", _lc),
    "li": ("CloudflareAIGateway (LlamaIndex)", "llamaindex_cf_gateway", "CloudflareAIGateway", _li),
}


def _ours(framework: str, api: str) -> Client:
    label, package, class_name, wrap = _OURS[framework]

    def build(root: str) -> Any:
        cls = getattr(importlib.import_module(package), class_name)
        return cls(**_ours_kwargs(root, api))

    return wrap(
        f"ours: {label}, {api}",
        api,
        "ours",
        f"from {package} import {class_name}",
        build,
        scenarios=_ALL,
    )


_ALL = frozenset({"invoke", "stream", "async", "tools", "import", "rss"})

NO_PROXY_VALUE = "localhost,127.0.0.1,.internal"


class _NoProxyScope:
    """``NO_PROXY`` set in the environment while any call of the row is in flight (rows run one
    at a time), the way a container or CI job sets it for the whole process."""

    def __init__(self) -> None:
        self.depth = 0

    def __enter__(self) -> None:
        import os

        if not self.depth:
            os.environ["NO_PROXY"] = NO_PROXY_VALUE
        self.depth += 1

    def __exit__(self, *exc: object) -> None:
        import os

        self.depth -= 1
        if not self.depth:
            os.environ.pop("NO_PROXY", None)


def _with_no_proxy(client: Client) -> Client:
    """``client`` with ``NO_PROXY`` set around building it and around each of its calls."""
    scope = _NoProxyScope()

    def build(root: str) -> Any:
        with scope:
            return client.build(root)

    def invoke(obj: Any) -> str:
        with scope:
            return client.invoke(obj)

    def stream(obj: Any) -> Iterator[str]:
        with scope:
            yield from client.stream(obj)

    async def ainvoke(obj: Any) -> str:
        assert client.ainvoke is not None
        with scope:
            return await client.ainvoke(obj)

    def tools(obj: Any) -> str:
        assert client.tools is not None
        with scope:
            return client.tools(obj)

    return Client(
        name=client.name + " + NO_PROXY",
        api=client.api,
        group=client.group,
        framework=client.framework,
        import_stmt=client.import_stmt,
        build=build,
        invoke=invoke,
        stream=stream,
        ainvoke=ainvoke,
        tools=tools,
        note=f"NO_PROXY={NO_PROXY_VALUE} in the environment (no proxy variable applies)",
        scenarios=_TIMED,
    )


# --------------------------------------------------------------------------- peers


def _lc_cloudflare(api: str) -> Client:
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

    return _lc(
        f"peer: langchain-cloudflare ChatCloudflareWorkersAI, {api}",
        api,
        "peer",
        "from langchain_cloudflare import ChatCloudflareWorkersAI",
        build,
        note=f"endpoint_format={fmt!r}",
    )


def _chat_openai() -> Client:
    def build(root: str) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=OPENAI_MODEL, api_key=TOKEN, base_url=ai_base(root) + "/v1")

    return _lc(
        "peer: langchain-openai ChatOpenAI, chat_completions",
        "chat_completions",
        "peer",
        "from langchain_openai import ChatOpenAI",
        build,
        note="base_url=.../ai/v1",
    )


def _chat_anthropic() -> Client:
    def build(root: str) -> Any:
        from langchain_anthropic import ChatAnthropic

        return ChatAnthropic(model=ANTHROPIC_MODEL, api_key=TOKEN, base_url=ai_base(root))

    return _lc(
        "peer: langchain-anthropic ChatAnthropic, messages",
        "messages",
        "peer",
        "from langchain_anthropic import ChatAnthropic",
        build,
        note="base_url=.../ai (the SDK appends /v1/messages)",
    )


def _openai_like() -> Client:
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

    return _li(
        "peer: llama-index OpenAILike, chat_completions",
        "chat_completions",
        "peer",
        "from llama_index.llms.openai_like import OpenAILike",
        build,
        note="api_base=.../ai/v1",
    )


def _li_gateway() -> Client:
    def build(root: str) -> Any:
        from llama_index.llms.cloudflare_ai_gateway import CloudflareAIGateway
        from llama_index.llms.openai import OpenAI

        inner = OpenAI(model="gpt-4o-mini", api_base=ai_base(root) + "/v1", api_key=TOKEN)
        return CloudflareAIGateway(llms=[inner], account_id=ACCOUNT, gateway="gw", api_key=TOKEN)

    return _li(
        "peer: llama-index-llms-cloudflare-ai-gateway CloudflareAIGateway, chat_completions",
        "chat_completions",
        "peer",
        "from llama_index.llms.cloudflare_ai_gateway import CloudflareAIGateway",
        build,
        note=(
            "its gateway URL is hard-coded, so it wraps an inner OpenAI(api_base=.../ai/v1); the "
            "wrapper never intercepts its calls, so requests go to the inner LLM's URL"
        ),
        tools=_unsupported("a plain LLM: no chat_with_tools"),
    )


def all_clients() -> list[Client]:
    """Every row, floors first."""
    return [
        _floor("chat_completions"),
        _floor("messages"),
        _floor("run"),
        *(
            _thin(framework, api)
            for framework in ("langchain", "llamaindex")
            for api in ("chat_completions", "messages", "run")
        ),
        *(
            _ours(framework, api)
            for framework in ("lc", "li")
            for api in ("chat_completions", "messages", "run")
        ),
        _with_no_proxy(_ours("lc", "chat_completions")),
        _with_no_proxy(_ours("li", "chat_completions")),
        _lc_cloudflare("chat_completions"),
        _lc_cloudflare("run"),
        _chat_openai(),
        _chat_anthropic(),
        _openai_like(),
        _li_gateway(),
        *(_aiohttp_ref(api) for api in ("chat_completions", "messages", "run")),
    ]
