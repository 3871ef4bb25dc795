"""What every ``cf-gateway`` subcommand shares.

The :class:`Subcommand` record, exit codes, and the one-line error report.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cf_gateway_core.config import ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_BASE_URL
from cf_gateway_core.errors import (
    AuthenticationError,
    GatewayConfigError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SpendLimitError,
)

__all__ = [
    "EPILOG",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "Subcommand",
    "cli_terms",
    "fail",
    "interrupted_by",
    "logging_to_stderr",
]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Subcommand:
    """One ``cf-gateway NAME`` subcommand.

    ``add_arguments`` declares its options on the subparser; ``run`` gets the parsed arguments
    and returns the exit code. Errors it raises are reported by :func:`fail`.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str | None = None
    epilog: str | None = None


class UsageError(Exception):
    """A command-line mistake found after parsing (exit code 2); the message says what to type."""


# Error class -> exit code; the first class in an error's MRO found here wins.
EXIT_CODES: dict[type[BaseException], int] = {
    UsageError: EXIT_USAGE,
    GatewayConfigError: EXIT_USAGE,
    AuthenticationError: 3,
    PermissionDeniedError: 3,
    RateLimitError: 4,
    NotFoundError: 5,
}
HINTS: dict[type[BaseException], str] = {
    AuthenticationError: "check CLOUDFLARE_API_TOKEN; it needs Account > Workers AI > Read",
    PermissionDeniedError: "the token or account may not use this model",
    SpendLimitError: "the gateway's spend limit is reached; raise it or wait for the window",
    RateLimitError: "wait a moment and retry, or raise the gateway's rate limit",
    NotFoundError: "check the model id, e.g. openai/gpt-5.5 or @cf/meta/llama-3.1-8b-instruct",
}
# A command sets ``exc.cli_hint`` when the general hint above would mislead for what it called.
HINT_ATTRIBUTE = "cli_hint"

EPILOG = """\
exit codes:
  0    success
  1    other error (connection, server error, unexpected reply)
  2    usage or configuration error (missing or unusable credentials included)
  3    authentication or permission error (HTTP 401 / 403)
  4    rate or spend limit (HTTP 429)
  5    not found (HTTP 404: unknown model or path)
  130  interrupted (Ctrl-C)

environment:
  CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN   credentials (chat needs them unless --offline)
  CLOUDFLARE_GATEWAY_ID                         gateway id (header cf-aig-gateway-id)
  CLOUDFLARE_API_BASE_URL                       API base, e.g. a local `cf-gateway emulator`
"""


@contextlib.contextmanager
def interrupted_by(*signals: signal.Signals) -> Iterator[None]:
    """While the block runs, each of ``signals`` raises ``KeyboardInterrupt`` (as Ctrl-C does).

    Restores Ctrl-C for a process started with SIGINT ignored (a shell's background job, some CI
    runners; the ignore is inherited across exec, https://docs.python.org/3/library/signal.html),
    which could otherwise not be stopped. The previous handlers come back afterwards. Python
    sets signal handlers only in the main thread, so elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def logging_to_stderr(name: str, level: int | None) -> Iterator[None]:
    """Send ``name``'s records at ``level`` to stderr for the duration (nothing when ``None``)."""
    if level is None:
        yield
        return
    log = logging.getLogger(name)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(level)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)


# Library keywords the command line spells as options, or as environment variables.
_FLAGS = {
    "model": "--model",
    "endpoint": "--endpoint",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
    "temperature": "--temperature",
    "max_tokens": "--max-tokens",
    "gateway_id": "--gateway-id",
    "content_type": "--content-type",
    "steps": "--steps",
    "seed": "--seed",
    "width": "--width",
    "height": "--height",
    "voice": "--voice",
    "lang": "--lang",
    "language": "--language",
}
# How a message that starts with a keyword starts on the command line.
_SUBJECTS = {
    "account_id": ENV_ACCOUNT_ID,
    "api_token": ENV_API_TOKEN,
    "base_url": ENV_BASE_URL,
    "gateway_id": "the gateway id",
}
_KEYWORD_OR_VARIABLE = re.compile(
    r"(?:\b(?:pass|use) )?\b(\w+)= \(?or set (\w+)\)?", flags=re.IGNORECASE
)
_KEYWORD_VALUE = re.compile(rf"\b({'|'.join(_FLAGS)})=(?:'([^']*)')?")
# The library's pointer to ``extra=``, which the command line has no option for.
_EXTRA = re.compile(
    r"\s*\(pass (?:anything else in )?extra=(?: if it does)?\)|; pass others in extra="
)
_NO_TIMEOUT = re.compile(r",? or None for no timeout|\s*\(or None for no timeout\)")


def _option_or_variable(match: re.Match[str]) -> str:
    flag = _FLAGS.get(match.group(1).lower())
    return f"pass {flag} or set {match.group(2)}" if flag else f"set {match.group(2)}"


def _flag(match: re.Match[str]) -> str:
    flag = _FLAGS[match.group(1)]
    return f"{flag} {match.group(2)}" if match.group(2) is not None else flag


def cli_terms(message: str) -> str:
    """Reword a library message for the command line: options and variables, not keywords."""
    message = _KEYWORD_OR_VARIABLE.sub(_option_or_variable, message)
    message = _NO_TIMEOUT.sub("", message)
    message = _EXTRA.sub("", message)
    message = message.replace("allow_insecure_http=True", "an https base URL")
    message = _KEYWORD_VALUE.sub(_flag, message)
    for keyword, subject in _SUBJECTS.items():
        message = re.sub(rf"^{keyword}\b", subject, message)
    return re.sub(r"\. (pass|set) ", lambda m: f". {m.group(1).capitalize()} ", message)


def fail(exc: BaseException, debug: bool) -> int:
    """Report ``exc`` in one stderr line (traceback with ``--debug``); return its exit code."""
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    kinds = type(exc).__mro__
    code = next((EXIT_CODES[k] for k in kinds if k in EXIT_CODES), EXIT_ERROR)
    message = " ".join(str(exc).split()) or type(exc).__name__
    hint = getattr(exc, HINT_ATTRIBUTE, None) or next((HINTS[k] for k in kinds if k in HINTS), None)
    if "did you mean" in message:  # a specific suggestion beats the general hint
        hint = None
    if isinstance(exc, GatewayConfigError):
        message = cli_terms(message)
    print(f"cf-gateway: error: {message}" + (f" ({hint})" if hint else ""), file=sys.stderr)
    return code
