"""Objects that travel (issue 17): every framework class and both core clients survive pickle,
cloudpickle, copy.copy, copy.deepcopy and model_copy(deep=True) — fresh, after sync use and after
async use — and work after unpickling in a spawned process (one process runs every case).

What must never travel: HTTP clients, locks, per-loop state, and the token in clear text in any
repr of the pickled state. A caller-owned ``http_client`` cannot be pickled: a TypeError names the
keyword (LlamaIndex would otherwise drop it silently); copies share it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import logging
import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import httpx
import pytest

from cf_gateway_core import AsyncGatewayClient, GatewayClient
from cf_gateway_core.emulator.server import run_in_thread
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from llamaindex_cf_gateway import CloudflareAIGateway, CloudflareAIGatewayEmbedding
from tests.scale import _travel_worker as worker

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "travel-token-0123456789abcdef"
FRAMEWORK = {
    "lc_chat": lambda **kw: ChatCloudflareAIGateway(model="openai/gpt-5.5", **kw),
    "lc_embeddings": lambda **kw: CloudflareAIGatewayEmbeddings(**kw),
    "li_llm": lambda **kw: CloudflareAIGateway(model="openai/gpt-5.5", **kw),
    "li_embedding": lambda **kw: CloudflareAIGatewayEmbedding(**kw),
}
CORE = {
    "core_sync": lambda **kw: GatewayClient(**kw),
    "core_async": lambda **kw: AsyncGatewayClient(**kw),
}
MAKERS: dict[str, Callable[..., Any]] = {**FRAMEWORK, **CORE}
STATES = ("fresh", "after_sync", "after_async")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_in_thread() as emulator:
        yield emulator.base_url


def make(name: str, state: str, base_url: str) -> Any:
    obj = MAKERS[name](account_id="acct", api_token=TOKEN, base_url=base_url)
    if state == "after_sync":
        worker.use(obj) if name == "core_sync" else _sync_only(name, obj)
    elif state == "after_async":
        _async_only(name, obj)
    return obj


def _sync_only(name: str, obj: Any) -> None:
    if name == "core_async":  # the async client has no sync use: two event loops instead
        worker.use(obj)
        return
    calls = {
        "lc_chat": lambda: obj.invoke("hi"),
        "lc_embeddings": lambda: obj.embed_query("hi"),
        "li_llm": lambda: obj.complete("hi"),
        "li_embedding": lambda: obj.get_text_embedding("hi"),
    }
    calls[name]()


def _async_only(name: str, obj: Any) -> None:
    if name == "core_sync":  # the sync client has no async use: a second sync one instead
        worker.use(obj)
        return
    calls = {
        "lc_chat": lambda: obj.ainvoke("hi"),
        "lc_embeddings": lambda: obj.aembed_query("hi"),
        "li_llm": lambda: obj.acomplete("hi"),
        "li_embedding": lambda: obj.aget_text_embedding("hi"),
        "core_async": lambda: _core_async_once(obj),
    }
    asyncio.run(calls[name]())


async def _core_async_once(obj: AsyncGatewayClient) -> None:
    await worker._core_async_calls(obj)


COPIES: dict[str, Callable[[Any], Any]] = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "cloudpickle": lambda obj: cloudpickle.loads(cloudpickle.dumps(obj)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "model_copy": lambda obj: obj.model_copy(deep=True),
}


def copies_for(name: str) -> list[str]:
    return [c for c in COPIES if c != "model_copy" or name in FRAMEWORK]


def test_the_matrix_in_a_spawned_process_and_in_this_one(
    base_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """6 classes x 3 states: pickled, cloudpickled and deep-copied objects work in one spawned
    process; copy.copy, copy.deepcopy and model_copy(deep=True) work here; all answer as the
    original does, and the original still works."""
    caplog.set_level(logging.DEBUG)
    originals = {(name, state): make(name, state, base_url) for name in MAKERS for state in STATES}
    expected: dict[str, object] = {}
    blobs: list[tuple[str, str, bytes]] = []
    for (name, state), original in originals.items():
        for kind, blob in (
            ("pickle", pickle.dumps(original)),
            ("cloudpickle", cloudpickle.dumps(original)),
            ("pickle", pickle.dumps(copy.deepcopy(original))),
        ):
            case_id = f"{name}/{state}/{kind}/{len(blobs)}"
            blobs.append((case_id, kind, blob))
            expected[case_id] = (name, state)
    assert len(blobs) == 6 * 3 * 3

    monkeypatch.syspath_prepend(str(ROOT))  # the spawned process imports tests.scale
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        remote = pool.submit(worker.run_cases, blobs)
        answers = {}
        for (name, state), original in originals.items():  # meanwhile, copies in this process
            answers[name, state] = worker.use(original)
            for how in copies_for(name):
                if how in ("pickle", "cloudpickle"):
                    continue  # those go to the spawned process
                clone = COPIES[how](original)
                assert clone is not original
                assert worker.use(clone) == answers[name, state], (name, state, how)
            assert worker.use(original) == answers[name, state]  # copies took nothing away
        results = remote.result(timeout=240)

    failures = {k: v for k, v in results.items() if isinstance(v, str)}
    assert not failures
    for case_id, (got, shown) in results.items():  # type: ignore[misc]
        assert tuple(got) == tuple(answers[expected[case_id]]), case_id  # type: ignore[index]
        assert TOKEN not in shown
    assert TOKEN not in caplog.text
    assert "unpickleable" not in caplog.text  # LlamaIndex dropped nothing silently


@pytest.mark.parametrize("name", list(MAKERS))
def test_pickled_state_shows_no_token_and_holds_no_http_client(base_url: str, name: str) -> None:
    obj = make(name, "after_async", base_url)
    worker.use(obj)
    state = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    shown = repr(state)
    assert TOKEN not in shown
    for forbidden in ("httpx.Client", "httpx.AsyncClient", "AsyncPoolTransport", "lock"):
        assert forbidden not in shown
    arrived = pickle.loads(pickle.dumps(obj))
    assert TOKEN not in repr(arrived)
    # The token arrives in a masked type (SecretStr / Secret), never as a plain string.
    token = arrived.config.api_token if name in CORE else arrived.api_token
    assert token.get_secret_value() == TOKEN
    assert TOKEN not in repr(token)
    assert TOKEN not in str(token)


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("how", ["pickle", "cloudpickle"])
def test_a_caller_owned_http_client_cannot_be_pickled(base_url: str, name: str, how: str) -> None:
    is_async = name in ("core_async",)
    for keyword in ("http_client", "http_async_client"):
        if name in CORE and keyword == "http_async_client":
            continue
        client: Any = httpx.AsyncClient() if is_async else httpx.Client()
        if keyword == "http_async_client":
            client = httpx.AsyncClient()
        arg = "http_client" if name in CORE else keyword
        obj = MAKERS[name](account_id="a", api_token=TOKEN, base_url=base_url, **{arg: client})
        dumps = pickle.dumps if how == "pickle" else cloudpickle.dumps
        with pytest.raises(TypeError, match=rf"caller-owned {arg}=") as info:
            dumps(obj)
        assert "Leave" in str(info.value)
        assert TOKEN not in str(info.value)


@pytest.mark.parametrize("name", list(MAKERS))
def test_copies_share_a_caller_owned_http_client(base_url: str, name: str) -> None:
    is_async = name == "core_async"
    client: Any = httpx.AsyncClient() if is_async else httpx.Client()
    arg = "http_client"
    obj = MAKERS[name](account_id="a", api_token=TOKEN, base_url=base_url, **{arg: client})
    clones = [COPIES[how](obj) for how in copies_for(name) if how not in ("pickle", "cloudpickle")]
    for clone in clones:
        held = clone._caller_http() if name in CORE else clone.http_client
        assert held is client
    if is_async:  # a caller-owned AsyncClient belongs to one event loop: use it in one
        assert asyncio.run(_both(obj, *clones)) == (True,) * (1 + len(clones))
    else:
        assert all(worker.use(clone) == worker.use(obj) for clone in clones)


async def _both(*clients: AsyncGatewayClient) -> tuple[bool, ...]:
    from cf_gateway_core import ChatRequest, Message

    request = ChatRequest(model="openai/gpt-5.5", messages=(Message.user("hi"),))
    return tuple([bool((await c.chat(request)).text) for c in clients])


@pytest.mark.parametrize("name", ["li_llm", "li_embedding"])
def test_llamaindex_token_from_the_environment_stays_behind(
    base_url: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LlamaIndex objects do not carry a token read from CLOUDFLARE_API_TOKEN: the receiving
    process reads its own environment, and without it unpickling says what to set."""
    from cf_gateway_core import GatewayConfigError

    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    obj = MAKERS[name](account_id="acct", base_url=base_url)
    blob = pickle.dumps(obj)
    assert TOKEN.encode() not in blob
    assert worker.use(pickle.loads(blob)) == worker.use(obj)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    with pytest.raises(GatewayConfigError, match="CLOUDFLARE_API_TOKEN"):
        pickle.loads(blob)


