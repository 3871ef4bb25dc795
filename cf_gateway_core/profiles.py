"""The model table: the one place that knows model limits and capabilities.

``get_profile(model)`` answers with a frozen :class:`ModelProfile`. Two tables feed it:

- **families**, keyed by an id prefix (``"anthropic/claude-sonnet-"``): limits and capabilities
  shared by a model family. The longest matching prefix wins; prefixes are compared with versions
  normalised (lower case, ``.`` read as ``-``), so ``claude-sonnet-4.5`` and a dated
  ``claude-sonnet-4-5-20250929`` fall in one family.
- **the catalogue**, keyed by the exact id the gateway knows (``"anthropic/claude-sonnet-4.5"``):
  the models the table knows by name, each with what differs from its family. Only exact ids are
  catalogue entries: the gateway refuses ``anthropic/claude-sonnet-4-5`` (dashes for dots) with
  404 code 7003, so that spelling is *not* known, only near one (see :func:`suggest_model`).

An id in neither gets :data:`DEFAULT_PROFILE`, which claims nothing it cannot know. Users add or
override entries with :func:`register_profile` (a model the table does not know yet, or a
different limit); ``cf_gateway_core`` never calls the network to fill the table.

The figures come from the providers' model pages and Cloudflare's model catalogue
(https://developers.cloudflare.com/ai/models/); ``docs/model-table.md`` lists the sources.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from dataclasses import dataclass
from typing import Any

from cf_gateway_core._values import value_class
from cf_gateway_core.errors import GatewayConfigError

__all__ = [
    "DEFAULT_PROFILE",
    "ModelProfile",
    "get_profile",
    "known_models",
    "register_profile",
    "suggest_model",
]

_ALL_ENDPOINTS = frozenset({"chat_completions", "messages", "responses", "run"})
_ALL_STRUCTURED = frozenset({"function_calling", "json_schema", "json_mode"})


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ModelProfile:
    """What the package knows about one model.

    Attributes:
        context_window: input + output tokens the model accepts.
        max_output_tokens: the most tokens one reply may have.
        default_max_tokens: ``max_tokens`` sent on Anthropic Messages bodies when the caller sets
            none (that API requires one).
        tool_calling: the model calls client tools (functions).
        parallel_tool_calls: it may call several tools in one reply.
        structured_output: the ``with_structured_output`` / ``structured_predict`` methods that
            work natively (``function_calling``, ``json_schema``, ``json_mode``).
        image_inputs: images in user messages.
        pdf_inputs: PDF (and plain-text) documents in user messages.
        audio_inputs: audio in user messages.
        image_tool_results: images inside tool results.
        reasoning: the model returns reasoning (thinking) output.
        reasoning_efforts: the ``reasoning_effort`` values it takes (empty: none).
        budget_thinking: on Anthropic Messages the model thinks within a token budget
            (``thinking: {"type": "enabled", "budget_tokens": N}``, Claude models released before
            adaptive thinking); otherwise ``reasoning_effort`` is sent as adaptive thinking with
            an effort.
        endpoints: the package endpoints the model accepts (``chat_completions``, ``messages``,
            ``responses``, ``run``). ``endpoint="auto"`` picks among them.
        task: the catalogue task (``text-generation``, ``text-embeddings``,
            ``text-classification`` for rerankers, ``text-to-image``,
            ``automatic-speech-recognition``, ``text-to-speech``).
        known: the id is in the catalogue (an exact, gateway-known id), not only in a family.
    """

    context_window: int = 32_768
    max_output_tokens: int = 4_096
    default_max_tokens: int = 4_096
    tool_calling: bool = False
    parallel_tool_calls: bool = False
    structured_output: frozenset[str] = frozenset()
    image_inputs: bool = False
    pdf_inputs: bool = False
    audio_inputs: bool = False
    image_tool_results: bool = False
    reasoning: bool = False
    reasoning_efforts: tuple[str, ...] = ()
    budget_thinking: bool = False
    endpoints: frozenset[str] = _ALL_ENDPOINTS
    task: str = "text-generation"
    known: bool = False

    @property
    def responses_only(self) -> bool:
        """True when the model speaks only OpenAI's Responses API (e.g. ``openai/gpt-5.5-pro``)."""
        return "responses" in self.endpoints and "chat_completions" not in self.endpoints


