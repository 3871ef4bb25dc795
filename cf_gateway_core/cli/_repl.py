"""The interactive ``cf-gateway chat``: a conversation on the terminal.

Each line is a turn; answers stream. ``/reset`` forgets the conversation, ``/exit`` or Ctrl-D
leaves, Ctrl-C stops the answer being printed (that turn is forgotten) or clears the line.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

from cf_gateway_core.cli._command import EXIT_OK, cli_terms
from cf_gateway_core.cli._session import Session
from cf_gateway_core.errors import GatewayConfigError, GatewayError
from cf_gateway_core.messages import Message

__all__ = ["PROMPT", "run_repl"]

PROMPT = "> "
_HELP = "/reset forgets the conversation, /exit or Ctrl-D leaves, Ctrl-C stops an answer"


def _say(text: str) -> None:
    print(f"cf-gateway: {text}", file=sys.stderr, flush=True)


def _reset(history: list[Message]) -> bool:
    history.clear()
    _say("conversation cleared")
    return True


def _help(history: list[Message]) -> bool:
    _say(_HELP)
    return True


# Slash command -> action; an action returns whether to keep going.
_COMMANDS: dict[str, Callable[[list[Message]], bool]] = {
    "/reset": _reset,
    "/exit": lambda history: False,
    "/quit": lambda history: False,
    "/help": _help,
}


def _read_line() -> str | None:
    """The next line typed; ``None`` at end of input. Ctrl-C gives an empty line."""
    try:
        return input(PROMPT)
    except EOFError:
        print(file=sys.stdout, flush=True)
        return None
    except KeyboardInterrupt:
        print(file=sys.stdout, flush=True)
        return ""


def _error(exc: BaseException) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return f"error: {cli_terms(message) if isinstance(exc, GatewayConfigError) else message}"


def _turn(session: Session, history: list[Message], line: str) -> None:
    """Ask with ``line`` appended; keep the turn only if an answer arrived."""
    history.append(Message.user(line))
    try:
        response = session.ask(history, stream=True)
    except (KeyboardInterrupt, GatewayError) as exc:
        history.pop()
        if session.partial or isinstance(exc, KeyboardInterrupt):
            session.out.write("\n")
            session.out.flush()
        _say("answer stopped" if isinstance(exc, KeyboardInterrupt) else _error(exc))
        return
    session.show(response, printed=True)
    history.append(Message.assistant(response.text))


def run_repl(session: Session) -> int:
    """Converse until ``/exit`` or end of input; return the exit code."""
    with contextlib.suppress(ImportError):  # line editing and history for input(), not Windows
        import readline  # noqa: F401
    _say(f"chatting with {session.args.model}; {_HELP}")
    history: list[Message] = []
    while (line := _read_line()) is not None:
        text = line.strip()
        if not text:
            continue
        action = _COMMANDS.get(text.split()[0]) if text.startswith("/") else None
        if action is not None:
            if not action(history):
                break
            continue
        if text.startswith("/") and " " not in text:
            _say(f"unknown command {text}; {_HELP} (/help)")
            continue
        _turn(session, history, line)
    return EXIT_OK
