"""Connection configuration: the only module that reads environment variables.

Precedence is explicit argument > environment > a :class:`GatewayConfigError` naming both the
keyword and the variable. The token is held in a :class:`Secret` that never shows in ``repr``.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

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
        """Equal to another secret with the same value."""
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        """Hash of the value (so configs can be dict keys)."""
        return hash(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        """Pickle support (the value is needed to rebuild the client)."""
        return (Secret, (self._value,))


def _pick(explicit: str | None, env: Mapping[str, str], name: str) -> str | None:
    if explicit is not None:
        value = explicit.strip()
        return value or None
    value = env.get(name, "").strip()
    return value or None


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str, allow_insecure_http: bool) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GatewayConfigError(
            f"base_url {base_url!r} is not an http(s) URL; pass base_url= (or set "
            f"{ENV_BASE_URL}) like {DEFAULT_BASE_URL!r}."
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise GatewayConfigError(
            f"base_url {base_url!r} is plain http to a non-loopback host: the API token would "
            "travel unencrypted. Use https, or pass allow_insecure_http=True if you really mean it."
        )
    return base_url.rstrip("/")


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


@dataclass(frozen=True, slots=True, kw_only=True)
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
        token_text = api_token.get_secret_value() if isinstance(api_token, Secret) else api_token
        account = _pick(account_id, env, ENV_ACCOUNT_ID)
        token = _pick(token_text, env, ENV_API_TOKEN)
        missing = [
            f"{keyword}= (or set {var})"
            for keyword, var, value in (
                ("account_id", ENV_ACCOUNT_ID, account),
                ("api_token", ENV_API_TOKEN, token),
            )
            if value is None
        ]
        if missing:
            raise GatewayConfigError(
                "Cloudflare AI Gateway needs an account id and an API token: pass "
                + " and ".join(missing)
                + ". The token needs the Account > Workers AI > Read permission."
            )
        assert account is not None
        assert token is not None
        url = _pick(base_url, env, ENV_BASE_URL) or DEFAULT_BASE_URL
        return cls(
            account_id=account,
            api_token=Secret(token),
            gateway_id=_pick(gateway_id, env, ENV_GATEWAY_ID),
            base_url=_check_base_url(url, allow_insecure_http),
            timeout=_check_timeout(timeout),
            max_retries=_check_retries(max_retries),
        )

    @property
    def account_url(self) -> str:
        """``{base_url}/accounts/{account_id}/`` — every route path is relative to it."""
        return f"{self.base_url}/accounts/{self.account_id}/"
