"""What one sync call builds and loads, seen from a fresh interpreter (the test session has loaded
everything): one ``httpx.Client`` and one TLS context, no async client or aiohttp session; the
wire formats a reply does not use stay unloaded; orjson is not imported to read a small reply,
but is used for streams and large bodies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _after(code: str) -> dict[str, object]:
    """What ``code`` (run in a new interpreter after the setup below) reports as JSON."""
    setup = (
        "import gc, json, ssl, sys\n"
        "from cf_gateway_core import ChatRequest, GatewayClient, Message\n"
        "from cf_gateway_core.emulator.server import run_in_thread\n"
        "server = run_in_thread()\n"
        "def client():\n"
        "    return GatewayClient(account_id='acct', api_token='tok', base_url=server.base_url,\n"
        "                         allow_insecure_http=True, max_retries=0)\n"
        "def request(model, text='hi'):\n"
        "    return ChatRequest(model=model, messages=(Message.user(text),))\n"
        "def loaded(*names):\n"
        "    return {name: name in sys.modules for name in names}\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", setup + code + "\nserver.stop()\n"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_sync_call_builds_one_http_client_and_no_async_one() -> None:
    result = _after(
        "import httpx\n"
        "with client() as c:\n"
        "    assert c.chat(request('openai/gpt-5.5')).text\n"
        "    objs = gc.get_objects()\n"
        "    print(json.dumps({'sync': sum(isinstance(o, httpx.Client) for o in objs),\n"
        "        'async': sum(isinstance(o, httpx.AsyncClient) for o in objs),\n"
        "        'tls': sum(isinstance(o, ssl.SSLContext) for o in objs),\n"
        "        **loaded('aiohttp')}))\n"
    )
    assert result == {"sync": 1, "async": 0, "tls": 1, "aiohttp": False}


UNUSED_BY_NATIVE_RUN = (
    "cf_gateway_core.wire.anthropic_messages",
    "cf_gateway_core.wire.openai_responses",
)


def test_a_native_run_call_leaves_the_other_wire_formats_unloaded() -> None:
    result = _after(
        "with client() as c:\n"
        "    assert c.chat(request('@cf/meta/llama-3.3-70b-instruct-fp8-fast'),"
        " endpoint='run').text\n"
        f"    print(json.dumps(loaded(*{UNUSED_BY_NATIVE_RUN!r})))\n"
    )
    assert result == dict.fromkeys(UNUSED_BY_NATIVE_RUN, False)


@pytest.mark.parametrize(
    ("model", "needed"),
    [
        ("anthropic/claude-sonnet-4.5", "cf_gateway_core.wire.anthropic_messages"),
        ("openai/gpt-5.5", "cf_gateway_core.wire.openai_chat"),
    ],
)
def test_a_universal_run_call_loads_the_format_of_its_input(model: str, needed: str) -> None:
    result = _after(
        "with client() as c:\n"
        f"    text = c.chat(request({model!r}), endpoint='run').text\n"
        f"    print(json.dumps({{'text': bool(text), **loaded({needed!r})}}))\n"
    )
    assert result == {"text": True, needed: True}


def test_orjson_is_not_imported_to_read_a_small_reply_but_is_for_a_stream() -> None:
    pytest.importorskip("orjson")
    result = _after(
        "with client() as c:\n"
        "    assert c.chat(request('openai/gpt-5.5')).text\n"
        "    after_call = 'orjson' in sys.modules\n"
        "    with c.stream(request('openai/gpt-5.5')) as events:\n"
        "        list(events)\n"
        "    after_stream = 'orjson' in sys.modules\n"
        "    print(json.dumps({'after_call': after_call, 'after_stream': after_stream}))\n"
    )
    assert result == {"after_call": False, "after_stream": True}


@pytest.mark.parametrize(
    ("model", "endpoint", "decoder"),
    [
        ("openai/gpt-5.5", "auto", "cf_gateway_core.wire._openai_chat_stream"),
        ("anthropic/claude-sonnet-4.5", "auto", "cf_gateway_core.wire._anthropic_stream"),
        (
            "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
            "run",
            "cf_gateway_core.wire._workers_ai_stream",
        ),
    ],
)
def test_a_stream_decoder_is_loaded_by_the_first_stream_not_by_a_call(
    model: str, endpoint: str, decoder: str
) -> None:
    result = _after(
        "with client() as c:\n"
        f"    assert c.chat(request({model!r}), endpoint={endpoint!r}).text\n"
        f"    after_call = {decoder!r} in sys.modules\n"
        f"    with c.stream(request({model!r}), endpoint={endpoint!r}) as events:\n"
        "        text = ''.join(getattr(e, 'text', '') for e in events)\n"
        f"    after_stream = {decoder!r} in sys.modules\n"
        "    print(json.dumps({'after_call': after_call, 'after_stream': after_stream,\n"
        "                      'streamed': bool(text)}))\n"
    )
    assert result == {"after_call": False, "after_stream": True, "streamed": True}


def test_the_decoders_keep_their_public_names() -> None:
    from cf_gateway_core.wire import anthropic_messages, openai_chat, workers_ai
    from cf_gateway_core.wire._anthropic_stream import ChunkDecoder as AnthropicDecoder
    from cf_gateway_core.wire._openai_chat_stream import ChunkDecoder as OpenAIDecoder
    from cf_gateway_core.wire._workers_ai_stream import ChunkDecoder as WorkersDecoder

    assert openai_chat.ChunkDecoder is OpenAIDecoder
    assert anthropic_messages.ChunkDecoder is AnthropicDecoder
    assert workers_ai.ChunkDecoder is WorkersDecoder
    assert isinstance(workers_ai.FORMAT.new_decoder(), WorkersDecoder)
    with pytest.raises(AttributeError):
        openai_chat.NoSuchName  # noqa: B018


STREAM_ONLY = (
    "cf_gateway_core.events",
    "cf_gateway_core.sse",
    "cf_gateway_core._streams",
    "cf_gateway_core._decoding",
    "cf_gateway_core._loops",
    "cf_gateway_core._rest",
    "cf_gateway_core._beyond",
)


@pytest.mark.parametrize(
    ("model", "endpoint"),
    [
        ("openai/gpt-5.5", "auto"),
        ("anthropic/claude-sonnet-4.5", "auto"),
        ("@cf/meta/llama-3.3-70b-instruct-fp8-fast", "run"),
    ],
)
def test_a_sync_call_loads_no_stream_or_async_module_until_a_stream(
    model: str, endpoint: str
) -> None:
    result = _after(
        "with client() as c:\n"
        f"    assert c.chat(request({model!r}), endpoint={endpoint!r}).text\n"
        f"    after_call = loaded(*{STREAM_ONLY!r})\n"
        f"    with c.stream(request({model!r}), endpoint={endpoint!r}) as events:\n"
        "        text = ''.join(getattr(e, 'text', '') for e in events)\n"
        "    used = loaded('cf_gateway_core._streams', 'cf_gateway_core.events')\n"
        "    print(json.dumps({'after_call': after_call, 'streamed': bool(text),\n"
        "        'stream_modules': used}))\n"
    )
    assert result == {
        "after_call": dict.fromkeys(STREAM_ONLY, False),
        "streamed": True,
        "stream_modules": {"cf_gateway_core._streams": True, "cf_gateway_core.events": True},
    }


def test_the_stream_classes_and_tool_argument_parser_keep_their_public_names() -> None:
    import cf_gateway_core
    from cf_gateway_core import _streams, events
    from cf_gateway_core.client import AsyncEventStream, EventStream

    assert EventStream is _streams.EventStream is cf_gateway_core.EventStream
    assert AsyncEventStream is _streams.AsyncEventStream is cf_gateway_core.AsyncEventStream
    assert events.parse_tool_arguments is cf_gateway_core.parse_tool_arguments
    assert cf_gateway_core.parse_tool_arguments('{"a": 1}') == ({"a": 1}, None)
    with pytest.raises(AttributeError):
        cf_gateway_core.client.NoSuchName  # noqa: B018


ADAPTER_CALLS = {
    "langchain": (
        "from langchain_cf_gateway import ChatCloudflareAIGateway as Chat\n"
        "model = Chat(model={model!r}, endpoint={endpoint!r}, account_id='acct', api_token='tok',"
        " base_url=server.base_url, max_retries=0)\n"
        "assert model.invoke('hi').content\n",
        "assert ''.join(str(c.content) for c in model.stream('hi'))\n",
        "langchain_cf_gateway._streaming",
    ),
    "llamaindex": (
        "from llama_index.core.llms import ChatMessage\n"
        "from llamaindex_cf_gateway import CloudflareAIGateway as LLM\n"
        "llm = LLM(model={model!r}, endpoint={endpoint!r}, account_id='acct', api_token='tok',"
        " base_url=server.base_url, max_retries=0)\n"
        "assert llm.chat([ChatMessage(role='user', content='hi')]).message.content\n",
        "assert [r.delta for r in llm.stream_chat([ChatMessage(role='user', content='hi')])]\n",
        "llamaindex_cf_gateway._streaming",
    ),
}


@pytest.mark.parametrize("framework", sorted(ADAPTER_CALLS))
@pytest.mark.parametrize(
    ("model", "endpoint"),
    [("openai/gpt-5.5", "auto"), ("@cf/meta/llama-3.3-70b-instruct-fp8-fast", "run")],
)
def test_a_sync_adapter_call_loads_no_stream_module_until_a_stream(
    framework: str, model: str, endpoint: str
) -> None:
    call, stream, converter = ADAPTER_CALLS[framework]
    modules = (*STREAM_ONLY, converter)
    result = _after(
        call.format(model=model, endpoint=endpoint)
        + f"after_call = loaded(*{modules!r})\n"
        + stream
        + f"print(json.dumps({{'after_call': after_call, **loaded({converter!r})}}))\n"
    )
    assert result == {"after_call": dict.fromkeys(modules, False), converter: True}


def test_the_clients_hold_every_service_member_and_load_it_on_first_use() -> None:
    from cf_gateway_core._base import BaseClient
    from cf_gateway_core._beyond import AsyncBeyondChat, SyncBeyondChat
    from cf_gateway_core.client import SERVICES, AsyncGatewayClient, GatewayClient

    for client, mixin in ((GatewayClient, SyncBeyondChat), (AsyncGatewayClient, AsyncBeyondChat)):
        own = {n for k in mixin.__mro__ if k not in BaseClient.__mro__ for n in vars(k)}
        wanted = {n for n in own if not n.startswith("__") and not n.startswith("_plan_")}
        assert wanted == set(SERVICES)
        for name in SERVICES:
            getattr(client, name)  # the first access puts the mixin's own member on the client
            assert vars(client)[name] is next(
                vars(k)[name] for k in mixin.__mro__ if name in vars(k)
            )


def test_a_service_call_loads_the_services_after_a_chat_call_did_not() -> None:
    result = _after(
        "with client() as c:\n"
        "    assert c.chat(request('openai/gpt-5.5')).text\n"
        "    after_call = loaded('cf_gateway_core._beyond', 'cf_gateway_core._rest')\n"
        "    scores = c.rerank('q', ['a', 'b'])\n"
        "    print(json.dumps({'after_call': after_call, 'ranked': len(scores.scores),\n"
        "        **loaded('cf_gateway_core._beyond', 'cf_gateway_core._rest')}))\n"
    )
    assert result == {
        "after_call": {"cf_gateway_core._beyond": False, "cf_gateway_core._rest": False},
        "ranked": 2,
        "cf_gateway_core._beyond": True,
        "cf_gateway_core._rest": True,
    }
