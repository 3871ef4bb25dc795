"""The ``cf-gateway`` command line: ``chat`` through the gateway, and the local ``emulator``.

``cf-gateway chat PROMPT`` uses the environment's credentials through :class:`GatewayClient`;
with ``--offline``, or when no credentials are set (it says so on stderr), it answers from the
built-in emulator in-process. ``cf-gateway emulator`` serves the emulator over HTTP in the
foreground until Ctrl-C. Errors are one line on stderr (a traceback only with ``--debug``) and
map to the exit codes listed in :data:`EPILOG`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import TextIO

from cf_gateway_core._version import __version__
from cf_gateway_core.client import EventStream, GatewayClient
from cf_gateway_core.config import DEFAULT_BASE_URL, GatewayConfig
from cf_gateway_core.errors import (
    AuthenticationError,
    GatewayConfigError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SpendLimitError,
)
from cf_gateway_core.events import TextDelta
from cf_gateway_core.messages import ChatRequest, ChatResponse, Message
from cf_gateway_core.routing import ENDPOINTS

__all__ = ["DEFAULT_MODEL", "EPILOG", "main"]

DEFAULT_MODEL = "openai/gpt-5.5"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# Error class -> exit code; the first class in an error's MRO found here wins.
_EXIT_CODES: dict[type[BaseException], int] = {
    GatewayConfigError: EXIT_USAGE,
    AuthenticationError: 3,
    PermissionDeniedError: 3,
    RateLimitError: 4,
    NotFoundError: 5,
}
_HINTS: dict[type[BaseException], str] = {
    AuthenticationError: "check CLOUDFLARE_API_TOKEN; it needs Account > Workers AI > Read",
    PermissionDeniedError: "the token or account may not use this model",
    SpendLimitError: "the gateway's spend limit is reached; raise it or wait for the window",
    RateLimitError: "wait a moment and retry, or raise the gateway's rate limit",
    NotFoundError: "check the model id, e.g. openai/gpt-5.5 or @cf/meta/llama-3.1-8b-instruct",
    OSError: "is the port already in use? try --port 0",
}

EPILOG = """\
exit codes:
  0    success
  1    other error (connection, server error, unexpected reply)
  2    usage or configuration error
  3    authentication or permission error (HTTP 401 / 403)
  4    rate or spend limit (HTTP 429)
  5    not found (HTTP 404: unknown model or path)
  130  interrupted (Ctrl-C)

environment:
  CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN   credentials (without them, chat runs offline)
  CLOUDFLARE_GATEWAY_ID                         gateway id (header cf-aig-gateway-id)
  CLOUDFLARE_API_BASE_URL                       API base, e.g. a local `cf-gateway emulator`
