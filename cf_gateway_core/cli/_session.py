"""One ``cf-gateway chat`` session: the client, how to ask, and how answers are printed.

Shared by the one-shot mode and the interactive loop; only they decide what to ask.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from cf_gateway_core.client import GatewayClient
from cf_gateway_core.config import DEFAULT_BASE_URL
from cf_gateway_core.errors import APIStatusError, APITimeoutError, GatewayError
from cf_gateway_core.events import TextDelta
from cf_gateway_core.messages import ChatRequest, ChatResponse, Message
from cf_gateway_core.retry import RetryPolicy

__all__ = ["Session", "open_client", "response_json"]

# What a retried failure is called on stderr, by class (first match in the MRO).
_FAILURE_NAMES: tuple[tuple[type[GatewayError], str], ...] = (
    (APITimeoutError, "timed out"),
    (GatewayError, "no reply"),
)


def _failure(error: GatewayError) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}" + (f" (code {error.code})" if error.code else "")
    return next(name for kind, name in _FAILURE_NAMES if isinstance(error, kind))


@dataclass(frozen=True, slots=True)
class AnnouncedRetries(RetryPolicy):
    """The client's retry policy, saying on stderr what failed and how long it waits."""

    def next_delay(self, attempt: int, error: GatewayError) -> float | None:
        """As :meth:`RetryPolicy.next_delay`, announcing each wait."""
        delay = RetryPolicy.next_delay(self, attempt, error)
        if delay is not None:
            print(
                f"cf-gateway: {_failure(error)}; retrying in {delay:.1f} s "
                f"(retry {attempt + 1} of {self.max_retries}, Ctrl-C to stop)",
                file=sys.stderr,
                flush=True,
            )
        return delay


def open_client(args: argparse.Namespace, stack: contextlib.ExitStack) -> GatewayClient:
    """The gateway client (env credentials), or with ``--offline`` one on the emulator."""
    limits: dict[str, Any] = {"timeout": args.timeout, "max_retries": args.max_retries}
    if args.offline:
        from cf_gateway_core.testing import FakeGateway

        limits["http_client"] = stack.enter_context(FakeGateway().client())
        limits.update(account_id="offline", api_token="offline", base_url=DEFAULT_BASE_URL)
        limits["gateway_id"] = args.gateway_id or ""
    elif args.gateway_id is not None:
        limits["gateway_id"] = args.gateway_id
    client = stack.enter_context(GatewayClient(**limits))
    client.retry_policy = AnnouncedRetries(max_retries=args.max_retries)
    return client


def response_json(response: ChatResponse) -> dict[str, Any]:
    """The answer as one JSON-ready object: text, tool calls, usage and gateway metadata."""
    usage = response.usage
    return {
        "model": response.model,
        "text": response.text,
        "tool_calls": [
            {"id": call.id, "name": call.name, "arguments": dict(call.arguments)}
            for call in response.tool_calls
        ],
        "finish_reason": response.finish_reason,
        "usage": dataclasses.asdict(usage) if usage is not None else None,
        "gateway": response.gateway.as_dict() if response.gateway is not None else {},
    }


def _summary(response: ChatResponse) -> str:
    usage = response.usage
    parts = [
        f"{usage.input_tokens} input + {usage.output_tokens} output tokens"
        if usage is not None
        else "usage not reported"
    ]
    gateway = response.gateway.as_dict() if response.gateway is not None else {}
    parts.append(f"log id {gateway.get('log_id', 'not reported')}")
    if "cache_status" in gateway:
        parts.append(f"cache {gateway['cache_status']}")
    return f"cf-gateway: {response.model or 'model not reported'}: " + ", ".join(parts)


@dataclass
class Session:
    """How this session asks: the client, the request settings and where answers go."""

    client: GatewayClient
    args: argparse.Namespace
    out: TextIO
    partial: bool = False
    """Whether the answer being streamed has printed text (so a failure needs a line break)."""

    def request(self, history: Sequence[Message], *, stream: bool) -> ChatRequest:
        """A request for ``history`` (after the system prompt) with the session's settings."""
        system = (Message.system(self.args.system),) if self.args.system else ()
        return ChatRequest(
            model=self.args.model,
            messages=(*system, *history),
            temperature=self.args.temperature,
            max_tokens=self.args.max_tokens,
            stream=stream,
        )

    def _headers(self) -> dict[str, str] | None:
        reply = self.args.emulator_reply
        return {"x-emulator-reply": reply} if reply else None

    def ask(self, history: Sequence[Message], *, stream: bool) -> ChatResponse:
        """Send ``history``; with ``stream`` print the text as it arrives."""
        endpoint, headers = self.args.endpoint, self._headers()
        request = self.request(history, stream=stream)
        self.partial = False
        if not stream:
            return self.client.chat(request, endpoint=endpoint, extra_headers=headers)
        with self.client.stream(request, endpoint=endpoint, extra_headers=headers) as events:
            for event in events:
                if isinstance(event, TextDelta):
                    self.out.write(event.text)
                    self.out.flush()
                    self.partial = True
            return events.result()

    def _show_text(self, response: ChatResponse, *, printed: bool) -> None:
        if not printed:
            self.out.write(response.text)
        if response.text:
            self.out.write("\n")
        for call in response.tool_calls:
            self.out.write(f"[tool call] {call.name}({json.dumps(dict(call.arguments))})\n")

    def show(self, response: ChatResponse, *, printed: bool) -> None:
        """Print the rest of an answer (all of it unless ``printed``) and the requested details."""
        if self.args.json:
            self.out.write(json.dumps(response_json(response), ensure_ascii=False) + "\n")
        else:
            self._show_text(response, printed=printed)
        self.out.flush()
        if self.args.verbose or self.args.debug:
            print(_summary(response), file=sys.stderr)
        if self.args.debug:
            _print_details(response)


def _print_details(response: ChatResponse) -> None:
    usage = response.usage
    tokens = f"{usage.input_tokens} in / {usage.output_tokens} out" if usage else "not reported"
    print(
        f"model={response.model} finish={response.finish_reason} tokens: {tokens}",
        file=sys.stderr,
    )
    if response.gateway is not None:
        print(f"gateway metadata: {json.dumps(response.gateway.as_dict())}", file=sys.stderr)
