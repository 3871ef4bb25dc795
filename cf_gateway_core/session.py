"""What both framework adapters share: the session they hold and one policy for their keywords.

The adapters are thin pydantic shells. :class:`GatewaySession` resolves their configuration and
owns the core clients (the sync one and the async one, each built on first use); the
constructor keyword rules live here too (the per-call ones in :mod:`cf_gateway_core.calls`), so
the same mistake gets the same :class:`~cf_gateway_core.errors.GatewayConfigError`, with the
same message, in LangChain and in LlamaIndex.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from cf_gateway_core.calls import check_chat_endpoint
from cf_gateway_core.checks import HINT_CUTOFF, cannot_travel_message, check_flag, closest_name
from cf_gateway_core.client import FAST_TRANSPORT_DEPRECATED, AsyncGatewayClient, GatewayClient
from cf_gateway_core.config import GatewayConfig, reveal_secret
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.options import GatewayOptions
from cf_gateway_core.routing import embeddings_route

if TYPE_CHECKING:
    import httpx

__all__ = [
    "EMBEDDING_ENDPOINTS",
    "constructor_keywords",
    "GatewaySession",
    "check_chat_endpoint",
    "normalize_constructor_kwargs",
]

EMBEDDING_ENDPOINTS: tuple[str, ...] = ("auto", "run")
"""The ``endpoint`` values the embedding classes take."""


def _merge_token_alias(data: dict[str, Any]) -> None:
    # api_key is an alias of api_token (as in langchain-openai and llama-index-llms-openai): one
    # setting. Both given with different values is a mistake, never a silent pick of one.
    if "api_key" not in data or "api_token" not in data:
        return
    key, token = data.pop("api_key"), data["api_token"]
    if key is not None and token is not None and reveal_secret(key) != reveal_secret(token):
        raise GatewayConfigError(
            "api_key and api_token are one setting (api_key is an alias of api_token) and were "
            "given different values; pass only api_token= (or set CLOUDFLARE_API_TOKEN)."
        )
    if token is None:
        data["api_token"] = key


def _check_embedding_endpoint(model: object, endpoint: object) -> None:
    if endpoint not in EMBEDDING_ENDPOINTS:
        name = model if isinstance(model, str) and model else "@cf/baai/bge-base-en-v1.5"
        embeddings_route(name, str(endpoint))  # raises with the shared message


def _check_known(data: Mapping[str, Any], known: Collection[str], owner: str) -> None:
    unknown = sorted(key for key in data if key not in known)
    if not unknown:
        return
    hints = []
    for key in unknown:
        close = closest_name(key, known, cutoff=HINT_CUTOFF)
        hints.append(f"{key!r} (did you mean {close!r}?)" if close else repr(key))
    raise GatewayConfigError(
        f"{owner} got unknown keyword argument(s) {', '.join(hints)}; nothing is ignored "
        "silently, so check the spelling against the class's documented parameters."
    )


def normalize_constructor_kwargs(
    data: Mapping[str, Any],
    *,
    embeddings: bool = False,
    known: Collection[str] | None = None,
    owner: str = "the model",
) -> dict[str, Any]:
    """The constructor keywords of an adapter class, checked the same way in both frameworks.

    - ``api_key`` and ``api_token`` together: accepted when equal, else a configuration error;
    - an unknown ``endpoint``: a configuration error naming the values it may take.

    Args:
        data: the keywords as passed to the class.
        embeddings: the class is an embedding class (``endpoint`` is ``auto`` or ``run``).
        known: the keywords the class takes; any other is refused (for frameworks whose models
            ignore unknown keywords, such as LlamaIndex's).
        owner: the class name used in that message.

    Returns:
        A new dict with ``api_key`` folded into ``api_token`` when both were given.

    Raises:
        GatewayConfigError: one of the mistakes above.
    """
    if known is not None:
        _check_known(data, known, owner)
    out = dict(data)
    _merge_token_alias(out)
    if "endpoint" in out:
        if embeddings:
            _check_embedding_endpoint(out.get("model", out.get("model_name")), out["endpoint"])
        else:
            check_chat_endpoint(out["endpoint"])
    return out


class GatewaySession:
    """A resolved configuration and the core clients built from it, for one adapter instance.

    The sync :class:`~cf_gateway_core.GatewayClient` and the async
    :class:`~cf_gateway_core.AsyncGatewayClient` are built on first use (an async-only user never
    pays for the sync one, and the reverse). A session pickles and copies as its settings: the
    config (whose token is a masked :class:`~cf_gateway_core.Secret`), the options and the
    transport flag; HTTP clients, locks and per-event-loop state are rebuilt lazily where it
    arrives. Caller-owned httpx clients cannot be pickled (``TypeError`` saying what to do);
    copies share them.
    """

    __slots__ = ("_aclient", "_ahttp", "_client", "_fast", "_http", "_lock", "config", "options")

    def __init__(
        self,
        config: GatewayConfig,
        options: GatewayOptions | None = None,
        *,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        fast_transport: bool = False,
    ) -> None:
        """Hold the settings; no client is built yet."""
        self.config = config
        self.options = options
        self._http = http_client
        self._ahttp = http_async_client
        self._fast = fast_transport
        self._client: GatewayClient | None = None
        self._aclient: AsyncGatewayClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def resolve(
        cls,
        *,
        gateway_options: GatewayOptions | Mapping[str, Any] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        fast_transport: bool = False,
        **config_kwargs: Any,
    ) -> GatewaySession:
        """Resolve the settings (explicit > environment > error) into a session.

        Args:
            gateway_options: :class:`GatewayOptions` or a dict of its fields.
            http_client: a caller-owned ``httpx.Client``.
            http_async_client: a caller-owned ``httpx.AsyncClient``.
            fast_transport: deprecated, no effect (aiohttp is the default async transport);
                ``True`` emits a ``DeprecationWarning`` here, once.
            **config_kwargs: ``account_id``, ``api_token``, ``gateway_id``, ``base_url``,
                ``timeout``, ``max_retries``, ``allow_insecure_http`` (see
                :meth:`GatewayConfig.resolve`).

        Raises:
            GatewayConfigError: a missing account id or token (the message names the keyword and
                the environment variable), or an invalid value.
        """
        options = GatewayOptions.coerce(gateway_options)
        config = GatewayConfig.resolve(**config_kwargs)
        check_flag(fast_transport, "fast_transport")
        if fast_transport:  # at construction, not at the first async call; the flag does nothing
            warnings.warn(FAST_TRANSPORT_DEPRECATED, DeprecationWarning, stacklevel=2)
        return cls(config, options, http_client=http_client, http_async_client=http_async_client)

    @property
    def client(self) -> GatewayClient:
        """The sync client, built once on first use."""
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = GatewayClient(
                        self.config, http_client=self._http, options=self.options
                    )
        return client

    @property
    def aclient(self) -> AsyncGatewayClient:
        """The async client (one HTTP session per event loop), built once on first use."""
        client = self._aclient
        if client is None:
            with self._lock:
                client = self._aclient
                if client is None:
                    client = self._aclient = AsyncGatewayClient(
                        self.config,
                        http_client=self._ahttp,
                        options=self.options,
                        fast_transport=self._fast,
                    )
        return client

    def close(self) -> None:
        """Close the sync client's connections (a caller-owned ``http_client`` stays open)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async client's connections (a caller-owned client stays open)."""
        client, self._aclient = self._aclient, None
        if client is not None:
            await client.aclose()

    def __repr__(self) -> str:
        """The account and base URL, never the token."""
        return (
            f"GatewaySession(account_id={self.config.account_id!r}, "
            f"base_url={self.config.base_url!r})"
        )

    def __getstate__(self) -> dict[str, Any]:
        """The settings only (see the class docstring).

        Raises:
            TypeError: a caller-owned httpx client was given.
        """
        for keyword, owned in (("http_client", self._http), ("http_async_client", self._ahttp)):
            if owned is not None:
                raise TypeError(cannot_travel_message(type(self).__name__, keyword))
        return {"config": self.config, "options": self.options, "fast_transport": self._fast}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`'s settings; clients are built on first use."""
        GatewaySession.__init__(
            self, state["config"], state["options"], fast_transport=state["fast_transport"]
        )

    def __copy__(self) -> GatewaySession:
        """A new session with the same settings; caller-owned httpx clients are shared."""
        return GatewaySession(
            self.config,
            self.options,
            http_client=self._http,
            http_async_client=self._ahttp,
            fast_transport=self._fast,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> GatewaySession:
        """As :meth:`__copy__`: the settings are immutable and HTTP clients are never copied."""
        return self.__copy__()


def constructor_keywords(model: type[Any]) -> frozenset[str]:
    """The keywords a pydantic model class takes: its field names and their string aliases."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for alias in (info.alias, info.validation_alias):
            if isinstance(alias, str):
                names.add(alias)
    return frozenset(names)