DEFAULT_PROFILE = ModelProfile()
"""The profile of a model the table does not know: conservative limits, no claimed capability
beyond plain chat."""

# The default model of each task beyond chat (the clients' generate_image, speak, rerank and
# transcribe); media.py and transcription.py re-export them. Kept here, in the model table, so
# the clients' signatures need neither module until such a call is made.
DEFAULT_IMAGE_MODEL = "@cf/black-forest-labs/flux-1-schnell"
DEFAULT_TTS_MODEL = "@cf/myshell-ai/melotts"
DEFAULT_RERANK_MODEL = "@cf/baai/bge-reranker-base"
DEFAULT_ASR_MODEL = "@cf/openai/whisper-large-v3-turbo"

_P = ModelProfile
_EFFORTS = ("minimal", "low", "medium", "high")
_NO_WORKERS_MESSAGES = _ALL_ENDPOINTS - {"messages"}

# Anthropic: Messages natively; images, PDFs and images in tool results; no audio; no
# response_format on Messages (structured output goes through a forced tool call).
_CLAUDE = _P(
    context_window=200_000,
    tool_calling=True,
    parallel_tool_calls=True,
    structured_output=frozenset({"function_calling", "json_schema"}),
    image_inputs=True,
    pdf_inputs=True,
    image_tool_results=True,
    reasoning=True,
    reasoning_efforts=_EFFORTS,
)
_GPT = _P(
    context_window=400_000,
    max_output_tokens=128_000,
    tool_calling=True,
    parallel_tool_calls=True,
    structured_output=_ALL_STRUCTURED,
    image_inputs=True,
    pdf_inputs=True,
    image_tool_results=True,
    reasoning=True,
    reasoning_efforts=_EFFORTS,
)
_GPT4 = dataclasses.replace(_GPT, reasoning=False, reasoning_efforts=())
_WORKERS_CHAT = _P(
    tool_calling=True,
    parallel_tool_calls=True,
    structured_output=_ALL_STRUCTURED,
    endpoints=_NO_WORKERS_MESSAGES,
)


def _limits(base: ModelProfile, window: int, output: int, **fields: Any) -> ModelProfile:
    # Anthropic models get their maximum output as the Messages default max_tokens (as
    # langchain-anthropic does); other models sent to /ai/v1/messages keep 4096.
    if base is _CLAUDE:
        fields.setdefault("default_max_tokens", output)
    return dataclasses.replace(base, context_window=window, max_output_tokens=output, **fields)


_SONNET_BUDGET = _limits(_CLAUDE, 200_000, 64_000, budget_thinking=True)
_OPUS_BUDGET = _limits(_CLAUDE, 200_000, 32_000, budget_thinking=True)

