"""Emulator replies for server tools and citations: answered in kind, as JSON or as a stream.

- Anthropic, a ``web_search_*`` server tool offered: ``server_tool_use``, then a
  ``web_search_tool_result`` with two results, then text whose second block cites the first
  result (``web_search_result_location``).
- Anthropic, a ``document`` with ``citations: {"enabled": true}`` in the last user turn: text
  whose second block cites it (``char_location`` for text documents, ``page_location`` for PDFs).
- Responses, a ``web_search`` built-in offered: a ``web_search_call`` item, then a message whose
  ``output_text`` carries a ``url_citation`` annotation.

The JSON body is built first; its stream is derived from it by the public builders
(:func:`cf_gateway_core.testing.anthropic.message_stream`,
:func:`cf_gateway_core.testing.responses.response_stream`), event by event, as the APIs stream such
replies (``citations_delta`` and ``input_json_delta`` for Anthropic,
``response.output_text.annotation.added`` for Responses).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cf_gateway_core.testing import anthropic, responses
from cf_gateway_core.testing.sse import SSEItem

__all__ = ["server_frames", "server_reply"]

Body = dict[str, Any]

_RESULTS = (
    ("Cloudflare AI Gateway docs", "https://developers.cloudflare.com/ai-gateway/"),
    ("Cloudflare blog", "https://blog.cloudflare.com/"),
)
_LEAD = "Here is what I found. "


def _tools(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tools = body.get("tools")
    return [t for t in tools if isinstance(t, Mapping)] if isinstance(tools, list) else []


def _cited_document(body: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]] | None:
    messages = body.get("messages")
    last = messages[-1] if isinstance(messages, list) and messages else None
    content = last.get("content") if isinstance(last, Mapping) else None
    index = -1
    for block in content if isinstance(content, list) else []:
        if isinstance(block, Mapping) and block.get("type") == "document":
            index += 1
            citations = block.get("citations")
            if isinstance(citations, Mapping) and citations.get("enabled"):
                return index, block
    return None


def _anthropic_search(body: Body, query: str) -> list[Body]:
    tool_id = "srvtoolu_01" + body["id"][6:28]
    results = [
        {
            "type": "web_search_result",
            "title": title,
            "url": url,
            "encrypted_content": f"enc-{n}",
            "page_age": "1 day ago",
        }
        for n, (title, url) in enumerate(_RESULTS)
    ]
    title, url = _RESULTS[0]
    citation = {
        "type": "web_search_result_location",
        "url": url,
        "title": title,
        "encrypted_index": "enc-index-0",
        "cited_text": f"{title} — results for {query}",
    }
    return [
        {"type": "server_tool_use", "id": tool_id, "name": "web_search", "input": {"query": query}},
        {"type": "web_search_tool_result", "tool_use_id": tool_id, "content": results},
        {"type": "text", "text": _LEAD},
        {"type": "text", "text": f"{title} answers: {query}", "citations": [citation]},
    ]


def _document_text(block: Mapping[str, Any]) -> str:
    source = block.get("source")
    data = source.get("data") if isinstance(source, Mapping) else None
    if isinstance(source, Mapping) and source.get("type") == "text" and isinstance(data, str):
        return data
    return ""


def _anthropic_cited(index: int, block: Mapping[str, Any]) -> list[Body]:
    text = _document_text(block)
    title = block.get("title")
    if text:
        quoted = text[:80]
        location: Body = {"type": "char_location", "start_char_index": 0}
        location["end_char_index"] = len(quoted)
    else:
        quoted = "(page 1)"
        location = {"type": "page_location", "start_page_number": 1, "end_page_number": 2}
    citation = {
        "cited_text": quoted,
        "document_index": index,
        "document_title": title if isinstance(title, str) else None,
        **location,
    }
    return [
        {"type": "text", "text": "According to the document, "},
        {"type": "text", "text": quoted, "citations": [citation]},
    ]


def _anthropic(body: Mapping[str, Any], reply: Body, query: str) -> Body | None:
    if any(str(t.get("type", "")).startswith("web_search_") for t in _tools(body)):
        content = _anthropic_search(reply, query)
    else:
        cited = _cited_document(body)
        if cited is None:
            return None
        content = _anthropic_cited(*cited)
    return {**reply, "content": content, "stop_reason": "end_turn"}


def _responses(body: Mapping[str, Any], reply: Body, query: str) -> Body | None:
    if not any(str(t.get("type", "")).startswith("web_search") for t in _tools(body)):
        return None
    title, url = _RESULTS[0]
    text = f"{_LEAD}{title} answers: {query}"
    start = len(_LEAD)
    annotation = {
        "type": "url_citation",
        "start_index": start,
        "end_index": len(text),
        "title": title,
        "url": url,
    }
    call = {
        "id": "ws_" + reply["id"][5:53],
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": query},
    }
    part = {"type": "output_text", "text": text, "annotations": [annotation], "logprobs": []}
    message = {
        "id": "msg_" + reply["id"][5:53],
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }
    return {**reply, "output": [call, message]}


def server_reply(fmt: str, body: Mapping[str, Any], reply: Body, query: str) -> Body | None:
    """The server-tool / citation version of a JSON ``reply`` to ``body``.

    Returns ``None`` when the request asks for neither (``query`` is the last user text).
    """
    if fmt == "anthropic":
        return _anthropic(body, reply, query)
    if fmt == "responses":
        return _responses(body, reply, query)
    return None


def server_frames(fmt: str, reply: Body) -> list[SSEItem]:
    """The stream of a :func:`server_reply` body (the public stream derivations)."""
    if fmt == "anthropic":
        return anthropic.message_stream(reply)
    return responses.response_stream(reply)
