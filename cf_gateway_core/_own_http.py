"""The sync client's own ``httpx.Client``: ``httpx.Client()`` minus two per-request costs.

Imported when a :class:`~cf_gateway_core.GatewayClient` builds its own HTTP client (a caller's
``http_client`` is used as given). The client is ``httpx.Client`` with our pool limits and the
process's shared TLS context (``_tls``), and:

- ``trust_env`` only when the environment names a proxy (``_proxies.env_proxy_configured``). With
  ``NO_PROXY`` alone, httpx would mount one "no proxy" route per ``NO_PROXY`` entry and match
  every request's URL against each, only to reach its default transport: the routing is the
  same without them. Any proxy variable keeps httpx's own handling (``HTTP(S)_PROXY``,
  ``ALL_PROXY``, ``NO_PROXY``: https://www.python-httpx.org/environment_variables/).
- A cookie jar (:class:`ReplyCookieJar`, a ``http.cookiejar.CookieJar``, which ``httpx.Client``
  takes as ``cookies=``) that skips the parsing of a reply that sets no cookie. httpx hands every
  reply to its jar (``CookieJar.extract_cookies``), which first copies all the reply's headers
  into an ``email.message.Message`` to look for ``Set-Cookie``; for a reply without one that
  finds nothing, so the jar stores and sends exactly what httpx's default jar would.
"""

from __future__ import annotations

import http.cookiejar
from typing import Any

import httpx

from cf_gateway_core._base import default_limits
from cf_gateway_core._proxies import env_proxy_configured
from cf_gateway_core._tls import shared_ssl_context

__all__ = ["ReplyCookieJar", "own_client"]

# The headers http.cookiejar reads cookies from (CookieJar.make_cookies), as httpx stores names.
_COOKIE_HEADERS = frozenset({b"set-cookie", b"set-cookie2"})


class ReplyCookieJar(http.cookiejar.CookieJar):
    """A ``CookieJar`` that reads a reply's cookies only when the reply sets one.

    ``response`` is what httpx passes to ``CookieJar.extract_cookies``: an adapter whose
    ``response`` attribute is the ``httpx.Response``. A reply with no ``Set-Cookie`` or
    ``Set-Cookie2`` header is skipped (the standard jar would find no cookie in it); anything
    else, including an adapter without that attribute, goes through the standard jar.
    """

    def extract_cookies(self, response: Any, request: Any) -> None:
        """Store the cookies ``response`` sets (as ``http.cookiejar.CookieJar`` does)."""
        reply = getattr(response, "response", None)
        if isinstance(reply, httpx.Response) and not _sets_cookie(reply):
            return
        super().extract_cookies(response, request)


def _sets_cookie(reply: httpx.Response) -> bool:
    return any(name.lower() in _COOKIE_HEADERS for name, _ in reply.headers.raw)


def own_client(timeout: httpx.Timeout) -> httpx.Client:
    """The ``httpx.Client`` a ``GatewayClient`` without ``http_client`` sends through."""
    return httpx.Client(
        timeout=timeout,
        limits=default_limits(),
        verify=shared_ssl_context(),
        trust_env=env_proxy_configured(),
        cookies=ReplyCookieJar(),
    )