_BUILTIN_FAMILIES: dict[str, ModelProfile] = {
    # Anthropic (https://docs.anthropic.com/en/docs/about-claude/models/overview)
    "anthropic/": _limits(_CLAUDE, 200_000, 4_096),
    "anthropic/claude-3-": _limits(_CLAUDE, 200_000, 4_096, reasoning=False, reasoning_efforts=()),
    "anthropic/claude-3-5-": _limits(
        _CLAUDE, 200_000, 8_192, reasoning=False, reasoning_efforts=(), pdf_inputs=False
    ),
    "anthropic/claude-opus-": _limits(_CLAUDE, 200_000, 32_000),
    "anthropic/claude-sonnet-": _limits(_CLAUDE, 200_000, 64_000),
    "anthropic/claude-haiku-": _limits(_CLAUDE, 200_000, 64_000),
    # Claude models released before adaptive thinking (3.7 Sonnet, Sonnet 4 / 4.5, Haiku 4.5,
    # Opus 4 / 4.1 / 4.5) reject it and think within a token budget
    # (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking). "-2" catches
    # dated ids (claude-sonnet-4-20250514); "claude-sonnet-4-" alone leaves 4.6 and later adaptive.
    **{f"anthropic/claude-sonnet-4{v}": _SONNET_BUDGET for v in ("", "-0", "-2", "-5", "-latest")},
    **{
        f"anthropic/claude-opus-4{v}": _OPUS_BUDGET for v in ("", "-0", "-1", "-2", "-5", "-latest")
    },
    "anthropic/claude-sonnet-4-": _limits(_CLAUDE, 200_000, 64_000),
    "anthropic/claude-opus-4-": _limits(_CLAUDE, 200_000, 32_000),
    "anthropic/claude-haiku-4-5": _SONNET_BUDGET,
    "anthropic/claude-3-7-sonnet": _SONNET_BUDGET,
    # OpenAI (https://platform.openai.com/docs/models)
    "openai/": _limits(_GPT4, 128_000, 16_384),
    "openai/gpt-5": _limits(_GPT, 400_000, 128_000, audio_inputs=False),
    "openai/gpt-4-1": _limits(_GPT4, 1_047_576, 32_768),
    "openai/gpt-4o": _limits(_GPT4, 128_000, 16_384, audio_inputs=True),
    "openai/o3": _limits(_GPT, 200_000, 100_000),
    "openai/o4-mini": _limits(_GPT, 200_000, 100_000),
    "openai/text-embedding-": _P(context_window=8_191, task="text-embeddings"),
    # Google (https://ai.google.dev/gemini-api/docs/models)
    "google/gemini-": _limits(_GPT, 1_048_576, 65_536, audio_inputs=True, image_tool_results=False),
    # Other third-party chat models reached through the OpenAI-compatible endpoints.
    "deepseek/": _limits(_WORKERS_CHAT, 128_000, 8_192, endpoints=_ALL_ENDPOINTS, reasoning=True),
    "xai/": _limits(_GPT4, 256_000, 32_768, reasoning=True),
    "mistral/": _limits(_GPT4, 128_000, 16_384),
    # Workers AI (https://developers.cloudflare.com/workers-ai/models/): never on /ai/v1/messages.
    "@cf/": _P(endpoints=_NO_WORKERS_MESSAGES),
    "@hf/": _P(endpoints=_NO_WORKERS_MESSAGES),
    "@cf/meta/llama-3-1-8b-instruct": _limits(_WORKERS_CHAT, 7_968, 2_048),
    "@cf/meta/llama-3-3-70b-instruct-fp8-fast": _limits(_WORKERS_CHAT, 24_000, 2_048),
    "@cf/meta/llama-4-scout-17b-16e-instruct": _limits(
        _WORKERS_CHAT, 131_000, 4_096, image_inputs=True
    ),
    "@cf/openai/gpt-oss-": _limits(
        _WORKERS_CHAT, 128_000, 32_768, reasoning=True, reasoning_efforts=("low", "medium", "high")
    ),
    "@cf/qwen/qwen3-": _limits(_WORKERS_CHAT, 32_768, 8_192, reasoning=True),
    "@cf/moonshotai/kimi-k2": _limits(_WORKERS_CHAT, 256_000, 16_384, reasoning=True),
    "@cf/moonshotai/kimi-k2-6": _limits(_WORKERS_CHAT, 262_144, 16_384, reasoning=True),
    "@cf/zai-org/glm-": _limits(_WORKERS_CHAT, 131_072, 16_384, reasoning=True),
    "@hf/nousresearch/hermes-2-pro-mistral-7b": _limits(_WORKERS_CHAT, 24_000, 1_024),
    "@cf/baai/bge-": _P(context_window=512, task="text-embeddings"),
    "@cf/baai/bge-m3": _P(context_window=8_192, task="text-embeddings"),
    "@cf/baai/bge-reranker-": _P(context_window=512, task="text-classification"),
    "@cf/black-forest-labs/": _P(task="text-to-image"),
    "@cf/openai/whisper": _P(task="automatic-speech-recognition"),
    "@cf/deepgram/nova-": _P(task="automatic-speech-recognition"),
    "@cf/deepgram/aura-": _P(task="text-to-speech"),
    "@cf/myshell-ai/melotts": _P(task="text-to-speech"),
}

