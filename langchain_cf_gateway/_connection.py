"""The connection plumbing both LangChain classes share: resolve the settings, hold the clients.

:class:`GatewayConnection` is a pydantic mixin with no fields of its own: each class declares the
connection fields itself (``account_id``, ``api_token``…), because pydantic orders a model's fields
base class first and that order is the order of ``repr``, ``model_dump`` and ``dumps`` output, where
the chat model interleaves its own fields. The mixin resolves those fields with the core's
``GatewayConfig.resolve`` (explicit > environment > error), normalises them to the resolved values
and holds the core clients: the async one built at construction, the sync one on first use.
:func:`unwrapped_config_errors` lets a class raise a validator's ``GatewayConfigError`` itself
instead of pydantic's ``ValidationError`` around it; :func:`to_langchain_error` converts the core
errors in :data:`TRANSLATED_ERRORS` to their LangChain twins (:mod:`langchain_cf_gateway._errors`,
imported on the first error: its fourteen classes are not needed to import the adapter).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr, field_validator

from cf_gateway_core import (
    APIConnectionError,
    APIStatusError,
    AsyncGatewayClient,
    GatewayClient,
    GatewayConfig,
    GatewayError,
    GatewayOptions,
    StreamError,
)
from cf_gateway_core.pydantic_fields import (
    SETTING_NAMES,
    AsyncHttpClient,
    HttpClient,
    cannot_travel_message,
    strict_setting,
    unwrapped_config_errors,
)

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

__all__ = [
    "TRANSLATED_ERRORS",
    "AsyncHttpClient",
    "GatewayConnection",
    "HttpClient",
    "to_langchain_error",
    "unwrapped_config_errors",
]


_client_lock = threading.Lock()
_CALLER_OWNED = ("http_client", "http_async_client")
"""Fields holding caller-owned httpx clients: never pickled, shared by copies."""

TRANSLATED_ERRORS: tuple[type[GatewayError], ...] = (
    APIStatusError,
    APIConnectionError,
    StreamError,
)
"""The core errors :func:`to_langchain_error` converts (configuration errors pass unchanged)."""


def to_langchain_error(exc: GatewayError) -> GatewayError:
    """The LangChain twin of a core error: :func:`langchain_cf_gateway._errors.to_langchain_error`,
    imported on the first error."""
    from langchain_cf_gateway._errors import to_langchain_error as twin

    return twin(exc)


class GatewayConnection(BaseModel):
    """Resolved configuration and core clients behind the connection fields a class declares."""

    # defer_build: this mixin is never validated itself (each class using it builds its own
    # schema), so its schema is built only if someone does; it is taken out of model_config below
    # so that the classes using the mixin are built at class creation as usual.
    model_config = ConfigDict(defer_build=True)

    if TYPE_CHECKING:
        # Declared, with their docstrings and in their repr order, by each class (module docstring).
        account_id: str | None
        api_token: SecretStr | None
        gateway_id: str | None
        base_url: str | None
        timeout: float | None
        max_retries: int
        model_kwargs: dict[str, Any]
        extra_body: dict[str, Any]
        gateway_options: GatewayOptions | dict[str, Any] | None
        allow_insecure_http: bool
        fast_transport: bool
        http_client: httpx.Client | None
        http_async_client: httpx.AsyncClient | None

    # "2", True or "false" are refused, not coerced (fields a class lacks are skipped).
    _strict_settings = field_validator(*SETTING_NAMES, mode="before", check_fields=False)(
        strict_setting
    )

    _config: GatewayConfig = PrivateAttr()
    _options: GatewayOptions | None = PrivateAttr(default=None)
    _sync_client: GatewayClient | None = PrivateAttr(default=None)
    _async_client: AsyncGatewayClient = PrivateAttr()
    _extra_body: dict[str, Any] = PrivateAttr(default_factory=dict)

    def _resolve_config(self) -> GatewayConfig:
        """The settings resolved against the environment.

        Raises:
            GatewayConfigError: a missing account id or token, or an invalid value.
        """
        return GatewayConfig.resolve(
            account_id=self.account_id,
            api_token=None if self.api_token is None else self.api_token.get_secret_value(),
            gateway_id=self.gateway_id,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            allow_insecure_http=self.allow_insecure_http,
        )

    def _connect(self, config: GatewayConfig) -> None:
        """Keep ``config``, normalise the fields to it and build the async client.

        ``gateway_options`` is stored as a dict; the extra body is ``model_kwargs`` then
        ``extra_body``.

        Raises:
            GatewayConfigError: ``gateway_options`` is not a valid ``GatewayOptions`` or dict.
        """
        self._options = GatewayOptions.coerce(self.gateway_options)
        self.gateway_options = self._options.as_dict() if self._options is not None else None
        self.account_id, self.gateway_id = config.account_id, config.gateway_id
        self.base_url = config.base_url
        self.api_token = SecretStr(config.api_token.get_secret_value())
        self._config = config
        self._async_client = AsyncGatewayClient(
            config,
            http_client=self.http_async_client,
            options=self._options,
            fast_transport=self.fast_transport,
        )
        self._extra_body = {**self.model_kwargs, **self.extra_body}

    # -- travelling: pickle, cloudpickle, copy.copy, copy.deepcopy, model_copy -------------------
    # The fields and the resolved config travel (the token as a SecretStr / Secret); the core
    # clients travel as their settings and rebuild their HTTP clients on first use.

    def __getstate__(self) -> dict[Any, Any]:
        """Pydantic's state without the sync client (rebuilt on first sync use).

        Raises:
            TypeError: ``http_client`` or ``http_async_client`` was given (a caller-owned httpx
                client cannot be pickled; the message says what to do instead).
        """
        for keyword in _CALLER_OWNED:
            if getattr(self, keyword, None) is not None:
                raise TypeError(cannot_travel_message(type(self).__name__, keyword))
        state: dict[Any, Any] = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private["_sync_client"] = None
        state["__pydantic_private__"] = private
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy with fresh core clients; caller-owned httpx clients are shared."""
        memo = {} if memo is None else memo
        for keyword in _CALLER_OWNED:
            client = self.__dict__.get(keyword)
            if client is not None:
                memo[id(client)] = client  # the memo maps an object to its copy: itself
        sync = (self.__pydantic_private__ or {}).get("_sync_client")
        if sync is not None:
            memo[id(sync)] = None  # the copy builds its own sync client on first use
        return super().__deepcopy__(memo)

    @property
    def _client(self) -> GatewayClient:
        # Built on first sync use: a default httpx.Client costs ~20 ms (TLS context), which async
        # users and short-lived instances should not pay at construction.
        client = self._sync_client
        if client is None:
            with _client_lock:
                client = self._sync_client
                if client is None:
                    client = self._sync_client = GatewayClient(
                        self._config, http_client=self.http_client, options=self._options
                    )
        return client


GatewayConnection.model_config.pop("defer_build")
