"""What every row of the benchmark is: :class:`Client`, the shared constants and URL helpers.

The rows themselves are built in ``floors.py``, ``thin.py``, ``frameworks.py`` and ``peers.py``
and listed in ``rows.py``; this module imports none of them.

Each :class:`Client` knows how to build itself against the fake server and how to do the five
things the scenarios time: ``invoke`` (one call, returns the text), ``stream`` (yields the text
pieces), ``ainvoke`` (async call), ``tools`` (a tool-call round trip: call with a tool, get the
call, send the result, get the answer). Libraries are imported inside the builders, so importing
this module costs nothing and the import-time scenario can time each statement in a fresh
interpreter. A client that cannot do a scenario says why (``unsupported``) instead of being left
out; a client that fails at run time is reported with its error by the runner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "benchacct"
TOKEN = "bench-token-not-secret"
PROMPT = "What is Cloudflare AI Gateway?"
WF_MODEL = "@cf/meta/llama-3.1-8b-instruct"
OPENAI_MODEL = "openai/gpt-5.5"
ANTHROPIC_MODEL = "anthropic/claude-sonnet-4.5"
APIS = ("chat_completions", "messages", "run")
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


THIN_NAMES = {
    "langchain": "thin: LangChain BaseChatModel over raw httpx/aiohttp, {api}",
    "llamaindex": "thin: LlamaIndex CustomLLM over raw httpx/aiohttp, {api}",
}
TIMED = frozenset({"invoke", "stream", "async", "tools"})
"""The timed scenarios only (rows whose import time and footprint are not compared)."""
ALL = frozenset({"invoke", "stream", "async", "tools", "import", "rss"})


def unsupported(reason: str) -> Callable[[Any], Any]:
    """A scenario call that says why the client cannot do it."""

    def fail(_: Any) -> Any:
        raise Unsupported(reason)

    return fail
