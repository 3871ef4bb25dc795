"""Model-prefix routing: which endpoint and path a model id goes to.

The only module that knows model prefixes. Policy lives in the tables at the top; an impossible
model/endpoint pair raises :class:`~cf_gateway_core.errors.GatewayConfigError` before any I/O.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum

from cf_gateway_core._values import value_class
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.profiles import get_profile

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "ModelKind",
    "ModelRef",
    "Route",
    "embeddings_route",
    "parse_model",
    "resolve_route",
]


class Endpoint(str, Enum):
    """The REST surfaces of the gateway (``auto`` is resolved from the model)."""

    CHAT_COMPLETIONS = "chat_completions"
    MESSAGES = "messages"
    RESPONSES = "responses"
    RUN = "run"
    EMBEDDINGS = "embeddings"


class ModelKind(str, Enum):
    """What a model id names, decided by its prefix."""

    WORKERS_AI = "workers_ai"
    """``@cf/…`` and ``@hf/…`` models served by Workers AI."""
    ANTHROPIC = "anthropic"
    """``anthropic/…`` models (Anthropic Messages natively)."""
    THIRD_PARTY = "third_party"
    """Any other ``author/model`` (OpenAI Chat-shaped on the unified endpoints)."""


ENDPOINTS: tuple[str, ...] = ("auto", "chat_completions", "messages", "responses", "run")
"""The values a user may pass as ``endpoint``."""

_PREFIX_KINDS: dict[str, ModelKind] = {
    "@cf/": ModelKind.WORKERS_AI,
    "@hf/": ModelKind.WORKERS_AI,
    "anthropic/": ModelKind.ANTHROPIC,
}

_DEFAULT_ENDPOINT: dict[ModelKind, Endpoint] = {
    ModelKind.WORKERS_AI: Endpoint.CHAT_COMPLETIONS,
    ModelKind.ANTHROPIC: Endpoint.MESSAGES,
    ModelKind.THIRD_PARTY: Endpoint.CHAT_COMPLETIONS,
}

# Workers AI models are not accepted on /ai/v1/messages — docs/wire-notes.md §1.1 [C].
_FORBIDDEN: dict[ModelKind, frozenset[Endpoint]] = {
    ModelKind.WORKERS_AI: frozenset({Endpoint.MESSAGES}),
    ModelKind.ANTHROPIC: frozenset(),
    ModelKind.THIRD_PARTY: frozenset(),
}

# The endpoints a Responses-only model (ModelProfile.responses_only) can use — the catalogue's
# "Request formats" (docs/gateway-2026.md).
_RESPONSES_ONLY_ENDPOINTS = frozenset({Endpoint.RESPONSES, Endpoint.RUN})

_PATHS: dict[Endpoint, str] = {
    Endpoint.CHAT_COMPLETIONS: "ai/v1/chat/completions",
    Endpoint.MESSAGES: "ai/v1/messages",
    Endpoint.RESPONSES: "ai/v1/responses",
    Endpoint.RUN: "ai/run",
    Endpoint.EMBEDDINGS: "ai/v1/embeddings",
}


# Model ids the REST API does not serve: dynamic routes and the Auto Router are documented on the
# OpenAI-compatible gateway endpoint only — docs/gateway-2026.md. Prefix -> what it is.
_NOT_ON_REST: dict[str, str] = {
    "dynamic/": "a dynamic route",
    "cloudflare/auto": "the Auto Router",
}
_COMPAT_URL = "https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/compat"


# A model id placed in the URL (/ai/run/@cf/author/model) may only hold URL-safe characters, so
# it can never add a query, a fragment or a dot segment. Pattern text:
# re compiles (and caches) it on first use, not at import.
_URL_SEGMENT = r"[A-Za-z0-9_~.:-]+"


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ModelRef:
    """A parsed model id."""

    id: str
    kind: ModelKind
    author: str
    name: str


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Route:
    """Where a request goes: endpoint, path relative to the account URL, and the model."""

    endpoint: Endpoint
    path: str
    model: ModelRef

    @property
    def native(self) -> bool:
        """True for Workers AI's native ``/ai/run/{model}`` path (model in the URL)."""
        return self.endpoint is Endpoint.RUN and self.model.kind is ModelKind.WORKERS_AI

    @property
    def anthropic_body(self) -> bool:
        """True when the body is an Anthropic Messages body.

        That is every model on ``/ai/v1/messages``, and ``anthropic/`` models nested in
        ``/ai/run``.
        """
        return self.endpoint is Endpoint.MESSAGES or (
            self.endpoint is Endpoint.RUN and self.model.kind is ModelKind.ANTHROPIC
        )

    @property
    def takes_response_format(self) -> bool:
        """False where the body has no ``response_format``.

        Anthropic Messages bodies have none: the wire module refuses it, and structured output
        goes through a forced tool call.
        """
        return not self.anthropic_body


