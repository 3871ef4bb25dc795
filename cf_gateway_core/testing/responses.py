"""OpenAI Responses replies: ``response`` objects and ``response.*`` event streams.

Shapes as OpenAI documents them (https://platform.openai.com/docs/api-reference/responses/object
and https://platform.openai.com/docs/api-reference/responses-streaming): output items
``reasoning`` (a summary), ``message`` (``output_text`` parts with annotations) and
``function_call``; a stream of ``response.created``, ``response.in_progress``, per item
``response.output_item.added`` … ``response.output_item.done`` with the text, summary and argument
deltas, and ``response.completed`` (``response.incomplete`` when cut by the token limit), each
event with its ``sequence_number``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cf_gateway_core.testing.openai_chat import CREATED, KEY_SOURCE
from cf_gateway_core.testing.sse import SSEItem
from cf_gateway_core.testing.turns import Split, Turn, fragments, word_pieces

__all__ = ["response", "response_events", "response_stream"]

Body = dict[str, Any]


def _items(turn: Turn) -> list[Body]:
    items: list[Body] = []
    if turn.reasoning:
        summary = [{"type": "summary_text", "text": turn.reasoning}]
        items.append({"id": "rs_" + turn.id[:48], "type": "reasoning", "summary": summary})
    if turn.text or not turn.tool_calls:
        part = {"type": "output_text", "text": turn.text, "annotations": [], "logprobs": []}
        item = {"id": "msg_" + turn.id[:48], "type": "message", "status": "completed"}
        items.append({**item, "role": "assistant", "content": [part]})
    for index, call in enumerate(turn.tool_calls):
        call_id = turn.call_id(index, "call_", 24)
        item_id = "fc_" + (call.id or turn.call_id(index, "", 48))
        items.append(
            {
                "id": item_id,
                "type": "function_call",
                "status": "completed",
                "call_id": call_id,
                "name": call.name,
                "arguments": call.arguments_json,
            }
        )
    return items


def response(turn: Turn, *, model: str = "openai/gpt-5.5", gateway_metadata: bool = False) -> Body:
    """Render a turn as a Responses ``response`` object.

    Args:
        turn: the reply (``truncated``: ``status: "incomplete"``, reason ``max_output_tokens``).
        model: the ``model`` the object names.
        gateway_metadata: add ``gatewayMetadata`` (the gateway does for third-party models).

    Returns:
        The JSON body.
    """
    usage = turn.usage
    body: Body = {
        "id": "resp_" + turn.id[:48],
        "object": "response",
        "created_at": CREATED,
        "status": "incomplete" if turn.truncated else "completed",
        "completed_at": None if turn.truncated else CREATED + 1,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if turn.truncated else None,
        "model": model,
        "output": _items(turn),
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "usage": {
            "input_tokens": usage.input_tokens,
            "input_tokens_details": {"cached_tokens": usage.cache_read_tokens},
            "output_tokens": usage.output_tokens,
            "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
            "total_tokens": usage.input_tokens + usage.output_tokens,
        },
        "store": False,
        "metadata": {},
    }
    if gateway_metadata:
        body["gatewayMetadata"] = dict(KEY_SOURCE)
    return body


def _text_events(ids: Body, part: Mapping[str, Any], split: Split) -> list[Body]:
    empty = {**part, "text": "", "annotations": []}
    events: list[Body] = [{"type": "response.content_part.added", **ids, "part": empty}]
    events += [
        {"type": "response.output_text.delta", **ids, "delta": piece, "logprobs": []}
        for piece in split(part["text"])
    ]
    events += [
        {
            "type": "response.output_text.annotation.added",
            **ids,
            "annotation_index": n,
            "annotation": a,
        }
        for n, a in enumerate(part.get("annotations", []))
    ]
    events.append(
        {"type": "response.output_text.done", **ids, "text": part["text"], "logprobs": []}
    )
    events.append({"type": "response.content_part.done", **ids, "part": part})
    return events


def _summary_events(ids: Body, n: int, part: Mapping[str, Any], split: Split) -> list[Body]:
    at = {**ids, "summary_index": n}
    return [
        {"type": "response.reasoning_summary_part.added", **at, "part": {**part, "text": ""}},
        *(
            {"type": "response.reasoning_summary_text.delta", **at, "delta": piece}
            for piece in split(part["text"])
        ),
        {"type": "response.reasoning_summary_text.done", **at, "text": part["text"]},
        {"type": "response.reasoning_summary_part.done", **at, "part": part},
    ]


def _inner_events(index: int, item: Mapping[str, Any], split: Split) -> list[Body]:
    ids: Body = {"item_id": item["id"], "output_index": index}
    kind = item["type"]
    if kind == "function_call":
        arguments = item["arguments"]
        events: list[Body] = [
            {"type": "response.function_call_arguments.delta", **ids, "delta": piece}
            for piece in fragments(arguments)
        ]
        done = {"type": "response.function_call_arguments.done", **ids, "arguments": arguments}
        return [*events, done]
    if kind == "message":
        events = []
        for n, part in enumerate(item["content"]):
            events += _text_events({**ids, "content_index": n}, part, split)
        return events
    if kind == "reasoning":
        events = []
        for n, part in enumerate(item.get("summary", [])):
            events += _summary_events(ids, n, part, split)
        return events
    return []  # e.g. web_search_call: whole in its added/done events


_EMPTIED: dict[str, Body] = {
    "function_call": {"arguments": ""},
    "message": {"content": []},
    "reasoning": {"summary": []},
}


def _item_events(index: int, item: Mapping[str, Any], split: Split) -> list[Body]:
    added = {**item, **_EMPTIED.get(item["type"], {})}
    if "status" in item:
        added["status"] = "in_progress"
    return [
        {"type": "response.output_item.added", "output_index": index, "item": added},
        *_inner_events(index, item, split),
        {"type": "response.output_item.done", "output_index": index, "item": dict(item)},
    ]


def response_stream(body: Mapping[str, Any], *, split: Split = word_pieces) -> list[SSEItem]:
    """Derive the event stream of a ``response`` object.

    Args:
        body: an object from :func:`response` (or any Responses object: annotations and
            built-in tool items stream as the API streams them).
        split: how texts and summaries are split into deltas.

    Returns:
        The ``(event name, data)`` events, each with its ``sequence_number``.
    """
    final = {k: v for k, v in body.items() if k != "gatewayMetadata"}
    pending = {**final, "status": "in_progress", "completed_at": None, "output": [], "usage": None}
    pending["incomplete_details"] = None
    events: list[Body] = [
        {"type": "response.created", "response": pending},
        {"type": "response.in_progress", "response": pending},
    ]
    for index, item in enumerate(final["output"]):
        events += _item_events(index, item, split)
    last = "response.incomplete" if final.get("status") == "incomplete" else "response.completed"
    events.append({"type": last, "response": final})
    return [(e["type"], {**e, "sequence_number": n}) for n, e in enumerate(events)]


def response_events(turn: Turn, *, model: str = "openai/gpt-5.5") -> list[SSEItem]:
    """Render a turn as a Responses event stream (see :func:`response_stream`).

    Args:
        turn: the reply.
        model: the ``model`` the stream names.

    Returns:
        The events.
    """
    return response_stream(response(turn, model=model), split=turn.split)
