"""Two limits, tried from outside (README "Retries" and "Limits"):

- a ``Retry-After`` the client cannot use (``nan``, ``-5``, ``-inf``, ``inf``, a date already past,
  text) falls back to the normal exponential backoff instead of an immediate retry;
- a compressed reply is decoded up to a cap (64 MiB for a whole reply, 128 MiB for a stream) and
  then abandoned with a ``GatewayError``: a gzip bomb is never expanded without bound.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import gzip
import json
import struct
import time
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from cf_gateway_core import (
    AsyncGatewayClient,
    EmbeddingRequest,
    GatewayClient,
    GatewayError,
    RateLimitError,
)
from cf_gateway_core.retry import RetryPolicy
from tests.reliability.conftest import (
    ACCOUNT,
    TOKEN,
    chat_request,
    lc_chat,
    li_chat,
)
from tests.reliability.fault_server import Action, Exchange, FaultServer, completion, json_reply

RATE_LIMITED = {"errors": [{"code": 2003, "message": "Rate limited"}]}
# An HTTP date an hour ago; its id is fixed, so every process (pytest-xdist workers) collects the
# same test ids whatever the clock says.
PAST_DATE = pytest.param(email.utils.formatdate(time.time() - 3600, usegmt=True), id="past-date")
UNUSABLE = ["nan", "NaN", "-5", "-inf", "inf", "Infinity", "1e999", PAST_DATE, "soon", ""]


def _rate_limited(headers: dict[str, str]) -> RateLimitError:
    return RateLimitError("Rate limited", status_code=429, code=2003, headers=headers)


@pytest.mark.parametrize("value", UNUSABLE)
@pytest.mark.parametrize("header", ["retry-after", "retry-after-ms"])
def test_unusable_retry_after_falls_back_to_the_backoff(header: str, value: str) -> None:
    policy = RetryPolicy(max_retries=3, initial_delay=0.5, max_delay=8.0)
    for attempt, (low, high) in enumerate([(0.375, 0.5), (0.75, 1.0), (1.5, 2.0)]):
        delay = policy.next_delay(attempt, _rate_limited({header: value}))
        assert delay is not None and low <= delay <= high, (attempt, delay)


@pytest.mark.parametrize(("value", "expected"), [("0", 0.0), ("2", 2.0), ("1.5", 1.5)])
def test_usable_retry_after_is_honoured(value: str, expected: float) -> None:
    assert RetryPolicy().next_delay(0, _rate_limited({"retry-after": value})) == expected
    wanted_ms = str(expected * 1000)
    assert RetryPolicy().next_delay(0, _rate_limited({"retry-after-ms": wanted_ms})) == expected


def test_a_future_retry_after_date_is_honoured() -> None:
    future = email.utils.formatdate(time.time() + 20, usegmt=True)
    delay = RetryPolicy().next_delay(0, _rate_limited({"retry-after": future}))
    assert delay is not None and 15 < delay <= 20


# Backoff of the end-to-end cases: the first retry waits 0.75-1.0 x 0.2 s.
POLICY = {"initial_delay": 0.2, "max_delay": 0.2}
MIN_WAIT = 0.15


def _core(cls: type[GatewayClient | AsyncGatewayClient], base_url: str) -> Any:
    client = cls(account_id=ACCOUNT, api_token=TOKEN, base_url=base_url, max_retries=1)
    client.retry_policy = dataclasses.replace(client.retry_policy, **POLICY)
    return client


@pytest.mark.parametrize("value", ["nan", "-5", "-inf", PAST_DATE])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_unusable_retry_after_waits_before_the_retry(
    server: FaultServer, mode: str, value: str
) -> None:
    server.script(
        json_reply(RATE_LIMITED, status=429, headers={"retry-after": value}),
        json_reply(completion("later")),
    )
    start = time.perf_counter()
    if mode == "sync":
        reply = _core(GatewayClient, server.base_url).chat(chat_request())
    else:
        reply = asyncio.run(_core(AsyncGatewayClient, server.base_url).chat(chat_request()))
    elapsed = time.perf_counter() - start
    assert reply.text == "later"
    assert len(server.requests) == 2
    assert elapsed >= MIN_WAIT, f"retried after {elapsed:.3f}s: no backoff"


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_adapters_back_off_on_an_unusable_retry_after(server: FaultServer, framework: str) -> None:
    # The adapters' default policy: the first retry waits 0.375-0.5 s.
    server.script(
        json_reply(RATE_LIMITED, status=429, headers={"retry-after": "-inf"}),
        json_reply(completion("later")),
    )
    start = time.perf_counter()
    if framework == "langchain":
        text = lc_chat(server.base_url, max_retries=1).invoke("hi").content
    else:
        messages = [ChatMessage(role="user", content="hi")]
        text = li_chat(server.base_url, max_retries=1).chat(messages).message.content
    assert text == "later"
    assert time.perf_counter() - start >= 0.37


# --- decompression cap ---------------------------------------------------------------------------

MIB = 1024 * 1024


def _bomb(encoding: str, prefix: bytes, block: bytes, times: int) -> bytes:
    """``prefix`` then ``block`` repeated ``times`` times, compressed — in milliseconds.

    ``block`` is deflated once and ended with a full flush, after which a decoder needs nothing
    that came before: the same bytes repeated decode to the block again and again.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    unit = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    deflated = head + unit * times + packer.flush(zlib.Z_FINISH)
    if encoding == "gzip":
        crc = zlib.crc32(prefix)
        for _ in range(times):
            crc = zlib.crc32(block, crc)
        size = (len(prefix) + len(block) * times) % 2**32
        trailer = struct.pack("<II", crc, size)
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflated + trailer
    adler = zlib.adler32(prefix)
    for _ in range(times):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + deflated + struct.pack(">I", adler)


