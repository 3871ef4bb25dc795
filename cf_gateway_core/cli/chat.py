"""``cf-gateway chat``: ask a model through the gateway (or, with ``--offline``, the emulator).

With a prompt (or text piped in) it answers once; with neither, on a terminal, it holds a
conversation (:mod:`cf_gateway_core.cli._repl`). Without usable credentials it refuses, naming
each variable that is missing, misspelled or unusable: it never answers from the emulator
unless ``--offline`` asks for that.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable

from cf_gateway_core.cli._command import EXIT_OK, Subcommand, UsageError
from cf_gateway_core.cli._credentials import credential_problems
from cf_gateway_core.cli._repl import run_repl
from cf_gateway_core.cli._session import Session, open_client
from cf_gateway_core.messages import Message
from cf_gateway_core.routing import ENDPOINTS

__all__ = ["DEFAULT_MODEL", "SUBCOMMANDS"]

DEFAULT_MODEL = "openai/gpt-5.5"
_MAX_TIMEOUT = 3600.0
_MAX_RETRIES = 10

_DESCRIPTION = """\
Ask a model through Cloudflare AI Gateway.

  cf-gateway chat "What is Cloudflare?"          answer once
  git diff | cf-gateway chat "Review this"       piped text is appended to the prompt
  cf-gateway chat                                a conversation (on a terminal)
  cf-gateway chat "Hi" --offline                 the built-in emulator answers (no account)
"""


def _number(
    kind: Callable[[str], float], low: float, high: float, what: str, *, above: bool = False
) -> Callable[[str], float]:
    """An argparse type: ``kind(text)`` from ``low`` (excluded if ``above``) to ``high``."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not math.isfinite(value) or not low <= value <= high or (above and value == low):
            raise argparse.ArgumentTypeError(f"{text} is not {what}")
        return value

    return parse


def _add_arguments(chat: argparse.ArgumentParser) -> None:
    chat.description = _DESCRIPTION
    chat.add_argument(
        "prompt", metavar="PROMPT", nargs="?", help="the question ('-' reads it from stdin)"
    )
    chat.add_argument("--model", "-m", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    chat.add_argument("--system", metavar="TEXT", help="a system prompt")
    chat.add_argument("--stream", action="store_true", help="print tokens as they arrive")
    chat.add_argument("--json", action="store_true", help="print one JSON object per answer")
    chat.add_argument("-v", "--verbose", action="store_true", help="usage and log id on stderr")
    chat.add_argument(
        "--temperature",
        type=_number(float, 0.0, 2.0, "a temperature from 0 to 2"),
        help="sampling temperature (not sent unless given)",
    )
    chat.add_argument(
        "--max-tokens",
        type=_number(int, 1, 10**9, "a whole number of tokens, at least 1"),
        metavar="N",
        help="longest answer in tokens (not sent unless given)",
    )
    chat.add_argument("--gateway-id", metavar="ID", help="gateway (default $CLOUDFLARE_GATEWAY_ID)")
    chat.add_argument("--endpoint", choices=ENDPOINTS, default="auto", help="default auto")
    chat.add_argument("--offline", action="store_true", help="answer from the built-in emulator")
    chat.add_argument(
        "--emulator-reply",
        metavar="SPEC",
        help="script the emulator's reply (--offline or a local `cf-gateway emulator`), "
        "e.g. 'error code=2003' or 'text=\"Hi\"'",
    )
    chat.add_argument(
        "--timeout",
        type=_number(
            float, 0, _MAX_TIMEOUT, "a number of seconds above 0, at most 3600", above=True
        ),
        default=60.0,
        metavar="SECONDS",
        help="per attempt (default 60, at most 3600)",
    )
    chat.add_argument(
        "--max-retries",
        type=_number(int, 0, _MAX_RETRIES, f"a whole number from 0 to {_MAX_RETRIES}"),
        default=2,
        metavar="N",
        help="default 2",
    )


def _prompt(args: argparse.Namespace) -> str | None:
    """The one-shot prompt (argument plus piped text), or ``None`` for a conversation."""
    given: str | None = args.prompt
    if given == "-":
        return sys.stdin.read()
    if sys.stdin.isatty():
        return given
    piped = sys.stdin.read()
    if given is None:
        if not piped.strip():
            raise UsageError("no prompt: give one as an argument, or pipe text in")
        return piped
    return f"{given}\n\n{piped}" if piped.strip() else given


def _check(args: argparse.Namespace) -> None:
    if args.offline:
        return
    problems = credential_problems(os.environ, gateway_id=args.gateway_id)
    if problems:
        raise UsageError(
            "cannot reach Cloudflare AI Gateway: "
            + "; ".join(problems)
            + ". Set them (the token needs Account > Workers AI > Read), or add --offline "
            "for an answer from the built-in emulator."
        )


def _run(args: argparse.Namespace) -> int:
    _check(args)
    prompt = _prompt(args)
    if prompt is None and args.json:
        raise UsageError("--json needs a prompt (an argument or piped text)")
    with contextlib.ExitStack() as stack:
        session = Session(open_client(args, stack), args, sys.stdout)
        if prompt is None:
            return run_repl(session)
        stream = args.stream and not args.json
        response = session.ask([Message.user(prompt)], stream=stream)
        session.show(response, printed=stream)
    return EXIT_OK


SUBCOMMANDS = (Subcommand(name="chat", help="ask a model", add_arguments=_add_arguments, run=_run),)