# Exact ids the gateway's catalogue lists, with what differs from their family.
_RESPONSES_ONLY = {"endpoints": frozenset({"responses", "run"})}
_BUILTIN_CATALOGUE: dict[str, dict[str, Any]] = {
    "anthropic/claude-opus-4.8": {"context_window": 1_000_000},
    "anthropic/claude-opus-4.1": {},
    "anthropic/claude-opus-4": {},
    "anthropic/claude-sonnet-4.6": {},
    "anthropic/claude-sonnet-4.5": {},
    "anthropic/claude-sonnet-4": {},
    "anthropic/claude-haiku-4.5": {},
    "anthropic/claude-3.7-sonnet": {},
    "anthropic/claude-3.5-haiku": {},
    "openai/gpt-5.5": {},
    "openai/gpt-5.5-pro": _RESPONSES_ONLY,
    "openai/gpt-5.4-mini": {},
    "openai/gpt-5": {},
    "openai/gpt-4.1": {},
    "openai/gpt-4o": {},
    "openai/o3": {},
    "openai/o4-mini": {},
    "openai/text-embedding-3-small": {},
    "openai/text-embedding-3-large": {},
    "google/gemini-3-flash": {},
    "google/gemini-3-pro": {},
    "deepseek/deepseek-v4-pro": {},
    "xai/grok-4": {},
    "@cf/meta/llama-3.1-8b-instruct": {},
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast": {},
    "@cf/meta/llama-4-scout-17b-16e-instruct": {},
    "@cf/openai/gpt-oss-120b": {},
    "@cf/openai/gpt-oss-20b": {},
    "@cf/qwen/qwen3-30b-a3b-fp8": {},
    "@cf/moonshotai/kimi-k2.5": {},
    "@cf/moonshotai/kimi-k2.6": {},
    "@cf/zai-org/glm-5.3-flash": {},
    "@hf/nousresearch/hermes-2-pro-mistral-7b": {},
    "@cf/baai/bge-base-en-v1.5": {},
    "@cf/baai/bge-small-en-v1.5": {},
    "@cf/baai/bge-large-en-v1.5": {},
    "@cf/baai/bge-m3": {},
    "@cf/baai/bge-reranker-base": {},
    "@cf/black-forest-labs/flux-1-schnell": {},
    "@cf/openai/whisper-large-v3-turbo": {},
    "@cf/openai/whisper": {},
    "@cf/deepgram/nova-3": {},
    "@cf/deepgram/aura-1": {},
    "@cf/myshell-ai/melotts": {},
}

_FIELDS = frozenset(f.name for f in dataclasses.fields(ModelProfile)) - {"known"}
_lock = threading.Lock()
_families: dict[str, ModelProfile] = {}
_catalogue: dict[str, dict[str, Any]] = {}


def _norm(model: str) -> str:
    return model.strip().lower().replace(".", "-")


def _reset() -> None:
    with _lock:
        _families.clear()
        _families.update({_norm(k): v for k, v in _BUILTIN_FAMILIES.items()})
        _catalogue.clear()
        _catalogue.update({k: dict(v) for k, v in _BUILTIN_CATALOGUE.items()})
    get_profile.cache_clear()


@functools.lru_cache(maxsize=512)
def get_profile(model: str) -> ModelProfile:
    """The profile of ``model``: its catalogue entry over its family, or the default.

    Args:
        model: a model id such as ``openai/gpt-5.5`` or ``@cf/meta/llama-3.1-8b-instruct``.

    Returns:
        The frozen :class:`ModelProfile`; :data:`DEFAULT_PROFILE` for an id the table does not
        know at all.
    """
    name = _norm(model)
    base = DEFAULT_PROFILE
    best = -1
    for prefix, profile in _families.items():
        if len(prefix) > best and name.startswith(prefix):
            base, best = profile, len(prefix)
    overrides = _catalogue.get(model.strip())
    if overrides is None:
        return base
    return dataclasses.replace(base, **overrides, known=True)


def known_models(task: str | None = None) -> tuple[str, ...]:
    """The exact model ids the table knows (the emulator's catalogue), sorted.

    Args:
        task: only models of this catalogue task (e.g. ``"text-generation"``).
    """
    with _lock:
        ids = sorted(_catalogue)
    return tuple(m for m in ids if task is None or get_profile(m).task == task)


