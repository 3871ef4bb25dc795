"""One TLS context for every HTTP client this package builds, per TLS setting of the process.

``httpx.Client()`` builds an ``ssl.SSLContext`` for each client and loads the CA bundle into it:
about 0.65 MiB and several milliseconds per client, for a context that is the same every time.
The clients built here (the sync ``httpx.Client``, the async ``aiohttp`` session of each event
loop, the ``httpx.AsyncClient`` used behind a proxy) share one instead; ``httpx`` takes it as
``verify=`` and hands it to the proxy transports too, ``aiohttp`` as ``TCPConnector(ssl=)``.

The context is the one ``httpx.create_ssl_context()`` builds (``verify=True``,
``trust_env=True``, as in ``httpx.Client()``): certifi's bundle, or the file named by
``SSL_CERT_FILE``, or the directory named by ``SSL_CERT_DIR``, with ``SSLKEYLOGFILE`` applied
by the standard library. httpx reads those variables when a client is built, so the shared
context is rebuilt whenever they, or the CA file or directory they point to, have changed since
it was built (docs/io-stack.md, "TLS"). A caller's own ``http_client`` keeps its own settings.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

__all__ = ["shared_ssl_context"]

_lock = threading.Lock()
_cached: tuple[tuple[object, ...], ssl.SSLContext] | None = None


def _stamp(path: str) -> tuple[int, int, int] | None:
    """The identity of a file or directory as it is now (``None`` when it is missing)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _settings() -> tuple[object, ...]:
    """What ``httpx.create_ssl_context()`` would read now: the same answer, the same context."""
    # httpx's order: SSL_CERT_FILE, else SSL_CERT_DIR, else certifi (an empty value is unset) —
    # https://www.python-httpx.org/environment_variables/
    keylog = os.environ.get("SSLKEYLOGFILE")  # read by ssl.create_default_context
    cafile = os.environ.get("SSL_CERT_FILE")
    if cafile:
        return keylog, "file", cafile, _stamp(cafile)
    capath = os.environ.get("SSL_CERT_DIR")
    if capath:
        return keylog, "dir", capath, _stamp(capath)
    import certifi

    bundle = certifi.where()
    return keylog, "certifi", bundle, _stamp(bundle)


def shared_ssl_context() -> ssl.SSLContext:
    """The TLS context ``httpx.Client()`` would build now, built once per distinct setting.

    Raises:
        OSError: ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` names a missing or unreadable CA file or
            directory (as ``httpx.Client()`` raises it), when the client is built.
    """
    global _cached
    key = _settings()
    with _lock:
        cached = _cached
        if cached is None or cached[0] != key:
            import httpx

            cached = _cached = (key, httpx.create_ssl_context())
        return cached[1]