"""

_OFFLINE_NOTICE = (
    "cf-gateway: CLOUDFLARE_ACCOUNT_ID / CLOUDFLARE_API_TOKEN are not set (or not usable); "
    "answering from the offline emulator."
)


def _parser() -> argparse.ArgumentParser:
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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat = commands.add_parser(
        "chat", parents=[common], help="ask a model", epilog=EPILOG, formatter_class=raw
    )
    chat.add_argument("prompt", metavar="PROMPT", help="the question ('-' reads stdin)")
    chat.add_argument("--model", "-m", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    chat.add_argument("--stream", action="store_true", help="print tokens as they arrive")
    chat.add_argument("--system", metavar="TEXT", help="a system prompt")
    chat.add_argument("--endpoint", choices=ENDPOINTS, default="auto", help="default auto")
    chat.add_argument("--offline", action="store_true", help="answer from the built-in emulator")
    chat.add_argument(
        "--emulator-reply",
        metavar="SPEC",
        help="script the emulator's reply, e.g. 'error status=429 code=2003' or 'text=\"Hi\"'",
    )
    chat.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")
    chat.add_argument("--max-retries", type=int, default=2, help="default 2")
    emulator = commands.add_parser(
        "emulator", parents=[common], help="run the offline emulator as a local HTTP server"
    )
    emulator.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    emulator.add_argument("--port", type=int, default=8787, help="default 8787; 0 picks one")
    emulator.add_argument(
        "--chunk-delay", type=float, default=0.0, metavar="SECONDS", help="pause between frames"
    )
    emulator.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


@contextlib.contextmanager
def _logging_to_stderr(name: str, level: int | None) -> Iterator[None]:
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


def _credentials_missing() -> bool:
    """Whether configuration fails only for want of an account id and token."""
    try:
        GatewayConfig.resolve(account_id="offline", api_token="offline")
    except GatewayConfigError:
        return False
    return True


def _open_client(args: argparse.Namespace, stack: contextlib.ExitStack) -> GatewayClient:
    limits = {"timeout": args.timeout, "max_retries": args.max_retries}
    if not args.offline:
        try:
            return stack.enter_context(GatewayClient(**limits))
        except GatewayConfigError:
            if not _credentials_missing():
                raise
            print(_OFFLINE_NOTICE, file=sys.stderr)
    from cf_gateway_core.testing import FakeGateway

    http = stack.enter_context(FakeGateway().client())
    return stack.enter_context(
        GatewayClient(
            account_id="offline",
            api_token="offline",
            gateway_id="",
            base_url=DEFAULT_BASE_URL,
            http_client=http,
            **limits,
        )
    )


def _request(args: argparse.Namespace) -> ChatRequest:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    messages = [Message.user(prompt)]
    if args.system:
        messages.insert(0, Message.system(args.system))
    return ChatRequest(model=args.model, messages=tuple(messages), stream=args.stream)


def _print_stream(stream: EventStream, out: TextIO) -> ChatResponse:
    with stream:
        for event in stream:
            if isinstance(event, TextDelta):
                out.write(event.text)
                out.flush()
    return stream.result()


def _print_details(response: ChatResponse) -> None:
    usage = response.usage
    tokens = f"{usage.input_tokens} in / {usage.output_tokens} out" if usage else "not reported"
    print(
        f"model={response.model} finish={response.finish_reason} tokens: {tokens}",
        file=sys.stderr,
    )
    if response.gateway is not None:
        print(f"gateway metadata: {json.dumps(response.gateway.as_dict())}", file=sys.stderr)


def _chat(args: argparse.Namespace) -> int:
    request = _request(args)
    headers = {"x-emulator-reply": args.emulator_reply} if args.emulator_reply else None
    out = sys.stdout
    with contextlib.ExitStack() as stack:
        client = _open_client(args, stack)
        if args.stream:
            stream = client.stream(request, endpoint=args.endpoint, extra_headers=headers)
            response = _print_stream(stream, out)
        else:
            response = client.chat(request, endpoint=args.endpoint, extra_headers=headers)
            out.write(response.text)
    if response.text:
        out.write("\n")
    for call in response.tool_calls:
        out.write(f"[tool call] {call.name}({json.dumps(dict(call.arguments))})\n")
    out.flush()
    if args.debug:
        _print_details(response)
    return EXIT_OK


def _emulator(args: argparse.Namespace) -> int:
    from cf_gateway_core.emulator.server import EmulatorServer, serve

    def ready(server: EmulatorServer) -> None:
        print(
            f"cf-gateway emulator listening on {server.base_url}\n"
            "Point clients at it (any account id and any non-empty token are accepted):\n"
            f"  export CLOUDFLARE_API_BASE_URL={server.base_url}\n"
            "  export CLOUDFLARE_ACCOUNT_ID=emulator\n"
            "  export CLOUDFLARE_API_TOKEN=emulator\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )

    # With --debug the "cf_gateway" handler already shows these records.
    level = None if args.quiet or args.debug else logging.INFO
    with _logging_to_stderr("cf_gateway.emulator", level), _sigterm_interrupts():
        serve(host=args.host, port=args.port, chunk_delay=args.chunk_delay, ready=ready)
    print("cf-gateway emulator stopped.", file=sys.stderr, flush=True)
    return EXIT_OK


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Let SIGTERM stop the foreground server as cleanly as Ctrl-C (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    kinds = type(exc).__mro__
    code = next((_EXIT_CODES[k] for k in kinds if k in _EXIT_CODES), EXIT_ERROR)
    hint = next((_HINTS[k] for k in kinds if k in _HINTS), None)
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"cf-gateway: error: {message}" + (f" ({hint})" if hint else ""), file=sys.stderr)
    return code


_COMMANDS = {"chat": _chat, "emulator": _emulator}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (see ``cf-gateway --help``)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    debug_level = logging.DEBUG if args.debug else None
    try:
        with _logging_to_stderr("cf_gateway", debug_level):
            return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("cf-gateway: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # one line, not a traceback (unless --debug)
        return _fail(exc, args.debug)


if __name__ == "__main__":
    sys.exit(main())
