"""The framework rows: LangChain and LlamaIndex call helpers, the thinnest adapter of each
framework (``thin_lc.py``, ``thin_li.py``), and ours (with and without ``NO_PROXY`` in the
environment).

Every framework row is a :class:`~clients.Client` whose calls go through the framework's own
public API (``invoke``/``stream``/``ainvoke``/``bind_tools``, ``chat``/``stream_chat``/``achat``/
``chat_with_tools``), so ours, the thinnest adapters and the peers are timed the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from clients import (
    ACCOUNT,
    ALL,
    ANTHROPIC_MODEL,
    FRAMEWORK_IMPORTS,
    OPENAI_MODEL,
    PROMPT,
    THIN_NAMES,
    TIMED,
    TOKEN,
    WF_MODEL,
    Client,
    account_base,
    unsupported,
)


def thin_row(framework: str, api: str) -> Client:
    """The thinnest adapter of ``framework`` (``thin_lc.py``, ``thin_li.py``): the limit for our
    rows."""
    name = THIN_NAMES[framework].format(api=api)
    if framework == "langchain":

        def build_lc(root: str) -> Any:
            import thin_lc  # imports LangChain: only when the row is built

            return thin_lc.build(root, api)

        return lc(name, api, "thin", FRAMEWORK_IMPORTS[framework], build_lc, scenarios=TIMED)

    def build_li(root: str) -> Any:
        import thin_li  # imports LlamaIndex: only when the row is built

        return thin_li.build(root, api)

    return li(
        name,
        api,
        "thin",
        FRAMEWORK_IMPORTS[framework],
        build_li,
        tools=unsupported("a CustomLLM has no tool calling"),
        scenarios=TIMED,
    )


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


def lc(
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


def li(
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
    "lc": ("ChatCloudflareAIGateway", "langchain_cf_gateway", "ChatCloudflareAIGateway", lc),
    "li": ("CloudflareAIGateway (LlamaIndex)", "llamaindex_cf_gateway", "CloudflareAIGateway", li),
}


def ours(framework: str, api: str) -> Client:
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
        scenarios=ALL,
    )


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


def with_no_proxy(client: Client) -> Client:
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
        scenarios=TIMED,
    )
