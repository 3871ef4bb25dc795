"""Whether ``cf-gateway chat`` may reach the real gateway.

Every problem with the ``CLOUDFLARE_*`` environment in one sentence, misspelled variable names
included, before any client is built.
"""

from __future__ import annotations

from collections.abc import Mapping

from cf_gateway_core.checks import STRICT_CUTOFF, closest_name
from cf_gateway_core.config import (
    ENV_ACCOUNT_ID,
    ENV_API_TOKEN,
    ENV_BASE_URL,
    ENV_GATEWAY_ID,
    GatewayConfig,
)
from cf_gateway_core.errors import GatewayConfigError

__all__ = ["credential_problems"]

_REQUIRED = (ENV_ACCOUNT_ID, ENV_API_TOKEN)
_KNOWN = (*_REQUIRED, ENV_GATEWAY_ID, ENV_BASE_URL)
# Names people reach for that difflib would not call close; each maps to the one meant.
_ALIASES = {
    "CF_ACCOUNT_ID": ENV_ACCOUNT_ID,
    "CLOUDFLARE_ACCOUNT": ENV_ACCOUNT_ID,
    "CF_API_TOKEN": ENV_API_TOKEN,
    "CLOUDFLARE_TOKEN": ENV_API_TOKEN,
    "CF_AIG_TOKEN": ENV_API_TOKEN,
    "CF_GATEWAY_ID": ENV_GATEWAY_ID,
    "CLOUDFLARE_AI_GATEWAY_ID": ENV_GATEWAY_ID,
    "CLOUDFLARE_BASE_URL": ENV_BASE_URL,
}
# Why a set value is refused, in terms of the variable (the library words it as a keyword).
_UNUSABLE = {
    ENV_ACCOUNT_ID: "is not a Cloudflare account id (32 hex digits, on the dashboard's Overview "
    "page)",
    ENV_API_TOKEN: "contains spaces, control or non-ASCII characters (copy the token exactly)",
    ENV_GATEWAY_ID: "is not a gateway id (printable ASCII without spaces)",
    ENV_BASE_URL: "is not a usable API base (https, or http to loopback; no user-info, query or "
    "fragment), e.g. https://api.cloudflare.com/client/v4",
}
# Placeholder values that pass validation, so one variable can be checked on its own.
_VALID = {ENV_ACCOUNT_ID: "a", ENV_API_TOKEN: "t"}


def _meant(name: str) -> str | None:
    """The known variable ``name`` is probably a misspelling of, if any."""
    upper = name.upper()
    if upper in _ALIASES:
        return _ALIASES[upper]
    if name in _KNOWN or not upper.startswith(("CLOUDFLARE", "CF_", "CLOUDFARE", "CLOUDFLAIR")):
        return None
    return closest_name(upper, _KNOWN, cutoff=STRICT_CUTOFF)


def _misspellings(env: Mapping[str, str]) -> dict[str, list[str]]:
    """Known variable -> the set names that look like misspellings of it."""
    found: dict[str, list[str]] = {}
    for name in sorted(env):
        meant = _meant(name)
        if meant is not None and env[name].strip():
            found.setdefault(meant, []).append(name)
    return found


def _unusable(name: str, value: str) -> bool:
    try:
        GatewayConfig.resolve(env={**_VALID, name: value})
    except GatewayConfigError:
        return True
    return False


def _describe(name: str, env: Mapping[str, str], typos: Mapping[str, list[str]]) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        if name not in _REQUIRED and name not in typos:
            return None
        state = "is empty" if name in env else "is not set"
        guesses = typos.get(name)
        if guesses:
            state += f" ({', '.join(guesses)} is set: did you mean {name}?)"
        return f"{name} {state}"
    if _unusable(name, value):
        return f"{name} {_UNUSABLE[name]}"
    return None


def credential_problems(env: Mapping[str, str], *, gateway_id: str | None = None) -> list[str]:
    """One phrase per missing, misspelled or unusable ``CLOUDFLARE_*`` variable (empty: usable).

    ``gateway_id`` is the ``--gateway-id`` option, which replaces ``CLOUDFLARE_GATEWAY_ID``.
    """
    typos = _misspellings(env)
    problems = []
    for name in _KNOWN:
        if name == ENV_GATEWAY_ID and gateway_id is not None:
            continue
        problem = _describe(name, env, typos)
        if problem is not None:
            problems.append(problem)
    return problems