def parse_model(model: str) -> ModelRef:
    """Parse ``author/model``, ``@cf/author/model`` or ``@hf/author/model``.

    Raises:
        GatewayConfigError: the id is empty or has no ``author/`` prefix.
    """
    model = model.strip() if isinstance(model, str) else model
    if not isinstance(model, str) or not model:
        raise GatewayConfigError(
            "model is required: pass model='openai/gpt-5.5', 'anthropic/claude-sonnet-4.5' "
            "or a Workers AI id such as '@cf/meta/llama-3.1-8b-instruct'."
        )
    for prefix, kind in _PREFIX_KINDS.items():
        if model.startswith(prefix):
            rest = model[len(prefix) :] if kind is ModelKind.WORKERS_AI else model
            author, _, name = rest.partition("/")
            if author and name:
                return ModelRef(model, kind, author, name)
    _check_rest_model(model)
    author, _, name = model.partition("/")
    if not author or not name or author.startswith("@"):
        raise GatewayConfigError(
            f"model {model!r} has no author prefix.{_did_you_mean(model)} The gateway names "
            "models 'author/model' (e.g. 'openai/gpt-5.5', 'anthropic/claude-sonnet-4.5', "
            "'google/gemini-3-flash') or '@cf/author/model' for Workers AI."
        )
    return ModelRef(model, ModelKind.THIRD_PARTY, author, name)


def _check_rest_model(model: str) -> None:
    for prefix, what in _NOT_ON_REST.items():
        matches = model.startswith(prefix) if prefix.endswith("/") else model == prefix
        if matches:
            raise GatewayConfigError(
                f"model {model!r} is {what}, which Cloudflare's REST API "
                "(api.cloudflare.com/client/v4/accounts/{account_id}/ai/...) does not serve: "
                "dynamic routing and the Auto Router are documented only on the gateway's "
                f"OpenAI-compatible endpoint {_COMPAT_URL}/chat/completions. Pass a catalogue "
                "model instead (e.g. 'openai/gpt-5.5' or '@cf/meta/llama-3.1-8b-instruct'), or "
                "call that endpoint with an OpenAI client. See "
                "https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/"
            )


def _did_you_mean(model: str) -> str:
    from cf_gateway_core.profiles import suggest_model  # the table, only for a hint

    suggestion = suggest_model(model)
    return f" Did you mean {suggestion!r}?" if suggestion else ""


def _slug(model: str) -> str:
    return model.lower().replace(".", "-")


@functools.lru_cache(maxsize=256)
def _spelled_differently(model: str) -> str | None:
    """The catalogue id ``model`` is a respelling of (dashes for dots, case), if any."""
    from cf_gateway_core.profiles import suggest_model

    suggestion = suggest_model(model)
    return suggestion if suggestion is not None and _slug(suggestion) == _slug(model) else None


