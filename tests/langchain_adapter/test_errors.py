"""Errors at the adapter boundary: core classes that are also langchain_core Model*Error."""

from __future__ import annotations

import pickle

import httpx
import pytest
from langchain_core.exceptions import (
    ContextOverflowError as LCContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

import cf_gateway_core as core
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway, CloudflareAIGatewayEmbeddings
from langchain_cf_gateway._errors import (
    CloudflareAuthenticationError,
    CloudflareBadRequestError,
    CloudflareConnectionError,
    CloudflareContextOverflowError,
    CloudflareGuardrailsBlockedError,
    CloudflareInsufficientCreditsError,
    CloudflareInternalServerError,
    CloudflareNotFoundError,
    CloudflarePermissionDeniedError,
    CloudflareRateLimitError,
    CloudflareSpendLimitError,
    CloudflareStreamError,
    CloudflareTimeoutError,
    to_langchain_error,
)

TOKEN = "tok-SECRET-123"


def _model(fake: FakeGateway, **kwargs: object) -> ChatCloudflareAIGateway:
    return ChatCloudflareAIGateway(
        model="openai/gpt-5.5",
        account_id="acct",
        api_token=TOKEN,
        max_retries=0,
        http_client=fake.client(),
        http_async_client=fake.async_client(),
        **kwargs,
    )


# (status, code, message) -> (twin, core class, langchain class)
CASES = [
    (
        400,
        None,
        "bad field",
        CloudflareBadRequestError,
        core.BadRequestError,
        ModelInvalidRequestError,
    ),
    (
        400,
        8007,
        "Requested token count exceeds the model's maximum context length",
        CloudflareContextOverflowError,
        core.ContextOverflowError,
        LCContextOverflowError,
    ),
    (
        401,
        10000,
        "Authentication error",
        CloudflareAuthenticationError,
        core.AuthenticationError,
        ModelAuthenticationError,
    ),
    (
        402,
        2021,
        "Insufficient balance",
        CloudflareInsufficientCreditsError,
        core.InsufficientCreditsError,
        ModelError,
    ),
    (
        403,
        None,
        "forbidden",
        CloudflarePermissionDeniedError,
        core.PermissionDeniedError,
        ModelPermissionDeniedError,
    ),
    (404, 7003, "Model not found", CloudflareNotFoundError, core.NotFoundError, ModelNotFoundError),
    (
        424,
        2016,
        "Prompt blocked",
        CloudflareGuardrailsBlockedError,
        core.GuardrailsBlockedError,
        ModelInvalidRequestError,
    ),
    (
        429,
        3040,
        "Capacity temporarily exceeded",
        CloudflareRateLimitError,
        core.RateLimitError,
        ModelRateLimitError,
    ),
    (
        429,
        2045,
        "Spend limit exceeded",
        CloudflareSpendLimitError,
        core.SpendLimitError,
        ModelRateLimitError,
    ),
    (
        503,
        None,
        "unavailable",
        CloudflareInternalServerError,
        core.InternalServerError,
        ModelAPIError,
    ),
]


@pytest.mark.parametrize(("status", "code", "message", "twin", "core_cls", "lc_cls"), CASES)
def test_errors_status_maps_to_both_hierarchies(
    status: int,
    code: int | None,
    message: str,
    twin: type[Exception],
    core_cls: type[Exception],
    lc_cls: type[Exception],
) -> None:
    fake = FakeGateway()
    fake.queue_error(status, code=code, message=message, headers={"cf-aig-log-id": "log-7"})
    with pytest.raises(twin) as info:
        _model(fake).invoke("hi")
    exc = info.value
    assert isinstance(exc, core_cls)
    assert isinstance(exc, lc_cls)
    assert isinstance(exc, core.APIStatusError)
    assert isinstance(exc, ModelError)
    assert (exc.status_code, exc.code, exc.message, exc.log_id) == (status, code, message, "log-7")
    assert type(exc.__cause__) is core_cls  # raised "from" the core error
    assert TOKEN not in str(exc) + repr(exc)


def test_errors_context_overflow_is_also_a_bad_request() -> None:
    exc = to_langchain_error(core.ContextOverflowError("prompt is too long", status_code=400))
    assert isinstance(exc, CloudflareBadRequestError)
    assert isinstance(exc, ModelInvalidRequestError)
    assert isinstance(exc, LCContextOverflowError)


def test_errors_retryability_follows_the_core() -> None:
    assert CloudflareRateLimitError.is_retryable is True
    assert CloudflareSpendLimitError.is_retryable is False
    assert CloudflareInternalServerError.is_retryable is True
    assert CloudflareBadRequestError.is_retryable is False
    assert CloudflareTimeoutError.is_retryable is True


def test_errors_pickle_round_trip_keeps_class_and_fields() -> None:
    exc = to_langchain_error(
        core.RateLimitError("slow down", status_code=429, code=2003, headers={"retry-after": "1"})
    )
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is CloudflareRateLimitError
    assert (back.status_code, back.code, back.headers) == (429, 2003, {"retry-after": "1"})


@pytest.mark.parametrize(
    ("exception", "twin", "lc_cls"),
    [
        (httpx.ConnectError("refused"), CloudflareConnectionError, ModelConnectionError),
        (httpx.ReadTimeout("slow"), CloudflareTimeoutError, ModelTimeoutError),
    ],
)
def test_errors_transport_failures(
    exception: Exception, twin: type[Exception], lc_cls: type[Exception]
) -> None:
    fake = FakeGateway()
    fake.queue_exception(exception)
    with pytest.raises(twin) as info:
        _model(fake).invoke("hi")
    assert isinstance(info.value, lc_cls)
    assert isinstance(info.value, core.APIConnectionError)


async def test_errors_async_and_stream_paths_map_too() -> None:
    fake = FakeGateway()
    fake.queue_error(429, code=2003, message="Rate limited")
    fake.queue_error(401, code=10000, message="Authentication error")
    model = _model(fake)
    with pytest.raises(CloudflareRateLimitError):
        await model.ainvoke("hi")
    with pytest.raises(CloudflareAuthenticationError):
        async for _ in model.astream("hi"):
            pass


def test_errors_mid_stream_error_keeps_partial_text() -> None:
    fake = FakeGateway()
    fake.queue_sse(
        [
            (
                "message_start",
                {"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 1}}},
            ),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "Hal"},
                },
            ),
            (
                "error",
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            ),
        ]
    )
    model = ChatCloudflareAIGateway(
        model="anthropic/claude-sonnet-4.5",
        account_id="acct",
        api_token=TOKEN,
        http_client=fake.client(),
    )
    with pytest.raises(CloudflareStreamError) as info:
        for _ in model.stream("hi"):
            pass
    assert isinstance(info.value, ModelAPIError)
    assert isinstance(info.value, core.StreamError)
    assert info.value.partial_text == "Hal"


def test_errors_config_errors_pass_unchanged() -> None:
    error = core.GatewayConfigError("bad")
    assert to_langchain_error(error) is error
    twin = to_langchain_error(core.RateLimitError("x", status_code=429))
    assert to_langchain_error(twin) is twin


def test_errors_embeddings_map_too() -> None:
    fake = FakeGateway()
    fake.queue_error(429, code=3040, message="Capacity temporarily exceeded")
    embeddings = CloudflareAIGatewayEmbeddings(
        account_id="acct", api_token=TOKEN, max_retries=0, http_client=fake.client()
    )
    with pytest.raises(ModelRateLimitError) as info:
        embeddings.embed_query("hi")
    assert isinstance(info.value, core.RateLimitError)
