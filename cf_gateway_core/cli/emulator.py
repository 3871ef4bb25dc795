"""``cf-gateway emulator``: the offline emulator as a local HTTP server, in the foreground."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import TYPE_CHECKING

from cf_gateway_core.cli._command import (
    EXIT_OK,
    HINT_ATTRIBUTE,
    Subcommand,
    interrupted_by,
    logging_to_stderr,
)

if TYPE_CHECKING:
    from cf_gateway_core.emulator.server import EmulatorServer

__all__ = ["SUBCOMMANDS"]

_EPILOG = """\
scripting replies (request header x-emulator-reply):
  error [status=N] [code=N] [message="..."] [retry-after=N]
        a Cloudflare error envelope; status may be left out for a known code
        (2003 -> 429, 10000 -> 401, 7003 -> 404, 5007 -> 400, ...)
  text="..."                       exactly this answer text; \\n, \\t and \\\\ are escapes
  tool=NAME [args='{"k": "v"}']    a call to tool NAME (arguments from its schema if no args);
                                   repeat tool=... for several calls in one reply
  spend-cap [spent=N] [limit=N] [bucket=NAME]
                                   the Policies spend cap (429, no code, spent/limit)
  byok-rejected                    401 / 2009: the provider rejected the stored (BYOK) key
  credentials-rejected             503: the provider rejected Unified Billing credentials
  modifiers after a reply:
    interleave                     stream several tool calls' fragments interleaved
    cut                            cut the tool call off at max_tokens (finish "length");
                                   Chat Completions format only (/ai/v1/chat/completions, or
                                   /ai/run with a non-Anthropic chat model), else a 400
    no-end                         stop the stream before its terminal event
  REPLY ;; REPLY ;; ...            one reply per assistant turn of the conversation (the
                                   last one repeats)

  e.g. curl -H 'x-emulator-reply: tool=get_weather ;; text="Sunny."' ...   or, from the CLI,
       cf-gateway chat "hi" --offline --emulator-reply 'text="Hello"'

models: the catalogue is the model table (cf_gateway_core.profiles.known_models()); any other
model gets the gateway's 404 / code 7003 unless --accept-any-model is given.
"""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="default 8787; 0 picks one")
    parser.add_argument(
        "--chunk-delay", type=float, default=0.0, metavar="SECONDS", help="pause between frames"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    parser.add_argument(
        "--accept-any-model",
        action="store_true",
        help="answer any author/model id; by default a model the catalogue (the model table) "
        "does not list gets the gateway's 404 / code 7003 'Model not found'",
    )


def _ready(server: EmulatorServer) -> None:
    print(
        f"cf-gateway emulator listening on {server.base_url}\n"
        "Point clients at it (any account id and any non-empty token are accepted):\n"
        f"  export CLOUDFLARE_API_BASE_URL={server.base_url}\n"
        "  export CLOUDFLARE_ACCOUNT_ID=emulator\n"
        "  export CLOUDFLARE_API_TOKEN=emulator\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )


def _run(args: argparse.Namespace) -> int:
    from cf_gateway_core.emulator.server import serve
    from cf_gateway_core.testing import FakeGateway

    # With --debug the "cf_gateway" handler already shows these records.
    level = None if args.quiet or args.debug else logging.INFO
    # SIGTERM stops the foreground server as cleanly as Ctrl-C.
    with logging_to_stderr("cf_gateway.emulator", level), interrupted_by(signal.SIGTERM):
        try:
            serve(
                FakeGateway(accept_any_model=args.accept_any_model),
                host=args.host,
                port=args.port,
                chunk_delay=args.chunk_delay,
                ready=_ready,
            )
        except OSError as exc:  # binding the socket
            setattr(exc, HINT_ATTRIBUTE, "is the port already in use? try --port 0")
            raise
    print("cf-gateway emulator stopped.", file=sys.stderr, flush=True)
    return EXIT_OK


SUBCOMMANDS = (
    Subcommand(
        name="emulator",
        help="run the offline emulator as a local HTTP server",
        description="Serve the offline emulator on loopback until Ctrl-C.",
        epilog=_EPILOG,
        add_arguments=_add_arguments,
        run=_run,
    ),
)