def _check_spelling(ref: ModelRef) -> None:
    """Refuse an id the table knows under another spelling: the gateway would answer 404."""
    from cf_gateway_core.profiles import get_profile

    if get_profile(ref.id).known:
        return
    known = _spelled_differently(ref.id)
    if known is not None:
        raise GatewayConfigError(
            f"model {ref.id!r} is not a gateway model id: did you mean {known!r}? "
            "(Model slugs keep the dots of version numbers, in lower case.)"
        )


def resolve_route(model: str, endpoint: str | Endpoint = "auto") -> Route:
    """Resolve the endpoint and path for ``model``.

    Args:
        model: the model id.
        endpoint: ``auto`` (from the model prefix) or one of ``chat_completions``, ``messages``,
            ``responses``, ``run``.

    Raises:
        GatewayConfigError: unknown endpoint, malformed model, or an impossible pair (such as an
            ``@cf/`` model on ``messages``).
    """
    ref = parse_model(model)
    _check_spelling(ref)
    value = endpoint.value if isinstance(endpoint, Endpoint) else endpoint
    responses_only = get_profile(ref.id).responses_only
    if value == "auto":
        chosen = Endpoint.RESPONSES if responses_only else _DEFAULT_ENDPOINT[ref.kind]
    elif value in ENDPOINTS:
        chosen = Endpoint(value)
    else:
        raise GatewayConfigError(
            f"endpoint {value!r} is not known; pass endpoint= one of {', '.join(ENDPOINTS)}."
        )
    if responses_only and chosen not in _RESPONSES_ONLY_ENDPOINTS:
        raise GatewayConfigError(
            f"model {model!r} speaks only OpenAI's Responses API (the model table, after "
            "Cloudflare's model catalogue, lists no Chat Completions or Messages format for it); "
            f"endpoint={chosen.value!r} cannot serve it. Use endpoint='auto' or 'responses' "
            "(/ai/v1/responses), or 'run' (/ai/run with a Responses-shaped input)."
        )
    if chosen in _FORBIDDEN[ref.kind]:
        raise GatewayConfigError(
            f"model {model!r} cannot be served on the {chosen.value!r} endpoint "
            "(Workers AI models do not speak Anthropic Messages); use endpoint='auto', "
            "'chat_completions' or 'run'."
        )
    if chosen is Endpoint.RUN and ref.kind is ModelKind.WORKERS_AI:
        return Route(chosen, _native_run_path(ref), ref)
    return Route(chosen, _PATHS[chosen], ref)


def _native_run_path(ref: ModelRef) -> str:
    # The @cf/ path segments are sent literally, slashes unescaped — docs/wire-notes.md §1.1 [C].
    segments = ref.id.split("/")[1:]
    if not all(re.fullmatch(_URL_SEGMENT, s) and s.strip(".") for s in segments):
        raise GatewayConfigError(
            f"model {ref.id!r} cannot be placed in the /ai/run/ URL: each part of a Workers AI "
            "model id must be letters, digits, '-', '_', '.', ':' or '~' (for example "
            "'@cf/meta/llama-3.1-8b-instruct')."
        )
    return f"{_PATHS[Endpoint.RUN]}/{ref.id}"


def embeddings_route(model: str, endpoint: str = "auto") -> Route:
    """Route for an embeddings call.

    ``/ai/v1/embeddings`` or, with ``endpoint='run'`` and a Workers AI model, the native
    ``/ai/run/{model}`` path.

    Raises:
        GatewayConfigError: malformed model or an endpoint embeddings cannot use.
    """
    ref = parse_model(model)
    _check_spelling(ref)
    if endpoint in ("auto", "embeddings"):
        return Route(Endpoint.EMBEDDINGS, _PATHS[Endpoint.EMBEDDINGS], ref)
    if endpoint == "run" and ref.kind is ModelKind.WORKERS_AI:
        return Route(Endpoint.RUN, _native_run_path(ref), ref)
    raise GatewayConfigError(
        f"embeddings cannot use endpoint {endpoint!r} with model {model!r}; pass endpoint='auto' "
        "(/ai/v1/embeddings) or endpoint='run' with an '@cf/' embedding model."
    )