def register_profile(
    model: str, profile: ModelProfile | None = None, *, family: bool = False, **fields: Any
) -> ModelProfile:
    """Add a model (or a family) to the table, or change what it says about one.

    Args:
        model: an exact model id (it joins the catalogue), or with ``family=True`` an id prefix
            such as ``"@cf/acme/"`` whose models share the profile.
        profile: the whole profile; without it the current profile of ``model`` is the base.
        family: register a prefix rule instead of one model.
        **fields: :class:`ModelProfile` fields to set, e.g. ``context_window=128_000``.

    Returns:
        The profile ``get_profile(model)`` now returns.

    Raises:
        GatewayConfigError: an empty id, an unknown field name or a value of the wrong type
            (``endpoints`` and ``structured_output`` take their documented names).

    Example:
        >>> register_profile("@cf/acme/chat-7b", tool_calling=True, context_window=65_536)
    """
    if not isinstance(model, str) or not model.strip():
        raise GatewayConfigError("register_profile needs a model id such as '@cf/acme/chat-7b'.")
    unknown = sorted(set(fields) - _FIELDS)
    if unknown:
        raise GatewayConfigError(
            f"register_profile got unknown field(s) {unknown}; known fields: {sorted(_FIELDS)}."
        )
    base = profile if profile is not None else get_profile(model)
    fields = {name: _checked_field(name, value) for name, value in fields.items()}
    if "max_output_tokens" in fields and "default_max_tokens" not in fields:
        # The Messages default max_tokens may not ask for more than the model can write.
        fields["default_max_tokens"] = min(base.default_max_tokens, fields["max_output_tokens"])
    new = dataclasses.replace(base, **fields, known=False)
    with _lock:
        if family:
            _families[_norm(model)] = new
        else:
            values = {f: getattr(new, f) for f in _FIELDS}
            _catalogue[model.strip()] = values
    get_profile.cache_clear()
    return get_profile(model)


_INT_FIELDS = frozenset({"context_window", "max_output_tokens", "default_max_tokens"})
_SET_FIELDS = {"endpoints": _ALL_ENDPOINTS, "structured_output": _ALL_STRUCTURED}


def _checked_field(name: str, value: Any) -> Any:
    """``value`` for the :class:`ModelProfile` field ``name``, in the field's type.

    Both adapters read these values (LangChain's ``profile``, LlamaIndex's ``metadata``, the
    routing), so a wrong type would be read differently by each, or fail far from its cause.

    Raises:
        GatewayConfigError: a value of the wrong type, or a name outside the field's choices.
    """
    if name in _INT_FIELDS:
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        expected = "a positive int"
    elif name in _SET_FIELDS or name == "reasoning_efforts":
        choices = _SET_FIELDS.get(name)
        items = tuple(value) if _iterable(value) and not isinstance(value, str) else None
        ok = items is not None and all(isinstance(item, str) for item in items)
        ok = ok and (choices is None or set(items or ()) <= choices)
        ok = ok and (name != "endpoints" or bool(items))
        expected = f"a list of {sorted(choices)}" if choices else "a list of strings"
        if ok:
            return tuple(items or ()) if choices is None else frozenset(items or ())
    elif name == "task":
        ok, expected = isinstance(value, str) and bool(value), "a task name"
    else:
        ok, expected = isinstance(value, bool), "True or False"
    if not ok:
        raise GatewayConfigError(f"register_profile: {name} must be {expected}, got {value!r}.")
    return value


def _iterable(value: Any) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


def suggest_model(model: str) -> str | None:
    """The catalogue id ``model`` most likely meant, or ``None``.

    Covers a missing author prefix (``gpt-5.5`` -> ``openai/gpt-5.5``), dashes for dots
    (``anthropic/claude-sonnet-4-5`` -> ``anthropic/claude-sonnet-4.5``), case, and near misses.
    Returns ``None`` for an id the catalogue knows.
    """
    model = model.strip() if isinstance(model, str) else ""
    with _lock:
        ids = list(_catalogue)
    if not model or model in ids:
        return None
    by_norm = {_norm(m): m for m in ids}
    by_name = {_norm(m.rpartition("/")[2]): m for m in ids}
    exact = by_norm.get(_norm(model)) or by_name.get(_norm(model.rpartition("/")[2]))
    if exact is not None:
        return exact
    import difflib  # only when a hint is needed

    close = difflib.get_close_matches(_norm(model), list(by_norm), n=1, cutoff=0.85)
    return by_norm[close[0]] if close else None


_reset()