def _tool_spec(**kwargs: Any) -> Any:
    from llamaindex_cf_gateway.tools import CloudflareAIGatewayToolSpec

    return CloudflareAIGatewayToolSpec(**kwargs)


def test_llamaindex_tool_spec_leaves_an_environment_token_behind(
    base_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The media tool spec travels like the other LlamaIndex classes (it held a session whose
    pickle carried the environment's token)."""
    from cf_gateway_core import GatewayConfigError

    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    spec = _tool_spec(account_id="acct", base_url=base_url, output_dir=str(tmp_path))
    for dumps in (pickle.dumps, cloudpickle.dumps):
        blob = dumps(spec)
        assert TOKEN.encode() not in blob
        arrived = pickle.loads(blob)
        assert arrived.output_dir == str(tmp_path)
        assert "Speech saved to" in arrived.text_to_speech("hello")
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    with pytest.raises(GatewayConfigError, match="CLOUDFLARE_API_TOKEN"):
        pickle.loads(blob)


@pytest.mark.parametrize("keyword", ["http_client", "http_async_client"])
def test_llamaindex_tool_spec_with_a_caller_owned_client(keyword: str, tmp_path: Path) -> None:
    from cf_gateway_core.testing import FakeGateway

    fake = FakeGateway()
    client = fake.client() if keyword == "http_client" else fake.async_client()
    spec = _tool_spec(
        account_id="a", api_token=TOKEN, output_dir=str(tmp_path), **{keyword: client}
    )
    with pytest.raises(
        TypeError, match=rf"CloudflareAIGatewayToolSpec was built with a caller-owned {keyword}="
    ) as info:
        pickle.dumps(spec)
    assert TOKEN not in str(info.value)
    clones = (spec, copy.copy(spec), copy.deepcopy(spec))
    if keyword == "http_client":
        answers = [clone.text_to_speech("hi") for clone in clones]
    else:

        async def speak_all() -> list[str]:
            return [await clone.atext_to_speech("hi") for clone in clones]

        answers = asyncio.run(speak_all())
    assert all("Speech saved to" in answer for answer in answers)
    assert len(fake.requests) == len(clones)  # every copy went through the caller's client
