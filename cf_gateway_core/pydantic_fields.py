"""Pydantic helpers (and the core's input checks) the framework adapters share.

``HttpClient`` / ``AsyncHttpClient`` accept ``None`` or an ``httpx.Client`` /
``httpx.AsyncClient``. httpx is imported only when a client is passed (the caller has imported it
already), so importing an adapter does not cost httpx's import; type checkers see the httpx types.
``OptionsField`` accepts ``None``, a ``GatewayOptions`` or a mapping of its fields (checked field
by field when the session resolves) without pydantic building a schema of ``GatewayOptions``.

:func:`strict_setting` is the "before" validator of the settings pydantic would otherwise coerce
(``max_retries="2"``, ``timeout=True``, ``allow_insecure_http="false"``…), and
:func:`unwrapped_config_errors` re-raises the ``GatewayConfigError`` a validator raised instead of
pydantic's ``ValidationError`` around it.

:func:`open_session`, :func:`refuse_caller_owned` and :func:`share_caller_owned` are the connection
plumbing both adapters' pydantic classes use: resolve the connection fields into a
:class:`~cf_gateway_core.session.GatewaySession`, refuse to pickle a caller-owned httpx client, and
let deep copies share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import PlainValidator, SecretStr, ValidationError, ValidationInfo

from cf_gateway_core.checks import (
    SETTING_NAMES,
    SealedHeaders,
    cannot_travel_message,
    check_extra_headers,
    check_setting,
    masked_headers,
)
from cf_gateway_core.config import reveal_secret
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.options import GatewayOptions
from cf_gateway_core.session import GatewaySession

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

__all__ = [
    "CALLER_OWNED",
    "CONNECTION_FIELDS",
    "SETTING_NAMES",
    "SHARED_SETTINGS",
    "AsyncHttpClient",
    "HttpClient",
    "OptionsField",
    "SettingsFollowAssignment",
    "SealedHeaders",
    "cannot_travel_message",
    "connection_changes",
    "check_extra_headers",
    "masked_headers",
    "open_session",
    "refuse_caller_owned",
    "reopen_session",
    "reveal_secret",
    "session_of",
    "share_caller_owned",
    "shared_settings",
    "strict_setting",
    "unwrapped_config_errors",
]


CALLER_OWNED = ("http_client", "http_async_client")
"""Fields holding caller-owned httpx clients: never pickled, shared by copies."""

SHARED_SETTINGS = (
    "account_id",
    "api_token",
    "gateway_id",
    "base_url",
    "timeout",
    "max_retries",
    "allow_insecure_http",
    *CALLER_OWNED,
)
"""The connection settings one object hands to another (the feedback classes' ``from_model`` /
``from_llm``); ``gateway_options`` stays with its model."""

CONNECTION_FIELDS = frozenset({*SHARED_SETTINGS, "gateway_options", "fast_transport"})
"""The fields :func:`open_session` reads: changing one after construction re-opens the session."""


def shared_settings(model: object) -> dict[str, Any]:
    """The :data:`SHARED_SETTINGS` that ``model`` has, by name."""
    return {name: getattr(model, name) for name in SHARED_SETTINGS if hasattr(model, name)}


def open_session(model: Any) -> GatewaySession:
    """Resolve a model's connection fields into a session (explicit > environment > error).

    No client is built and no request is sent.

    Args:
        model: an adapter object with the README's connection fields (``account_id``,
            ``api_token``, ``gateway_id``, ``base_url``, ``timeout``, ``max_retries``,
            ``allow_insecure_http``, ``gateway_options``, ``http_client``,
            ``http_async_client`` and, where declared, ``fast_transport``).

    Raises:
        GatewayConfigError: a missing account id or token (the message names the keyword and the
            environment variable), or an invalid value.
    """
    token = model.api_token
    return GatewaySession.resolve(
        account_id=model.account_id,
        api_token=None if token is None else token.get_secret_value(),
        gateway_id=model.gateway_id,
        base_url=model.base_url,
        timeout=model.timeout,
        max_retries=model.max_retries,
        allow_insecure_http=model.allow_insecure_http,
        gateway_options=model.gateway_options,
        http_client=model.http_client,
        http_async_client=model.http_async_client,
        fast_transport=getattr(model, "fast_transport", False),
    )


def session_of(model: Any) -> GatewaySession:
    """An adapter object's open session (its ``_session`` private attribute).

    Read from pydantic's ``__pydantic_private__`` dict: reading a private attribute by name goes
    through ``BaseModel.__getattr__`` after two ``AttributeError``s (several microseconds, on
    every call of a chat model), this is one dict lookup. An assignment after construction
    (:func:`reopen_session`) replaces the entry, so the current session is always the one read.
    """
    session: GatewaySession = model.__pydantic_private__["_session"]
    return session


def reopen_session(
    model: Any, changes: Mapping[str, Any], assign: Callable[[str, Any], None]
) -> None:
    """Apply connection-setting changes to an open model and resolve its session again.

    Setting ``model.gateway_options = {...}`` (or ``api_token``, ``base_url``, ``timeout``…) after
    construction, or ``model_copy(update=...)`` of one of them, takes effect on the next call, as
    a user of a pydantic model expects: the values are checked as the constructor checks them
    and a new session (with new HTTP clients built on first use) replaces the old one. On a
    ``GatewayConfigError`` the model keeps its previous values and session. Nothing is sent.

    Args:
        model: an adapter object whose session is open (``model._session``).
        changes: field name -> new value, connection fields only.
        assign: the class's plain field assignment (pydantic's ``__setattr__``).

    Raises:
        GatewayConfigError: a value the constructor would refuse.
    """
    private = model.__pydantic_private__
    before = {name: model.__dict__[name] for name in changes}
    session = private.pop("_session")  # write-backs inside _open_session then go straight through
    try:
        for name, value in changes.items():
            if name in SETTING_NAMES:
                check_setting(name, value)
            assign(name, _secret(value) if name == "api_token" else value)
        private["_session"] = model._open_session()
    except BaseException:
        model.__dict__.update(before)
        private["_session"] = session
        raise


class SettingsFollowAssignment:
    """Mixin (before pydantic's ``BaseModel``): connection settings changed later are used.

    ``model.gateway_options = {...}`` and ``model.model_copy(update={...})`` of a connection
    setting go through :func:`reopen_session`; any other field is assigned as pydantic does.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        """Assign a field; a connection setting re-opens the session (next call uses it)."""
        if connection_changes(self, name):
            reopen_session(self, {name: value}, super().__setattr__)
        else:
            super().__setattr__(name, value)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; connection settings in ``update`` give the copy its own session.

        Raises:
            GatewayConfigError: a connection setting the constructor would refuse.
        """
        update = dict(update or {})
        changes = {name: update.pop(name) for name in CONNECTION_FIELDS & update.keys()}
        copied: Self = super().model_copy(update=update, deep=deep)  # type: ignore[misc]
        if changes:
            reopen_session(copied, changes, super(SettingsFollowAssignment, copied).__setattr__)
        return copied


def _secret(value: Any) -> Any:
    """An assigned token as the field holds it (``SecretStr``), as the constructor stores it."""
    if value is None or isinstance(value, SecretStr):
        return value
    value = reveal_secret(value)
    if not isinstance(value, str):
        raise GatewayConfigError(
            f"api_token must be a string or a secret, got {type(value).__name__}; "
            "pass the API token as a str (or set CLOUDFLARE_API_TOKEN)."
        )
    return SecretStr(value)


def connection_changes(model: Any, name: str) -> bool:
    """Whether assigning ``name`` on ``model`` must re-open its session."""
    private = model.__pydantic_private__
    return (
        name in CONNECTION_FIELDS
        and name in model.__dict__
        and private is not None
        and "_session" in private
    )


def refuse_caller_owned(model: object) -> None:
    """Refuse to pickle an object holding a caller-owned httpx client.

    Raises:
        TypeError: ``http_client`` or ``http_async_client`` was given (the message says what to do
            instead).
    """
    for keyword in CALLER_OWNED:
        if getattr(model, keyword, None) is not None:
            raise TypeError(cannot_travel_message(type(model).__name__, keyword))


def share_caller_owned(model: object, memo: dict[int, Any] | None) -> dict[int, Any]:
    """A ``deepcopy`` memo in which the caller-owned httpx clients are their own copies."""
    memo = {} if memo is None else memo
    for keyword in CALLER_OWNED:
        client = model.__dict__.get(keyword)
        if client is not None:
            memo[id(client)] = client  # the memo maps an object to its copy: itself
    return memo


def strict_setting(value: Any, info: ValidationInfo) -> Any:
    """The field's value unchanged, after the core's strict check for that setting.

    Raises:
        GatewayConfigError: naming the parameter (see :func:`unwrapped_config_errors`).
    """
    assert info.field_name is not None
    return check_setting(info.field_name, value)


@contextmanager
def unwrapped_config_errors() -> Iterator[None]:
    """Re-raise a ``GatewayConfigError`` that pydantic wrapped in a ``ValidationError``.

    The contract promises the ``GatewayConfigError`` itself (it names the keyword and the
    environment variable). Any other validation error (a value of the wrong type) becomes a
    ``GatewayConfigError`` naming each field and what it expects, without the value given:
    pydantic's own message quotes it, and a mistyped ``api_token`` would be quoted with it.

    Raises:
        GatewayConfigError: the first wrapped configuration error, or one for the wrong values.
    """
    try:
        yield
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=True)
        for error in errors:
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, GatewayConfigError):
                raise cause from None
        problems = "; ".join(_problem(error) for error in errors)
        raise GatewayConfigError(
            f"{exc.title}: {problems}. Pass a value of the type the parameter documents."
        ) from None


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc") or ()) or "value"
    return f"{where}: {error.get('msg', 'invalid value')}"


def _instance_of(name: str) -> Callable[[object], object]:
    """A validator accepting ``None`` or an instance of ``httpx.<name>``."""

    def check(value: object) -> object:
        if value is None:
            return None
        import httpx

        if not isinstance(value, getattr(httpx, name)):
            raise ValueError(f"expected an httpx.{name}, got {type(value).__name__}")
        return value

    return check


def _options_value(value: object) -> object:
    """``None``, a ``GatewayOptions`` or a mapping, unchanged.

    ``GatewayOptions.coerce`` checks the mapping's keys and values when the session resolves.

    Raises:
        GatewayConfigError: any other type (the message ``GatewayOptions.coerce`` gives).
    """
    if value is None or isinstance(value, (GatewayOptions, Mapping)):
        return value
    raise GatewayConfigError(
        f"gateway_options must be a GatewayOptions or a dict, got {type(value).__name__}."
    )


if TYPE_CHECKING:
    HttpClient: TypeAlias = httpx.Client | None
    AsyncHttpClient: TypeAlias = httpx.AsyncClient | None
    OptionsField: TypeAlias = GatewayOptions | dict[str, Any] | None
else:  # pydantic resolves these at class creation: no httpx import needed
    HttpClient = Annotated[Any, PlainValidator(_instance_of("Client"))]
    AsyncHttpClient = Annotated[Any, PlainValidator(_instance_of("AsyncClient"))]
    # Typed GatewayOptions | dict, each class using the field would build a pydantic schema of
    # GatewayOptions' fields at class creation (~5 ms of import a class) that no validation uses.
    OptionsField = Annotated[
        Any, PlainValidator(_options_value, json_schema_input_type=dict[str, Any] | None)
    ]
