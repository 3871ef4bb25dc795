"""The connection fields every LlamaIndex class declares, resolved into the core session.

:class:`GatewayFields` is a pydantic mixin: it declares the README's connection settings once,
checks the constructor keywords with the core's shared policy (unknown keywords are refused with a
hint, ``api_key``/``api_token`` folded, a pydantic-wrapped ``GatewayConfigError`` raised as
itself) and holds a :class:`~cf_gateway_core.session.GatewaySession`, which resolves the settings
and builds the core clients on first use.

Travelling follows LlamaIndex's convention (``BaseComponent`` pickles the fields and re-runs
``__init__`` on arrival), so a token read from ``CLOUDFLARE_API_TOKEN`` is read again from the
receiving process's environment instead of travelling; the session itself never travels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_serializer,
    field_validator,
)

from cf_gateway_core import GatewayOptions
from cf_gateway_core.pydantic_fields import (
    SETTING_NAMES,
    AsyncHttpClient,
    HttpClient,
    OptionsField,
    SettingsFollowAssignment,
    open_session,
    refuse_caller_owned,
    reveal_secret,
    share_caller_owned,
    strict_setting,
    unwrapped_config_errors,
)
from cf_gateway_core.session import (
    GatewaySession,
    constructor_keywords,
    normalize_constructor_kwargs,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["GatewayFields"]


class GatewayFields(SettingsFollowAssignment, BaseModel):
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

    _embedding_endpoints: ClassVar[bool] = False
    """``endpoint`` takes the embedding values (``auto``, ``run``) instead of the chat ones."""

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
    gateway_options: OptionsField = Field(
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

    _session: GatewaySession = PrivateAttr()

    # "2", True or "false" are refused, not coerced (fields a class lacks are skipped).
    _strict_settings = field_validator(*SETTING_NAMES, mode="before", check_fields=False)(
        strict_setting
    )

    def __init__(self, **data: Any) -> None:
        """Check the keywords, validate the fields, run the class's checks, open the session.

        Raises:
            GatewayConfigError: an unknown keyword (with a did-you-mean hint), ``api_key`` and
                ``api_token`` with different values, an unknown ``endpoint``, missing
                credentials, an invalid value, or a failed check of the class.
        """
        kwargs = normalize_constructor_kwargs(
            data,
            embeddings=self._embedding_endpoints,
            known=constructor_keywords(type(self)),
            owner=type(self).__name__,
        )
        with unwrapped_config_errors():
            super().__init__(**kwargs)
        self._check()
        self._session = self._open_session()

    def _check(self) -> None:
        """Refuse what the fields allow but the class cannot use (before any session exists)."""

    @field_validator("api_token", mode="before")
    @classmethod
    def _accept_secrets(cls, value: object) -> object:
        # cf_gateway_core.Secret (and similar wrappers) as well as str / pydantic SecretStr.
        return value if isinstance(value, SecretStr) else reveal_secret(value)

    @field_serializer("gateway_options")
    def _dump_gateway_options(self, value: object) -> dict[str, Any] | None:
        if isinstance(value, GatewayOptions):
            return value.as_dict()
        return value if isinstance(value, dict) else None

    def _open_session(self) -> GatewaySession:
        """Resolve the settings (explicit > environment > error) into a core session.

        Raises:
            GatewayConfigError: a missing account id or token (the message names the keyword and
                the environment variable), or an invalid value.
        """
        session = open_session(self)
        self.gateway_options = session.options
        return session

    # -- travelling: pickle, cloudpickle, copy.copy, copy.deepcopy, model_copy -------------------

    def __getstate__(self) -> dict[Any, Any]:
        """LlamaIndex's state: the fields only; the session is opened again on arrival.

        A token given as ``api_token`` travels in its ``SecretStr``; one read from
        ``CLOUDFLARE_API_TOKEN`` does not (the receiving process reads its own environment).

        Raises:
            TypeError: ``http_client`` or ``http_async_client`` was given. Checked here, before
                LlamaIndex's ``BaseComponent`` would silently drop the unpicklable client and
                the copy would quietly use a default one.
        """
        refuse_caller_owned(self)
        state: dict[Any, Any] = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.pop("_session", None)
        state["__pydantic_private__"] = private
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Re-run ``__init__`` with the fields, as LlamaIndex's ``BaseComponent`` does.

        Unlike ``BaseComponent``, a ``GatewayConfigError`` goes through instead of leaving an
        object without a session.

        Raises:
            GatewayConfigError: e.g. the token came from ``CLOUDFLARE_API_TOKEN`` in the sending
                process and this process does not set it.
        """
        self.__init__(**state["__dict__"])  # type: ignore[misc]

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy with its own session; caller-owned httpx clients are shared."""
        return super().__deepcopy__(share_caller_owned(self, memo))


GatewayFields.model_config.pop("defer_build")
