"""Every row of the benchmark, in table order: the floors, the thinnest adapters, ours (with and
without ``NO_PROXY``), the peers and the async references. Each row module imports ``clients``
only, and none imports this one, so the modules form no import cycle."""

from __future__ import annotations

import floors
import frameworks as fw
import peers
from clients import APIS, Client

FRAMEWORKS = ("langchain", "llamaindex")


def all_clients() -> list[Client]:
    """Every row, floors first (building a row imports its libraries; listing them does not)."""
    return [
        *(floors.floor(api) for api in APIS),
        *(fw.thin_row(framework, api) for framework in FRAMEWORKS for api in APIS),
        *(fw.ours(framework, api) for framework in ("lc", "li") for api in APIS),
        fw.with_no_proxy(fw.ours("lc", "chat_completions")),
        fw.with_no_proxy(fw.ours("li", "chat_completions")),
        peers.lc_cloudflare("chat_completions"),
        peers.lc_cloudflare("run"),
        peers.chat_openai(),
        peers.chat_anthropic(),
        peers.openai_like(),
        peers.li_gateway(),
        *(floors.aiohttp_ref(api) for api in APIS),
    ]
