"""The ``cf-gateway`` command line.

Subcommands live in their own modules; each module exports ``SUBCOMMANDS``, a tuple of
:class:`~cf_gateway_core.cli._command.Subcommand` records (name, help, ``add_arguments``,
``run``). To add commands, write such a module and add one line to :data:`SUBCOMMAND_MODULES`.
Errors are one line on stderr (a traceback only with ``--debug``) and map to the exit codes
listed in ``cf-gateway --help``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
from collections.abc import Sequence

from cf_gateway_core._version import __version__
from cf_gateway_core.cli._command import (
    EPILOG,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Subcommand,
    fail,
    interrupted_by,
    logging_to_stderr,
)

__all__ = ["EPILOG", "SUBCOMMAND_MODULES", "Subcommand", "main", "subcommands"]

# The modules whose SUBCOMMANDS make up the command line, in `cf-gateway --help` order.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "cf_gateway_core.cli.chat",
    "cf_gateway_core.cli.emulator",
    "cf_gateway_core.cli.media",
)


def subcommands() -> tuple[Subcommand, ...]:
    """Every registered subcommand, in table order."""
    found: list[Subcommand] = []
    for name in SUBCOMMAND_MODULES:
        found.extend(importlib.import_module(name).SUBCOMMANDS)
    return tuple(found)


def _parser(commands: Sequence[Subcommand]) -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="log requests; tracebacks on errors")
    parser = argparse.ArgumentParser(
        prog="cf-gateway",
        description="Cloudflare AI Gateway from the command line.",
        epilog=EPILOG,
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        child = sub.add_parser(
            command.name,
            parents=[common],
            help=command.help,
            description=command.description or command.help,
            epilog=EPILOG if command.epilog is None else f"{command.epilog}\n{EPILOG}",
            formatter_class=raw,
        )
        command.add_arguments(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (see ``cf-gateway --help``)."""
    try:
        args = _parser(subcommands()).parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    debug_level = logging.DEBUG if args.debug else None
    try:  # Ctrl-C works even when the process was started with SIGINT ignored
        with interrupted_by(signal.SIGINT), logging_to_stderr("cf_gateway", debug_level):
            code: int = args.run(args)
            return code
    except KeyboardInterrupt:
        print("\ncf-gateway: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # one line, not a traceback (unless --debug)
        return fail(exc, args.debug)
