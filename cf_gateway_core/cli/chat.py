"""``cf-gateway chat``: ask a model through the gateway (or, with ``--offline``, the emulator)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import TextIO

from cf_gateway_core.cli._command import EXIT_OK, Subcommand
from cf_gateway_core.client import EventStream, GatewayClient
from cf_gateway_core.config import DEFAULT_BASE_URL, GatewayConfig
from cf_gateway_core.errors import GatewayConfigError
from cf_gateway_core.events import TextDelta
from cf_gateway_core.messages import ChatRequest, ChatResponse, Message
from cf_gateway_core.routing import ENDPOINTS

__all__ = ["DEFAULT_MODEL", "SUBCOMMANDS"]

DEFAULT_MODEL = "openai/gpt-5.5"

_OFFLINE_NOTICE = (
    "cf-gateway: CLOUDFLARE_ACCOUNT_ID / CLOUDFLARE_API_TOKEN are not set (or not usable); "
    "answering from the offline emulator."
)


def _add_arguments(chat: argparse.ArgumentParser) -> None:
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


def _run(args: argparse.Namespace) -> int:
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


SUBCOMMANDS = (Subcommand(name="chat", help="ask a model", add_arguments=_add_arguments, run=_run),)
