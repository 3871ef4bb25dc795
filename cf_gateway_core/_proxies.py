"""Which proxy, if any, httpx would use: the one reading of the proxy variables for both clients.

httpx (``trust_env=True``) honours ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``
(https://www.python-httpx.org/environment_variables/). Both decisions below ask httpx's own
helpers, so the rules are exactly httpx's; should a future httpx move them, any proxy variable
other than ``NO_PROXY`` counts as applying (httpx's own handling is then kept: correct, only
slower). No aiohttp here: the sync client asks too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from httpx._utils import URLPattern

__all__ = ["env_proxy_configured", "proxy_applies"]


def _mounts() -> list[tuple[URLPattern, str | None]] | None:
    """The proxy routes httpx reads from the environment, most specific first (or ``None``)."""
    try:
        from httpx._utils import URLPattern, get_environment_proxies
    except ImportError:  # pragma: no cover - depends on httpx's private layout
        return None
    # httpx sorts its mounts so that the most specific pattern is tried first.
    return sorted((URLPattern(key), proxy) for key, proxy in get_environment_proxies().items())


def _any_proxy_variable() -> bool:  # pragma: no cover - the fallback of _mounts() is None
    import urllib.request

    return bool(set(urllib.request.getproxies()) - {"no"})


def env_proxy_configured() -> bool:
    """Whether the environment names a proxy for any URL (httpx's ``trust_env`` rules).

    ``False`` when no proxy variable is set or ``NO_PROXY`` alone is: every URL then goes to the
    default transport, and an ``httpx.Client(trust_env=False)`` routes exactly as one built with
    ``trust_env=True`` (the TLS context is passed in, so the TLS variables are read anyway — see
    ``_tls``).
    """
    mounts = _mounts()
    if mounts is None:  # pragma: no cover - depends on httpx's private layout
        return _any_proxy_variable()
    return any(proxy is not None for _, proxy in mounts)


def proxy_applies(url: str) -> bool:
    """Whether ``httpx`` (``trust_env=True``) would send a request to ``url`` through a proxy."""
    mounts = _mounts()
    if mounts is None:  # pragma: no cover - depends on httpx's private layout
        return _any_proxy_variable()
    target = httpx.URL(url)
    for pattern, proxy in mounts:
        if pattern.matches(target):
            return proxy is not None
    return False