def test_the_bombs_are_what_they_claim() -> None:
    block = b"abc" * 1000
    for encoding, unpack in (("gzip", gzip.decompress), ("deflate", zlib.decompress)):
        assert unpack(_bomb(encoding, b"[", block, 50)) == b"[" + block * 50


_BOMBS: dict[tuple[int, str], bytes] = {}


def bomb_reply(size: int, encoding: str, content_type: str = "application/json") -> Action:
    """A 200 whose small compressed body decodes to ``size`` bytes."""
    key = (size, encoding + content_type)
    if key not in _BOMBS:
        if content_type == "text/event-stream":
            # SSE comment lines of 1 MiB: valid framing, nothing but volume.
            line = b":" + b"x" * (MIB - 2) + b"\n"
            _BOMBS[key] = _bomb(encoding, b"", line, size // MIB)
        else:
            _BOMBS[key] = _bomb(encoding, b'{"id": "', bytes(MIB), size // MIB)
    body = _BOMBS[key]

    async def action(ex: Exchange) -> bool:
        head = (
            f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-encoding: {encoding}\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        await ex.send(head.encode() + body)
        return True

    return action


def _messages() -> list[ChatMessage]:
    return [ChatMessage(role="user", content="hi")]


BODY_CALLS: dict[str, Callable[[str], object]] = {
    "core chat": lambda url: _core(GatewayClient, url).chat(chat_request()),
    "core async chat": lambda url: asyncio.run(_core(AsyncGatewayClient, url).chat(chat_request())),
    "core embed": lambda url: _core(GatewayClient, url).embed(
        EmbeddingRequest(model="@cf/baai/bge-base-en-v1.5", texts=("a",))
    ),
    "core stream answered with JSON": lambda url: list(
        _core(GatewayClient, url).stream(chat_request())
    ),
    "langchain invoke": lambda url: lc_chat(url, max_retries=0).invoke("hi"),
    "llamaindex achat": lambda url: asyncio.run(li_chat(url, max_retries=0).achat(_messages())),
}


@pytest.mark.parametrize("call", BODY_CALLS)
def test_a_compressed_reply_is_decoded_only_up_to_the_cap(server: FaultServer, call: str) -> None:
    server.script(bomb_reply(65 * MIB, "gzip"))
    with pytest.raises(GatewayError, match="64 MiB") as info:
        BODY_CALLS[call](server.base_url)
    assert len(server.requests) == 1  # not retried: the next answer would be the same
    assert TOKEN not in str(info.value)


def test_a_deflate_reply_is_capped_too(server: FaultServer) -> None:
    server.script(bomb_reply(65 * MIB, "deflate"))
    with pytest.raises(GatewayError, match="64 MiB"):
        _core(GatewayClient, server.base_url).chat(chat_request())


def test_a_reply_under_the_cap_decodes(server: FaultServer) -> None:
    body = json.dumps(completion("small")).encode()

    async def action(ex: Exchange) -> bool:
        packed = gzip.compress(body)
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
            f"content-length: {len(packed)}\r\n\r\n"
        )
        await ex.send(head.encode() + packed)
        return True

    server.script(action)
    assert _core(GatewayClient, server.base_url).chat(chat_request()).text == "small"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_compressed_stream_is_decoded_only_up_to_the_cap(server: FaultServer, mode: str) -> None:
    server.script(bomb_reply(129 * MIB, "gzip", "text/event-stream"))
    with pytest.raises(GatewayError, match="128 MiB"):
        if mode == "sync":
            list(_core(GatewayClient, server.base_url).stream(chat_request()))
        else:

            async def drain() -> None:
                client = _core(AsyncGatewayClient, server.base_url)
                async for _ in client.stream(chat_request()):
                    pass

            asyncio.run(drain())
