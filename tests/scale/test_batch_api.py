"""The Workers AI async batch API (issue 17): submit, poll with bounded backoff, typed errors for
failed and expired jobs, cancellation; sync and async; chat and embeddings in the core; the
emulator's queue (queued -> running -> done, and failure) as the gateway, offline."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from cf_gateway_core import (
    AsyncBatchAPI,
    AsyncGatewayClient,
    BatchAPI,
    BatchCancelledError,
    BatchError,
    BatchExpiredError,
    BatchFailedError,
    BatchJob,
    BatchTimeoutError,
    BatchWait,
    ChatRequest,
    EmbeddingRequest,
    GatewayClient,
    GatewayConfigError,
    Message,
)
from cf_gateway_core.testing import FakeGateway

TOKEN = "batch-token-0123456789"
EMBED_MODEL = "@cf/baai/bge-base-en-v1.5"
CHAT_MODEL = "@cf/meta/llama-3.1-8b-instruct"
FAST = BatchWait(first_poll=0.01, max_interval=0.02, timeout=10)


def sync_api(fake: FakeGateway, **headers: str) -> BatchAPI:
    http = fake.client(headers=headers)
    return BatchAPI(GatewayClient(account_id="acct", api_token=TOKEN, http_client=http))


def async_api(fake: FakeGateway, **headers: str) -> AsyncBatchAPI:
    http = fake.async_client(headers=headers)
    return AsyncBatchAPI(AsyncGatewayClient(account_id="acct", api_token=TOKEN, http_client=http))


def chat_requests(n: int) -> list[ChatRequest]:
    return [
        ChatRequest(model=CHAT_MODEL, messages=(Message.user(f"question {i}"),)) for i in range(n)
    ]


def direct_vectors(texts: list[str]) -> list[list[float]]:
    fake = FakeGateway()
    with GatewayClient(account_id="acct", api_token=TOKEN, http_client=fake.client()) as client:
        return client.embed(
            EmbeddingRequest(model=EMBED_MODEL, texts=texts), endpoint="run"
        ).vectors


def test_embeddings_in_one_job_in_input_order() -> None:
    fake = FakeGateway()
    texts = [f"text number {i}" for i in range(250)]
    reply = sync_api(fake).embed(EmbeddingRequest(model=EMBED_MODEL, texts=texts), wait=FAST)
    assert reply.vectors == direct_vectors(texts)
    assert reply.usage is not None and reply.usage.input_tokens > 0
    submit, *polls = fake.requests
    assert submit.url.endswith(f"/ai/run/{EMBED_MODEL}?queueRequest=true")
    assert [len(r["text"]) for r in submit.json["requests"]] == [100, 100, 50]
    assert submit.headers["authorization"] == f"Bearer {TOKEN}"
    request_ids = {p.json["request_id"] for p in polls}
    assert len(polls) == 3 and len(request_ids) == 1  # queued, running, done
    assert all(p.url == submit.url for p in polls)


async def test_async_embeddings_in_one_job_in_input_order() -> None:
    fake = FakeGateway()
    texts = [f"text {i}" for i in range(120)]
    api = async_api(fake)
    reply = await api.embed(EmbeddingRequest(model=EMBED_MODEL, texts=texts), wait=FAST)
    assert reply.vectors == direct_vectors(texts)


def test_chat_submit_then_wait_in_input_order() -> None:
    fake = FakeGateway()
    api = sync_api(fake)
    job = api.submit_chat(chat_requests(5))
    assert (job.model, job.size) == (CHAT_MODEL, 5)
    assert api.poll(job) is None  # queued
    replies = api.wait_chat(job, wait=FAST)
    assert [f"question {i}" in r.text for i, r in enumerate(replies)] == [True] * 5
    assert all(r.usage is not None for r in replies)


async def test_async_chat_submit_then_wait() -> None:
    api = async_api(FakeGateway())
    job = await api.submit_chat(chat_requests(3))
    replies = await api.wait_chat(job, wait=FAST)
    assert ["question 2" in r.text for r in replies] == [False, False, True]


def test_a_job_travels_between_processes_as_its_request_id() -> None:
    fake = FakeGateway()
    job = sync_api(fake).submit(EMBED_MODEL, [{"text": ["a", "b"]}])
    again = BatchJob(job.request_id, job.model, job.size)  # e.g. saved and rebuilt elsewhere
    result = sync_api(fake).wait(again, wait=FAST)
    assert len(result.results()[0]["data"]) == 2


def test_failed_job_raises_typed_error_with_the_request_id() -> None:
    api = sync_api(FakeGateway(), **{"x-emulator-batch": "outcome=failed"})
    job = api.submit(EMBED_MODEL, [{"text": ["a"]}])
    with pytest.raises(BatchFailedError, match="failed") as info:
        api.wait(job, wait=FAST)
    assert info.value.request_id == job.request_id
    assert TOKEN not in str(info.value)


async def test_expired_job_raises_typed_error() -> None:
    api = async_api(FakeGateway(), **{"x-emulator-batch": "queued=0 running=1 outcome=expired"})
    job = await api.submit(EMBED_MODEL, [{"text": ["a"]}])
    with pytest.raises(BatchExpiredError) as info:
        await api.wait(job, wait=FAST)
    assert info.value.request_id == job.request_id


def test_collected_job_is_forgotten() -> None:
    api = sync_api(FakeGateway())
    job = api.submit(EMBED_MODEL, [{"text": ["a"]}])
    api.wait(job, wait=FAST)
    with pytest.raises(BatchExpiredError):
        api.poll(job)


def test_a_failed_request_inside_a_job_names_its_index() -> None:
    api = sync_api(FakeGateway())
    good = {"messages": [{"role": "user", "content": "hi"}]}
    result = api.run(CHAT_MODEL, [good, {"prompt": 42}, good], wait=FAST)
    assert [item.success for item in result.items] == [True, False, True]
    with pytest.raises(BatchFailedError) as info:
        result.results()
    assert info.value.failed == (1,)
    assert "#1" in str(info.value)


def test_wait_is_bounded() -> None:
    api = sync_api(FakeGateway(), **{"x-emulator-batch": "queued=100"})
    job = api.submit(EMBED_MODEL, [{"text": ["a"]}])
    wait = BatchWait(first_poll=0.01, max_interval=0.05, timeout=0.3)
    with pytest.raises(BatchTimeoutError, match="still pending") as info:
        api.wait(job, wait=wait)
    assert info.value.request_id == job.request_id


def test_sync_wait_honours_a_cancel_event() -> None:
    api = sync_api(FakeGateway(), **{"x-emulator-batch": "queued=100"})
    job = api.submit(EMBED_MODEL, [{"text": ["a"]}])
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    wait = BatchWait(first_poll=0.02, max_interval=0.02, timeout=30)
    with pytest.raises(BatchCancelledError):
        api.wait(job, wait=wait, cancel=cancel)


async def test_async_wait_is_cancellable_and_the_job_survives() -> None:
    fake = FakeGateway()
    api = async_api(fake)
    job = await api.submit(EMBED_MODEL, [{"text": ["a"]}])
    task = asyncio.create_task(api.wait(job, wait=BatchWait(first_poll=30, timeout=60)))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    result = await api.wait(job, wait=FAST)  # the job went on; collect it now
    assert len(result.items) == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    wait = BatchWait(first_poll=1, max_interval=5, multiplier=2)
    delays = wait.delays()
    assert [next(delays) for _ in range(5)] == [1, 2, 4, 5, 5]


@pytest.mark.parametrize(
    "bad",
    [
        {"timeout": 0},
        {"timeout": float("nan")},
        {"first_poll": -1},
        {"max_interval": True},
        {"multiplier": 0.5},
    ],
)
def test_bad_wait_settings_raise_config_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(GatewayConfigError, match="BatchWait"):
        BatchWait(**bad)


@pytest.mark.parametrize(
    ("model", "requests", "match"),
    [
        ("openai/gpt-5.5", [{"text": ["a"]}], "Workers AI models only"),
        (EMBED_MODEL, [], "at least one request"),
        (EMBED_MODEL, ["text"], "JSON object"),
        (EMBED_MODEL, [{"text": ["x" * 1_000_000]}] * 10, "under 10 MB"),
        (EMBED_MODEL, [{"v": float("inf")}], "JSON"),
    ],
)
def test_bad_batches_fail_before_any_request(model: str, requests: list[Any], match: str) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match=match):
        sync_api(fake).submit(model, requests)
    assert fake.requests == []


def test_chat_batches_take_one_model() -> None:
    fake = FakeGateway()
    mixed = [*chat_requests(1), ChatRequest(model="@cf/other/model", messages=())]
    with pytest.raises(GatewayConfigError, match="one model"):
        sync_api(fake).submit_chat(mixed)
    assert fake.requests == []


def test_errors_pickle_with_their_fields() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(BatchFailedError("m", request_id="r", failed=[2])))
    assert (error.request_id, error.failed, str(error)) == ("r", (2,), "m")
    assert isinstance(
        pickle.loads(pickle.dumps(BatchExpiredError("x", request_id="r"))), BatchError
    )


def test_results_follow_the_input_index_not_the_reply_order() -> None:
    fake = FakeGateway()
    api = sync_api(fake)
    job = api.submit(EMBED_MODEL, [{"text": ["a"]}, {"text": ["b"]}, {"text": ["c"]}])
    shuffled = [
        {"id": i, "result": {"shape": [1, 1], "data": [[float(i)]]}, "success": True}
        for i in (2, 0, 1)
    ]
    fake.queue_json({"result": {"responses": shuffled}, "success": True}, endpoint="run")
    result = api.wait(job, wait=FAST)
    assert [r["data"][0][0] for r in result.results()] == [0.0, 1.0, 2.0]


def test_a_reply_missing_results_is_an_error() -> None:
    fake = FakeGateway()
    api = sync_api(fake)
    job = api.submit(EMBED_MODEL, [{"text": ["a"]}, {"text": ["b"]}])
    one = [{"id": 0, "result": {"shape": [1, 1], "data": [[0.0]]}, "success": True}]
    fake.queue_json({"result": {"responses": one}, "success": True}, endpoint="run")
    with pytest.raises(BatchError, match="1 of 2"):
        api.wait(job, wait=FAST)


def test_the_queue_answers_unknown_models_as_the_emulator_does() -> None:
    strict = sync_api(FakeGateway()).run("@cf/acme/unknown-7b", [{"prompt": "hi"}], wait=FAST)
    assert [item.success for item in strict.items] == [False]
    lenient = FakeGateway(accept_any_model=True)
    result = sync_api(lenient).run("@cf/acme/unknown-7b", [{"prompt": "hi"}], wait=FAST)
    assert "hi" in result.results()[0]["response"]
