"""What every LangChain class with a connection holds: a core ``GatewaySession``.

:class:`SessionModel` is a pydantic mixin with no fields of its own: each class declares the
connection fields itself (``account_id``, ``api_token``…), because pydantic orders a model's
fields base class first and that order is the order of ``repr``, ``model_dump`` and ``dumps``
output, where the chat model interleaves its own fields. :meth:`SessionModel._open_session`
resolves those fields with :meth:`GatewaySession.resolve` (explicit > environment > a
``GatewayConfigError`` naming keyword and variable), writes the resolved values back to the
fields and keeps the session, which builds each core client on first use.

Travelling (pickle, cloudpickle, ``copy``, ``deepcopy``, ``model_copy``): the fields and the
session travel as settings (the token as a ``SecretStr`` / ``Secret``); HTTP clients are rebuilt
where the object arrives. A caller-owned httpx client cannot be pickled (a ``TypeError`` naming
the class and the keyword); copies share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr, field_validator, model_validator

from cf_gateway_core import AsyncGatewayClient, GatewayClient, GatewayOptions
from cf_gateway_core.pydantic_fields import (
    SETTING_NAMES,
    SettingsFollowAssignment,
    open_session,
    refuse_caller_owned,
    session_of,
    share_caller_owned,
    strict_setting,
)
from cf_gateway_core.session import (
    GatewaySession,
    constructor_keywords,
    normalize_constructor_kwargs,
)

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

__all__ = ["SessionModel"]


class SessionModel(SettingsFollowAssignment, BaseModel):
    """A ``GatewaySession`` behind the connection fields a class declares."""

    # defer_build: this mixin is never validated itself (each class using it builds its own
    # schema); it is taken out of model_config below so that the classes using the mixin are
    # built at class creation as usual.
    model_config = ConfigDict(defer_build=True)

    if TYPE_CHECKING:
        # Declared, with their docstrings and in their repr order, by each class.
        account_id: str | None
        api_token: SecretStr | None
        gateway_id: str | None
        base_url: str | None
        timeout: float | None
        max_retries: int
        gateway_options: GatewayOptions | dict[str, Any] | None
        allow_insecure_http: bool
        http_client: httpx.Client | None
        http_async_client: httpx.AsyncClient | None

    # "2", True or "false" are refused, not coerced (fields a class lacks are skipped).
    _strict_settings = field_validator(*SETTING_NAMES, mode="before", check_fields=False)(
        strict_setting
    )

    _session: GatewaySession = PrivateAttr()

    _embedding_endpoints: ClassVar[bool] = False
    """``endpoint`` takes the embedding values (``auto``, ``run``) instead of the chat ones."""

    @model_validator(mode="before")
    @classmethod
    def _normalize_keywords(cls, data: Any) -> Any:
        # The core's constructor policy, as in LlamaIndex: an unknown keyword is the same
        # GatewayConfigError with a did-you-mean hint (pydantic's "Extra inputs are not
        # permitted" would quote the value, a mistyped api_token's included), api_key and
        # api_token together are one setting, an unknown endpoint names the values it takes.
        if not isinstance(data, dict):
            return data
        return normalize_constructor_kwargs(
            data,
            embeddings=cls._embedding_endpoints,
            known=constructor_keywords(cls),
            owner=cls.__name__,
        )

    def _open_session(self) -> GatewaySession:
        """Resolve the connection fields into a session and write the resolved values back.

        ``gateway_options`` is stored as a dict. No client is built and no request is sent.

        Raises:
            GatewayConfigError: missing credentials or an invalid value.
        """
        session = open_session(self)
        config, options = session.config, session.options
        self.gateway_options = options.as_dict() if options is not None else None
        self.account_id, self.gateway_id = config.account_id, config.gateway_id
        self.base_url = config.base_url
        self.api_token = SecretStr(config.api_token.get_secret_value())
        self._session = session
        return session

    @property
    def _client(self) -> GatewayClient:
        # Built on first sync use: a default httpx.Client costs ~20 ms (TLS context), which
        # async users and short-lived instances should not pay at construction.
        return session_of(self).client

    @property
    def _async_client(self) -> AsyncGatewayClient:
        return session_of(self).aclient

    def __getstate__(self) -> dict[Any, Any]:
        """Pydantic's state; the session inside pickles as its settings.

        Raises:
            TypeError: ``http_client`` or ``http_async_client`` was given (a caller-owned httpx
                client cannot be pickled; the message says what to do instead).
        """
        refuse_caller_owned(self)
        state: dict[Any, Any] = super().__getstate__()
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy with a fresh session; caller-owned httpx clients are shared."""
        return super().__deepcopy__(share_caller_owned(self, memo))


SessionModel.model_config.pop("defer_build")
