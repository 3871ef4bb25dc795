"""What makes the emulator as strict as the gateway.

See docs/gateway-2026.md, "The emulator":

- a model the catalogue (the model table, :func:`cf_gateway_core.profiles.known_models`) does not
  list gets the gateway's ``404`` / code 7003 ``Model not found: …`` — dashes for dots included
  (``anthropic/claude-sonnet-4-5``) — and a native ``/ai/run/@cf/…`` one Workers AI's ``400`` /
  code 5007; unless the emulator accepts any model (``FakeGateway(accept_any_model=True)``,
  ``cf-gateway emulator --accept-any-model``);
- a Responses-only model (``ModelProfile.responses_only``) on Chat Completions or Messages gets a
  ``400``;
- a Chat Completions stream carries a usage chunk only when ``stream_options.include_usage`` asks
  for it, as OpenAI's does;
- every reply gets its own log, request and event ids (UUIDv7-shaped, as the gateway's since
  2026-10-08).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from cf_gateway_core.profiles import get_profile, known_models

__all__ = [
    "MODEL_NOT_FOUND",
    "NO_SUCH_MODEL",
    "chat_usage_wanted",
    "drop_usage_chunks",
    "new_id",
    "not_in_catalogue",
    "responses_only_problem",
]

MODEL_NOT_FOUND = (404, 7003, "Model not found: {model}")
"""The gateway's answer to a slug it does not know (docs/wire-notes.md §4.3, [O])."""
NO_SUCH_MODEL = (400, 5007, "No such model {model} or task")
"""Workers AI's answer on its native run path (Workers AI errors page)."""


def not_in_catalogue(model: str, accept_any: bool) -> bool:
    """Whether the gateway would refuse ``model`` as unknown."""
    return not accept_any and model not in known_models()


def responses_only_problem(model: str, api: str) -> str | None:
    """The gateway's complaint when a Responses-only model is sent to ``api``, else ``None``."""
    if not get_profile(model).responses_only:
        return None
    return (
        f"Model {model} does not support the {api} format; it accepts the OpenAI Responses "
        "format only (use /ai/v1/responses, or /ai/run with a Responses input)"
    )


def chat_usage_wanted(body: Mapping[str, Any]) -> bool:
    """Whether a Chat Completions stream request asked for the usage chunk."""
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


def drop_usage_chunks(frames: list[Any]) -> list[Any]:
    """The frames without the final ``choices: []`` usage chunk (and with ``usage`` absent)."""
    kept = []
    for frame in frames:
        if isinstance(frame, Mapping) and frame.get("choices") == [] and "usage" in frame:
            continue
        if isinstance(frame, Mapping) and "usage" in frame:
            frame = {k: v for k, v in frame.items() if k != "usage"}
        kept.append(frame)
    return kept


def new_id() -> str:
    """A fresh UUIDv7-shaped id: 48 bits of Unix milliseconds, then random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | rand
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
