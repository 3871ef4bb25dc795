"""Connection configuration: the only module that reads environment variables.

Precedence is explicit argument > environment > a :class:`GatewayConfigError` naming both the
keyword and the variable. The token is held in a :class:`Secret` that never shows in ``repr``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cf_gateway_core._values import value_class
from cf_gateway_core.checks import check_flag
from cf_gateway_core.errors import GatewayConfigError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENV_ACCOUNT_ID",
    "ENV_API_TOKEN",
    "ENV_BASE_URL",
    "ENV_GATEWAY_ID",
    "GatewayConfig",
    "Secret",
]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
ENV_ACCOUNT_ID = "CLOUDFLARE_ACCOUNT_ID"
ENV_API_TOKEN = "CLOUDFLARE_API_TOKEN"
ENV_GATEWAY_ID = "CLOUDFLARE_GATEWAY_ID"
ENV_BASE_URL = "CLOUDFLARE_API_BASE_URL"

_MAX_TIMEOUT = 3600.0
_MAX_RETRIES = 10
_LOOPBACK_NAMES = frozenset({"localhost"})
# The host of DEFAULT_BASE_URL: a token from anywhere may go there (and to loopback).
_CLOUDFLARE_API_HOST = "api.cloudflare.com"
# Patterns as text: re compiles (and caches) them on the first resolve, not at import.
# The account id becomes a URL path segment: unreserved characters only, so it can never add a
# segment, a query or a fragment. Real ids are 32 hex digits.
_ACCOUNT_ID = r"[A-Za-z0-9_~.-]+"
# Header values (token, gateway id) are sent as ASCII by httpx: printable, no spaces.
_HEADER_TOKEN = r"[\x21-\x7e]+"


class Secret:
    """A string that does not show itself: ``repr``/``str`` print ``'**********'``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        """Wrap ``value``."""
        self._value = value

    def get_secret_value(self) -> str:
        """The wrapped string (the same method name as pydantic's ``SecretStr``)."""
        return self._value

    def __repr__(self) -> str:
        """Never the value."""
        return "Secret('**********')"

    def __str__(self) -> str:
        """Never the value."""
        return "**********"

    def __eq__(self, other: object) -> bool:
        """Equal to another secret with the same value (compared in constant time)."""
        import hmac  # on first comparison: hmac loads hashlib/OpenSSL (~4 ms)

        return isinstance(other, Secret) and hmac.compare_digest(
            other._value.encode("utf-8", "surrogatepass"),
            self._value.encode("utf-8", "surrogatepass"),
        )

    def __hash__(self) -> int:
        """Hash of the value (so configs can be dict keys)."""
        return hash(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        """Pickle support (the value is needed to rebuild the client)."""
        return (Secret, (self._value,))


def _pick(explicit: str | None, env: Mapping[str, str], name: str, keyword: str) -> str | None:
    if explicit is not None:
        if not isinstance(explicit, str):
            raise GatewayConfigError(f"{keyword} must be a string, got {type(explicit).__name__}.")
        return explicit.strip() or None
    value = env.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def reveal_secret(value: object) -> object:
    """The value inside a secret wrapper, or any other value as it is.

    A wrapper is ``Secret``, pydantic's ``SecretStr`` or anything with a ``get_secret_value()``.
    """
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if callable(reveal) else value


def _token_text(api_token: object) -> str | None:
    # Secret, pydantic SecretStr (the adapters' field type) or a plain string.
    api_token = reveal_secret(api_token)
    if api_token is None or isinstance(api_token, str):
        return api_token
    raise GatewayConfigError(f"api_token must be a string, got {type(api_token).__name__}.")


def _check_account_id(account_id: str) -> str:
    if not re.fullmatch(_ACCOUNT_ID, account_id) or set(account_id) == {"."}:
        raise GatewayConfigError(
            f"account_id {account_id!r} is not a Cloudflare account id (32 hex digits, shown on "
            f"the dashboard's Overview page); pass account_id= or set {ENV_ACCOUNT_ID}."
        )
    return account_id


def _check_token(token: str) -> Secret:
    if not re.fullmatch(_HEADER_TOKEN, token):
        # Never echo the value: it is (almost) a secret.
        raise GatewayConfigError(
            "api_token contains spaces, control or non-ASCII characters; pass the API token "
            f"exactly as Cloudflare shows it (api_token= or {ENV_API_TOKEN})."
        )
    return Secret(token)


def _check_gateway_id(gateway_id: str | None) -> str | None:
    if gateway_id is not None and not re.fullmatch(_HEADER_TOKEN, gateway_id):
        raise GatewayConfigError(
            f"gateway_id {gateway_id!r} must be printable ASCII without spaces (it is sent as "
            f"the cf-aig-gateway-id header); pass gateway_id= or set {ENV_GATEWAY_ID}."
        )
    return gateway_id


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    import ipaddress  # only for plain-http URLs

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(base_url: str) -> str | None:
    # urllib.parse (with ipaddress, ~5 ms) on the first resolve, not at import: httpx, which
    # every client needs, imports it anyway.
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(base_url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return "it cannot be parsed"
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        return "it is not an http(s) URL with a host"
    if "@" in parts.netloc:
        # "https://api.cloudflare.com@evil.example" sends the token to evil.example (§6 #37).
        return "it has a user-info part ('@'), which would send the token elsewhere"
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        return "it has a query or fragment"
    if "\\" in base_url or any(c.isspace() or not c.isprintable() for c in base_url):
        return "it contains a backslash, whitespace or control characters"
    return None


def _check_base_url(base_url: str, allow_insecure_http: bool) -> str:
    problem = _url_problem(base_url)
    if problem is not None:
        # A user-info part may hold a credential: do not echo such a URL.
        shown = "(redacted)" if "@" in base_url else repr(base_url)
        raise GatewayConfigError(
            f"base_url {shown} is not usable: {problem}. Pass base_url= (or set "
            f"{ENV_BASE_URL}) like {DEFAULT_BASE_URL!r}."
        )
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    assert parts.hostname is not None
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise GatewayConfigError(
            f"base_url {base_url!r} is plain http to a non-loopback host: the API token would "
            "travel unencrypted. Use https, or pass allow_insecure_http=True if you really mean it."
        )
    return base_url.rstrip("/")


def _host(base_url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(base_url).hostname or "").lower()


def _check_token_destination(
    base_url: str, url_from_env: bool, token_from_env: bool, env: Mapping[str, str]
) -> None:
    """Refuse sending a token to a third host named by another source than the token's.

    A token may always go to the Cloudflare API and to loopback. Any other host receives it only
    when the base URL and the token come from the same place: both passed in code, or both from
    the environment. A base URL passed in code that equals ``CLOUDFLARE_API_BASE_URL`` counts as
    the environment's (a model serialized and loaded again in the same environment).
    """
    host = _host(base_url)
    if host == _CLOUDFLARE_API_HOST or _is_loopback(host) or url_from_env == token_from_env:
        return
    if token_from_env:
        env_url = _pick(None, env, ENV_BASE_URL, "base_url")
        if env_url is not None and env_url.rstrip("/") == base_url:
            return
        raise GatewayConfigError(
            f"base_url {base_url!r} was passed in code but the API token comes from "
            f"{ENV_API_TOKEN}: the environment's token is sent only to the Cloudflare API, "
            f"loopback or {ENV_BASE_URL}. Pass api_token= along with base_url=, or set "
            f"{ENV_BASE_URL} to this URL."
        )
    raise GatewayConfigError(
        f"base_url {base_url!r} comes from {ENV_BASE_URL} but the API token was passed in code: "
        "a token passed in code is sent to another host only when base_url= is passed in code "
        f"too. Pass base_url= along with api_token=, or set {ENV_API_TOKEN} instead."
    )


def _credentials(
    account_id: str | None, api_token: str | Secret | None, env: Mapping[str, str]
) -> tuple[str, str, bool]:
    """The account id and token, and whether the token came from the environment.

    Arguments come first, then the environment.

    Raises:
        GatewayConfigError: either is missing (one message naming both keywords and env vars).
    """
    account = _pick(account_id, env, ENV_ACCOUNT_ID, "account_id")
    explicit_token = _pick(_token_text(api_token), {}, ENV_API_TOKEN, "api_token")
    token = explicit_token or _pick(None, env, ENV_API_TOKEN, "api_token")
    if account is None or token is None:
        missing = [
            f"{keyword}= (or set {var})"
            for keyword, var, value in (
                ("account_id", ENV_ACCOUNT_ID, account),
                ("api_token", ENV_API_TOKEN, token),
            )
            if value is None
        ]
        raise GatewayConfigError(
            "Cloudflare AI Gateway needs an account id and an API token: pass "
            + " and ".join(missing)
            + ". The token needs the Account > Workers AI > Read permission."
        )
    return account, token, explicit_token is None


def _resolve_base_url(
    base_url: str | None,
    allow_insecure_http: bool,
    env: Mapping[str, str],
    *,
    token_from_env: bool,
) -> str:
    """The checked API base: the argument, else ``CLOUDFLARE_API_BASE_URL``, else the public API.

    A base the token would travel to without being meant for it is refused.
    """
    explicit_url = _pick(base_url, {}, ENV_BASE_URL, "base_url")
    url = explicit_url or _pick(None, env, ENV_BASE_URL, "base_url") or DEFAULT_BASE_URL
    checked_url = _check_base_url(url, check_flag(allow_insecure_http, "allow_insecure_http"))
    _check_token_destination(
        checked_url, url_from_env=explicit_url is None, token_from_env=token_from_env, env=env
    )
    return checked_url


def _check_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise GatewayConfigError(f"timeout must be a number of seconds, got {timeout!r}.")
    if not math.isfinite(timeout) or timeout <= 0 or timeout > _MAX_TIMEOUT:
        raise GatewayConfigError(
            f"timeout must be > 0 and <= {_MAX_TIMEOUT:g} seconds (or None for no timeout), "
            f"got {timeout!r}."
        )
    return float(timeout)


def _check_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise GatewayConfigError(f"max_retries must be an integer, got {max_retries!r}.")
    if not 0 <= max_retries <= _MAX_RETRIES:
        raise GatewayConfigError(
            f"max_retries must be between 0 and {_MAX_RETRIES}, got {max_retries}."
        )
    return max_retries


@value_class
@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class GatewayConfig:
    """Where and how to reach the gateway. Build it with :meth:`resolve`."""

    account_id: str
    api_token: Secret = field(repr=False)
    gateway_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    timeout: float | None = DEFAULT_TIMEOUT
    """Seconds per request (connect, read, write, pool); ``None`` disables it."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first attempt, only before a stream's first byte."""

    @classmethod
    def resolve(
        cls,
        *,
        account_id: str | None = None,
        api_token: str | Secret | None = None,
        gateway_id: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        allow_insecure_http: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> GatewayConfig:
        """Build a config from explicit arguments, falling back to the environment.

        Args:
            account_id: Cloudflare account id, else ``CLOUDFLARE_ACCOUNT_ID``.
            api_token: API token, else ``CLOUDFLARE_API_TOKEN``.
            gateway_id: gateway id (header ``cf-aig-gateway-id``), else ``CLOUDFLARE_GATEWAY_ID``.
            base_url: API base, else ``CLOUDFLARE_API_BASE_URL``, else the public API.
            timeout: seconds per request, or ``None``.
            max_retries: retries before the first streamed byte (0–10).
            allow_insecure_http: permit plain ``http://`` to a non-loopback host.
            env: the environment to read (``os.environ`` by default).

        Raises:
            GatewayConfigError: a required value is missing or a value is invalid.
        """
        env = os.environ if env is None else env
        account, token, token_from_env = _credentials(account_id, api_token, env)
        url = _resolve_base_url(base_url, allow_insecure_http, env, token_from_env=token_from_env)
        return cls(
            account_id=_check_account_id(account),
            api_token=_check_token(token),
            gateway_id=_check_gateway_id(_pick(gateway_id, env, ENV_GATEWAY_ID, "gateway_id")),
            base_url=url,
            timeout=_check_timeout(timeout),
            max_retries=_check_retries(max_retries),
        )

    @property
    def account_url(self) -> str:
        """``{base_url}/accounts/{account_id}/`` — every route path is relative to it."""
        return f"{self.base_url}/accounts/{self.account_id}/"
