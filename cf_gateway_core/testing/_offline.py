"""Your Cloudflare account when its credentials are set, else the local emulator.

:func:`offline_unless_credentials` picks one through the environment, so the code that builds
models is the same either way (see docs/testing.md).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from types import TracebackType
from typing import TYPE_CHECKING

from cf_gateway_core.config import DEFAULT_BASE_URL, ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_BASE_URL
from cf_gateway_core.errors import GatewayConfigError

if TYPE_CHECKING:
    from cf_gateway_core.emulator.server import RunningEmulator
    from cf_gateway_core.testing._fake import FakeGateway

__all__ = ["GatewayTarget", "offline_unless_credentials"]

_CREDENTIALS = (ENV_ACCOUNT_ID, ENV_API_TOKEN)
# What the package reads from the environment when it runs offline: placeholders the emulator
# accepts, and the emulator's address as the API base.
_PLACEHOLDERS = {ENV_ACCOUNT_ID: "offline-account", ENV_API_TOKEN: "offline-token"}


class GatewayTarget:
    """Where the package's models send their requests: your account, or the local emulator.

    Attributes:
        offline: whether the emulator answers (no credentials were set).
        base_url: the API base the models use (the emulator's on loopback when offline).

    ``str()`` says which, in one sentence. :meth:`stop` (or leaving a ``with`` block) stops the
    emulator and puts the environment variables back as they were; online it does nothing.
    """

    __slots__ = ("_emulator", "_env", "_saved", "base_url", "offline")

    def __init__(
        self,
        env: MutableMapping[str, str],
        emulator: RunningEmulator | None,
        saved: dict[str, str | None],
    ) -> None:
        self._env = env
        self._emulator = emulator
        self._saved = saved
        self.offline = emulator is not None
        self.base_url = emulator.base_url if emulator else env.get(ENV_BASE_URL) or DEFAULT_BASE_URL

    def stop(self) -> None:
        """Stop the emulator and restore the environment (idempotent; online: nothing to do)."""
        emulator, self._emulator = self._emulator, None
        if emulator is None:
            return
        emulator.stop()
        for name, value in self._saved.items():
            if value is None:
                self._env.pop(name, None)
            else:
                self._env[name] = value

    def __enter__(self) -> GatewayTarget:
        """This target; the ``with`` block ends with :meth:`stop`."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the emulator, if one was started."""
        self.stop()

    def __str__(self) -> str:
        """Which gateway answers, in one sentence."""
        if self.offline:
            return (
                "No Cloudflare credentials: running offline against the emulator at "
                + self.base_url
            )
        return f"Using your Cloudflare account from {ENV_ACCOUNT_ID} / {ENV_API_TOKEN}"

    def __repr__(self) -> str:
        """The mode and the API base (never a credential)."""
        return f"GatewayTarget(offline={self.offline}, base_url={self.base_url!r})"


def offline_unless_credentials(
    fake: FakeGateway | None = None, *, env: MutableMapping[str, str] | None = None
) -> GatewayTarget:
    """The real gateway if its credentials are set, else the emulator on 127.0.0.1.

    With ``CLOUDFLARE_ACCOUNT_ID`` and ``CLOUDFLARE_API_TOKEN`` set, nothing changes. Without
    them, ``CLOUDFLARE_API_BASE_URL`` is set to the emulator's address and the two credential
    variables to placeholders, so models built from the environment (no ``account_id=``,
    ``api_token=`` or ``base_url=``) reach the emulator, and the same code reaches your account
    when the credentials are set. The emulator runs in a daemon thread until
    :meth:`GatewayTarget.stop`.

    Args:
        fake: the :class:`FakeGateway` the emulator answers with (its queued replies, its
            recorded requests); by default a new one.
        env: the environment to read and change; by default ``os.environ``.

    Raises:
        GatewayConfigError: only one of the two credential variables is set (set both to use
            your account, or neither to run offline).
    """
    env = os.environ if env is None else env
    present = [name for name in _CREDENTIALS if env.get(name, "").strip()]
    if len(present) == len(_CREDENTIALS):
        return GatewayTarget(env, None, {})
    if present:
        (missing,) = set(_CREDENTIALS) - set(present)
        raise GatewayConfigError(
            f"{present[0]} is set but {missing} is not: set both to use your Cloudflare account, "
            "or unset both to run offline against the emulator."
        )
    from cf_gateway_core.emulator.server import run_in_thread

    emulator = run_in_thread(fake)
    names = (*_CREDENTIALS, ENV_BASE_URL)
    saved = {name: env.get(name) for name in names}
    env.update({**_PLACEHOLDERS, ENV_BASE_URL: emulator.base_url})
    return GatewayTarget(env, emulator, saved)
