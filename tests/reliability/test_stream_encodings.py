"""A streamed reply with a ``Content-Encoding`` decodes to the same answer as a plain one.

The gateway may compress an event stream (``gzip``, ``deflate``) or name the identity encoding
outright; each HTTP chunk then holds a piece of the compressed body, not one event. Every surface
(the core clients over aiohttp or a caller's httpx client, LangChain ``stream``/``astream``,
LlamaIndex ``stream_chat``) must hand over the same text and usage as for the uncompressed
stream (RFC 9110 §8.4: https://www.rfc-editor.org/rfc/rfc9110#section-8.4).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable

import httpx
import pytest
from langchain_core.messages import AIMessageChunk
from llama_index.core.llms import ChatMessage

from cf_gateway_core import AsyncGatewayClient, GatewayClient
from cf_gateway_core.testing import Turn, Usage, chat_completion, chat_completion_chunks, sse_chunks
from tests.reliability.conftest import ACCOUNT, TOKEN, chat_request, lc_chat, li_chat
from tests.reliability.fault_server import FaultServer, sse_reply

PIECES = ["Cloud", "flare ", "AI ", "Gate", "way ", "é ", "€ ", "done."]
TEXT = "".join(PIECES)
USAGE = Usage(input_tokens=4, output_tokens=len(PIECES))


def _frames() -> list[bytes]:
    turn = Turn(text=TEXT, chunks=PIECES, usage=USAGE, id="enc")
    body = chat_completion(turn, model="gpt-5.5")
    return sse_chunks(chat_completion_chunks(body, split=turn.split, include_usage=True))


def _compressed(frames: list[bytes], encoding: str) -> list[bytes]:
    """The frames as one body in ``encoding``, flushed after each frame: one HTTP chunk holds
    one frame's compressed bytes (the first also the header), as a server compressing on the
    fly sends them."""
    if encoding == "identity":
        return frames
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}[encoding]
    packer = zlib.compressobj(wbits=wbits)
    pieces = [packer.compress(frame) + packer.flush(zlib.Z_SYNC_FLUSH) for frame in frames]
    pieces[-1] += packer.flush()
    return pieces


def _script(server: FaultServer, encoding: str | None) -> None:
    frames = _frames()
    if encoding is None:
        server.script(sse_reply(frames))
        return
    pieces = _compressed(frames, encoding)
    server.script(sse_reply(pieces, headers={"content-encoding": encoding}))


def _core_sync(url: str) -> tuple[str, int | None]:
    client = GatewayClient(account_id=ACCOUNT, api_token=TOKEN, base_url=url, max_retries=0)
    with client.stream(chat_request()) as events:
        list(events)
        reply = events.result()
    return reply.text, reply.usage.output_tokens if reply.usage else None


def _core_async(url: str, own_httpx: bool = False) -> tuple[str, int | None]:
    async def run() -> tuple[str, int | None]:
        http = httpx.AsyncClient() if own_httpx else None
        client = AsyncGatewayClient(
            account_id=ACCOUNT, api_token=TOKEN, base_url=url, http_client=http
        )
        async with client.stream(chat_request()) as events:
            async for _ in events:
                pass
            reply = events.result()
        await client.aclose()
        if http is not None:
            await http.aclose()
        return reply.text, reply.usage.output_tokens if reply.usage else None

    return asyncio.run(run())


def _merged(chunks: list[AIMessageChunk]) -> tuple[str, int | None]:
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    usage = merged.usage_metadata
    return str(merged.content), usage["output_tokens"] if usage else None


def _lc_sync(url: str) -> tuple[str, int | None]:
    return _merged(list(lc_chat(url, max_retries=0).stream("hi")))


def _lc_async(url: str) -> tuple[str, int | None]:
    async def run() -> list[AIMessageChunk]:
        return [chunk async for chunk in lc_chat(url, max_retries=0).astream("hi")]

    return _merged(asyncio.run(run()))


def _li_sync(url: str) -> tuple[str, int | None]:
    llm = li_chat(url, max_retries=0)
    responses = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    deltas = "".join(r.delta or "" for r in responses)
    assert deltas == responses[-1].message.content
    return deltas, responses[-1].additional_kwargs.get("completion_tokens")


SURFACES: dict[str, Callable[[str], tuple[str, int | None]]] = {
    "core sync": _core_sync,
    "core async": _core_async,
    "core async, the caller's httpx.AsyncClient": lambda url: _core_async(url, own_httpx=True),
    "langchain stream": _lc_sync,
    "langchain astream": _lc_async,
    "llamaindex stream_chat": _li_sync,
}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity"])
@pytest.mark.parametrize("surface", SURFACES)
def test_an_encoded_stream_gives_the_plain_streams_answer(
    server: FaultServer, surface: str, encoding: str
) -> None:
    _script(server, None)
    plain = SURFACES[surface](server.base_url)
    assert plain == (TEXT, USAGE.output_tokens)
    _script(server, encoding)
    assert SURFACES[surface](server.base_url) == plain
