"""The emulator's Workers AI model catalogue, drawn from the model table.

``GET …/ai/models/search`` and ``GET …/ai/models/schema?model=…`` serve the ``@cf/`` and ``@hf/``
models of ``cf_gateway_core.profiles``, with context window and function calling as properties.

Entries have the catalogue's shape (``id``, ``source``, ``name``, ``description``,
``task: {id, name, description}``, ``tags``, ``properties: [{property_id, value}]``) — see
https://developers.cloudflare.com/api/resources/ai/subresources/models/methods/list/ — and are
filtered by ``task`` (the task name), ``author``, ``search`` (name or description, any case) and
paged with ``page``/``per_page`` (``result_info``). The schema of a model is the abbreviated
input/output JSON schema of its model page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from cf_gateway_core.emulator.exchange import RecordedRequest, Reply

__all__ = ["answer", "catalog", "schema_for"]

_TASKS: dict[str, str] = {
    "Text Generation": "Family of generative text models, such as large language models (LLM).",
    "Text Embeddings": "Feature extraction models transform raw data into numerical features.",
    "Text Classification": "Classifies a text input into labels or classes (and rerankers).",
    "Text-to-Image": "Generates images from input text.",
    "Automatic Speech Recognition": "Converts a speech signal, typically audio, to text.",
    "Text-to-Speech": "Generates natural sounding speech given text input.",
}

_TEXT_SCHEMA = {
    "input": {
        "type": "object",
        "properties": {"messages": {"type": "array"}, "prompt": {"type": "string"}},
    },
    "output": {"type": "object", "properties": {"response": {"type": "string"}}},
}
_SCHEMAS: dict[str, dict[str, Any]] = {
    "Text Generation": _TEXT_SCHEMA,
    "Text Embeddings": {
        "input": {
            "type": "object",
            "properties": {"text": {"type": "array"}},
            "required": ["text"],
        },
        "output": {"type": "object", "properties": {"shape": {}, "data": {"type": "array"}}},
    },
    "Text Classification": {
        "input": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "contexts": {"type": "array"}},
            "required": ["query", "contexts"],
        },
        "output": {"type": "object", "properties": {"response": {"type": "array"}}},
    },
    "Text-to-Image": {
        "input": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "maxLength": 2048},
                "steps": {"type": "integer"},
            },
            "required": ["prompt"],
        },
        "output": {"type": "object", "properties": {"image": {"type": "string"}}},
    },
    "Automatic Speech Recognition": {
        "input": {"type": "object", "properties": {"audio": {}}, "required": ["audio"]},
        "output": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
    "Text-to-Speech": {
        "input": {"type": "object", "properties": {"text": {"type": "string"}}},
        "output": {"type": "string", "format": "binary", "contentType": "audio/mpeg"},
    },
}

# Model-table task -> the catalogue's task name.
_TASK_NAMES: dict[str, str] = {
    "text-generation": "Text Generation",
    "text-embeddings": "Text Embeddings",
    "text-classification": "Text Classification",
    "text-to-image": "Text-to-Image",
    "automatic-speech-recognition": "Automatic Speech Recognition",
    "text-to-speech": "Text-to-Speech",
}


def _models() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(id, task name, description, properties) of the Workers AI models in the model table."""
    from cf_gateway_core.profiles import get_profile, known_models

    rows = []
    for name in known_models():
        profile = get_profile(name)
        task = _TASK_NAMES.get(profile.task)
        if not name.startswith(("@cf/", "@hf/")) or task is None:
            continue
        properties: dict[str, Any] = {}
        if task == "Text Generation":
            properties["context_window"] = str(profile.context_window)
            if profile.tool_calling:
                properties["function_calling"] = "true"
            if profile.reasoning:
                properties["reasoning"] = "true"
        rows.append((name, task, f"{name.rpartition('/')[2]} ({task}).", properties))
    return rows


def _uuid(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _entry(name: str, task: str, description: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": _uuid(name),
        "source": 1,
        "name": name,
        "description": description,
        "task": {"id": _uuid(task), "name": task, "description": _TASKS[task]},
        "tags": [],
        "properties": [{"property_id": k, "value": v} for k, v in properties.items()],
    }


def catalog() -> list[dict[str, Any]]:
    """The entries the emulator serves now, sorted by id.

    These are the model table's Workers AI models, models added with ``register_profile``
    included.
    """
    return [_entry(*row) for row in _models()]


def schema_for(model: str) -> dict[str, Any] | None:
    """The schema the emulator serves for ``model`` (``None`` when it is not catalogued)."""
    for entry in catalog():
        if entry["name"] == model:
            return _SCHEMAS[entry["task"]["name"]]
    return None


def _v4(result: Any, **extra: Any) -> Reply:
    return Reply.json({"result": result, "success": True, "errors": [], "messages": [], **extra})


def _matches(entry: Mapping[str, Any], query: Mapping[str, str]) -> bool:
    name = str(entry["name"])
    if "task" in query and query["task"].lower() != entry["task"]["name"].lower():
        return False
    if "author" in query and name.split("/")[1:2] != [query["author"]]:
        return False
    text = query.get("search", "").lower()
    return not text or text in name.lower() or text in str(entry["description"]).lower()


def answer(request: RecordedRequest) -> Reply:
    """Answer ``…/ai/models/search`` or ``…/ai/models/schema``."""
    from urllib.parse import parse_qs, urlsplit

    if request.method != "GET":
        return Reply.error(405, message=f"Method {request.method} not allowed; use GET.")
    query = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
    if request.path.rstrip("/").endswith("/schema"):
        schema = schema_for(query.get("model", ""))
        if schema is None:
            return Reply.error(404, code=7003, message=f"Model not found: {query.get('model')}")
        return _v4(schema)
    try:
        page = max(1, int(query.get("page", "1")))
        per_page = max(1, min(100, int(query.get("per_page", "50"))))
    except ValueError:
        return Reply.error(400, message="page and per_page must be integers")
    found = [entry for entry in catalog() if _matches(entry, query)]
    chunk = found[(page - 1) * per_page : page * per_page]
    info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(found)}
    return _v4(chunk, result_info=info)
