"""The connection settings both LlamaIndex classes share, and the clients built from them.

:class:`GatewayFields` declares the README's configuration fields once (a pydantic mixin);
:class:`Connection` resolves them with the core's ``GatewayConfig.resolve`` at construction and
holds the core clients: the async one is event-loop safe by itself, the sync one is built on first
use (an ``httpx.Client`` costs ~30 ms to create, and async-only users never need it).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    InstanceOf,
    SecretStr,
    field_serializer,
    field_validator,
)

from cf_gateway_core import (
    AsyncGatewayClient,
    GatewayClient,
    GatewayConfig,
    GatewayOptions,
)
from cf_gateway_core.pydantic_fields import (
    SETTING_NAMES,
    AsyncHttpClient,
    HttpClient,
    cannot_travel_message,
    strict_setting,
)

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

__all__ = ["Connection", "GatewayFields"]

_CALLER_OWNED = ("http_client", "http_async_client")
"""Fields holding caller-owned httpx clients: never pickled, shared by copies."""


class GatewayFields(BaseModel):
    """Where and how to reach Cloudflare AI Gateway (the same names in every class)."""

    # defer_build: this mixin is never validated itself (each class using it builds its own
    # schema), so its schema is built only if someone does; it is taken out of model_config below
    # so that the classes using the mixin are built at class creation as usual (~5 ms of import).
    model_config = ConfigDict(
        populate_by_name=True,
        arbitrary_types_allowed=True,
        protected_namespaces=(),
        defer_build=True,
    )

    account_id: str | None = Field(
        default=None, description="Cloudflare account id; else env CLOUDFLARE_ACCOUNT_ID."
    )
    api_token: SecretStr | None = Field(
        default=None,
        alias="api_key",
        exclude=True,
        repr=False,
        description="API token (alias api_key); else env CLOUDFLARE_API_TOKEN. Never serialised.",
    )
    gateway_id: str | None = Field(
        default=None,
        description="Gateway id, sent as header cf-aig-gateway-id; else env CLOUDFLARE_GATEWAY_ID.",
    )
    base_url: str | None = Field(
        default=None,
        description=(
            "API base URL; else env CLOUDFLARE_API_BASE_URL, else "
            "https://api.cloudflare.com/client/v4."
        ),
    )
    timeout: float | None = Field(
        default=60.0, description="Seconds per request (None disables the timeout)."
    )
    max_retries: int = Field(
        default=2, description="Retries on 429/5xx/connection errors, before any streamed byte."
    )
    gateway_options: InstanceOf[GatewayOptions] | dict[str, Any] | None = Field(
        default=None,
        description=(
            "GatewayOptions (or a dict of its fields) sent as cf-aig-* headers on every request; "
            "also accepted per call as gateway_options=."
        ),
    )
    allow_insecure_http: bool = Field(
        default=False, description="Permit a plain-http base_url to a non-loopback host."
    )
    fast_transport: bool = Field(
        default=False,
        description=(
            "Deprecated, no effect: async requests go through aiohttp by default "
            "(True emits a DeprecationWarning)."
        ),
    )
    http_client: HttpClient = Field(
        default=None,
        exclude=True,
        description="A caller-owned httpx.Client (custom transport, proxies); not closed by us.",
    )
    http_async_client: AsyncHttpClient = Field(
        default=None,
        exclude=True,
        description="A caller-owned httpx.AsyncClient; not closed by us.",
    )

    # "2", True or "false" are refused, not coerced (fields a class lacks are skipped).
    _strict_settings = field_validator(*SETTING_NAMES, mode="before", check_fields=False)(
        strict_setting
    )

    @field_validator("api_token", mode="before")
    @classmethod
    def _accept_secrets(cls, value: object) -> object:
        # cf_gateway_core.Secret (and similar wrappers) as well as str / pydantic SecretStr.
        reveal = getattr(value, "get_secret_value", None)
        if callable(reveal) and not isinstance(value, SecretStr):
            return reveal()
        return value

    @field_serializer("gateway_options")
    def _dump_gateway_options(self, value: object) -> dict[str, Any] | None:
        if isinstance(value, GatewayOptions):
            return value.as_dict()
        return value if isinstance(value, dict) else None

    # -- travelling: pickle, cloudpickle, copy.copy, copy.deepcopy, model_copy -------------------

    def __getstate__(self) -> dict[Any, Any]:
        """LlamaIndex's state: the fields only; the connection is rebuilt on arrival.

        A token given as ``api_token`` travels in its ``SecretStr``; one read from
        ``CLOUDFLARE_API_TOKEN`` does not (the receiving process reads its own environment).

        Raises:
            TypeError: ``http_client`` or ``http_async_client`` was given. Checked here, before
                LlamaIndex's ``BaseComponent`` would silently drop the unpicklable client and
                the copy would quietly use a default one.
        """
        for keyword in _CALLER_OWNED:
            if getattr(self, keyword, None) is not None:
                raise TypeError(cannot_travel_message(type(self).__name__, keyword))
        state: dict[Any, Any] = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.pop("_conn", None)
        state["__pydantic_private__"] = private
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Re-run ``__init__`` with the fields (as LlamaIndex's ``BaseComponent`` does), but let
        a ``GatewayConfigError`` through instead of leaving an object without a connection.

        Raises:
            GatewayConfigError: e.g. the token came from ``CLOUDFLARE_API_TOKEN`` in the sending
                process and this process does not set it.
        """
        self.__init__(**state["__dict__"])  # type: ignore[misc]

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy with a fresh connection; caller-owned httpx clients are shared."""
        memo = {} if memo is None else memo
        for keyword in _CALLER_OWNED:
            client = self.__dict__.get(keyword)
            if client is not None:
                memo[id(client)] = client  # the memo maps an object to its copy: itself
        return super().__deepcopy__(memo)

    def _connect(self) -> Connection:
        """Resolve the configuration (explicit > environment > error) and build the clients.

        Raises:
            GatewayConfigError: a missing account id or token (the message names the keyword and
                the environment variable), or an invalid value.
        """
        options = GatewayOptions.coerce(self.gateway_options)
        self.gateway_options = options
        token = self.api_token.get_secret_value() if self.api_token is not None else None
        config = GatewayConfig.resolve(
            account_id=self.account_id,
            api_token=token,
            gateway_id=self.gateway_id,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            allow_insecure_http=self.allow_insecure_http,
        )
        return Connection(
            config,
            options,
            self.http_client,
            self.http_async_client,
            fast_transport=self.fast_transport,
        )


GatewayFields.model_config.pop("defer_build")


class Connection:
    """A resolved config with its sync client (built on first use) and async client."""

    __slots__ = ("_client", "_fast_transport", "_http", "_lock", "_options", "aclient", "config")

    def __init__(
        self,
        config: GatewayConfig,
        options: GatewayOptions | None,
        http_client: httpx.Client | None,
        http_async_client: httpx.AsyncClient | None,
        *,
        fast_transport: bool = False,
    ) -> None:
        """Hold the config; the async client keeps its connections per event loop."""
        self.config = config
        self._options = options
        self._http = http_client
        self._client: GatewayClient | None = None
        self._lock = threading.Lock()
        self._fast_transport = fast_transport
        self.aclient = AsyncGatewayClient(
            config, http_client=http_async_client, options=options, fast_transport=fast_transport
        )

    def __getstate__(self) -> dict[str, Any]:
        """The settings only: clients, their pools and the lock are rebuilt on arrival.

        Raises:
            TypeError: a caller-owned httpx client was given (it cannot be pickled).
        """
        for keyword, client in (("http_client", self._http), ("http_async_client", self._user)):
            if client is not None:
                raise TypeError(cannot_travel_message("Connection", keyword))
        return {
            "config": self.config,
            "options": self._options,
            "fast_transport": self._fast_transport,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`'s settings."""
        self.__init__(  # type: ignore[misc]
            state["config"], state["options"], None, None, fast_transport=state["fast_transport"]
        )

    def __copy__(self) -> Connection:
        """A new connection with the same settings and the same caller-owned clients."""
        return Connection(
            self.config,
            self._options,
            self._http,
            self._user,
            fast_transport=self._fast_transport,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> Connection:
        """As :meth:`__copy__` (the settings are immutable; HTTP clients are never copied)."""
        return self.__copy__()

    @property
    def _user(self) -> httpx.AsyncClient | None:
        user: httpx.AsyncClient | None = self.aclient._caller_http()
        return user

    def __repr__(self) -> str:
        """The account and base URL, never the token."""
        return (
            f"Connection(account_id={self.config.account_id!r}, base_url={self.config.base_url!r})"
        )

    @property
    def client(self) -> GatewayClient:
        """The sync client, created once on first use."""
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = GatewayClient(
                        self.config, http_client=self._http, options=self._options
                    )
        return client
