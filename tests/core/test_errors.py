"""error_from_response over every error body shape the gateway is known to send."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from cf_gateway_core.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContextOverflowError,
    GatewayConfigError,
    GatewayError,
    GuardrailsBlockedError,
    InsufficientCreditsError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SpendLimitError,
    StreamError,
    error_from_response,
    parse_error_body,
)


def v4(code: int, message: str) -> bytes:
    """A Cloudflare v4 error envelope (docs/wire-notes.md §4.1)."""
    return json.dumps(
        {"result": None, "success": False, "errors": [{"code": code, "message": message}]}
    ).encode()


def legacy(code: int, message: str, status: int) -> bytes:
    """A legacy gateway AiGatewayError body (``error`` singular, docs/wire-notes.md A11)."""
    return json.dumps(
        {
            "success": False,
            "result": [],
            "messages": [],
            "error": [{"code": code, "message": message}],
            "name": "AiGatewayError",
            "httpCode": status,
            "internalCode": code,
            "message": message,
        }
    ).encode()


# docs/wire-notes.md Appendix A3, verbatim.
A3 = (
    b'{"result":null,"success":false,"errors":[{"code":10000,"message":"Authentication error"}],'
    b'"messages":[]}'
)
# A12 context length, verbatim.
A12_CONTEXT = (
    b'{"errors":[{"message":"AiError: AiError: {\\"object\\":\\"error\\",\\"message\\":\\"Requested'
    b" token count exceeds the model's maximum context length of 262144 tokens. You requested a"
    b" total of 263925 tokens: 199925 tokens from the input messages and 64000 tokens for the"
    b" completion. Please reduce the number of tokens in the input messages or the completion to"
    b' fit within the limit.\\",\\"type\\":\\"BadRequestError\\",\\"param\\":null,\\"code\\":400}'
    b' (82a04848-3949-4645-83f0-94050e19f74b)","code":8007}],"success":false,"result":{},'
    b'"messages":[]}'
)
# A12 daily allocation, verbatim body.
A12_DAILY = (
    b'{"errors":[{"message":"AiError: AiError: you have used up your daily free allocation of'
    b" 10,000 neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to"
    b' continue usage. (f24e675b)","code":4006}],"success":false}'
)
# A11 gateway rate limit body, verbatim.
A11_RATE = (
    b'{"success":false,"result":[],"messages":[],"error":[{"code":2003,"message":"Rate limited"}],'
    b'"name":"AiGatewayError","httpCode":429,"internalCode":2003,"message":"Rate limited",'
    b'"description":"Rate limited"}'
)
# A11 older spend-limit report: no error list at all, only internalCode.
A11_SPEND_OLD = (
    b'{"name":"AiGatewayError","internalCode":2041,"message":"Spend limit exceeded: rule'
    b" '5e7f1b6b' (cost limit 100 per 604800s, sliding) for anthropic anthropic/claude-fable-5\"}"
)


def test_error_from_response_a3_unauthenticated_is_authentication_error() -> None:
    err = error_from_response(401, {"Content-Type": "application/json"}, A3)
    assert type(err) is AuthenticationError
    assert err.status_code == 401
    assert err.code == 10000
    assert err.message == "Authentication error"
    assert err.body == json.loads(A3)
    assert str(err) == "HTTP 401, code 10000: Authentication error"


@pytest.mark.parametrize(
    ("status", "code", "message", "cls"),
    [
        (429, 2003, "Rate limited", RateLimitError),
        (429, 3040, "Capacity temporarily exceeded, please try again.", RateLimitError),
        (429, 3036, "daily free allocation", RateLimitError),
        (429, 4006, "AiError: you have used up your daily free allocation", RateLimitError),
        (429, 2041, "Spend limit exceeded", SpendLimitError),
        (429, 2045, "Spend limit exceeded: rule 'per-user'", SpendLimitError),
        (
            402,
            2021,
            "Insufficient balance; add money to your gateway or use BYOK",
            InsufficientCreditsError,
        ),
        (424, 2016, "Prompt blocked by Guardrails", GuardrailsBlockedError),
        (422, 2017, "Response blocked by Guardrails", GuardrailsBlockedError),
        (424, 2017, "Response blocked by Guardrails", GuardrailsBlockedError),
        (404, 7003, "Model not found: anthropic/claude-haiku-4-5", NotFoundError),
        (
            400,
            7003,
            "Model execution failed (User Input Error): Required value missing: max_tokens",
            BadRequestError,
        ),
        (401, 10000, "Authentication error", AuthenticationError),
        (401, 2009, "Unauthorized", AuthenticationError),
        (404, 3042, "invalid model id", NotFoundError),
        (
            403,
            5035,
            "AiError: Model is not available on the Workers Free plan",
            PermissionDeniedError,
        ),
        # Workers AI "No such model" comes with 400 but is a not-found (docs/gateway-2026.md).
        (400, 5007, "No such model", NotFoundError),
        (
            400,
            2040,
            "Provider 'google-ai-studio' has no BYOK credential named 'x'",
            BadRequestError,
        ),
        (503, 7013, "Guardrails scanner unavailable", InternalServerError),
        (503, 3050, "AiError: Max retries exhausted", InternalServerError),
        (500, 9999, "boom", InternalServerError),
        (502, 1, "bad gateway", InternalServerError),
        (413, 3006, "request too large", BadRequestError),
        (408, 3007, "timeout", BadRequestError),
    ],
)
@pytest.mark.parametrize("shape", ["v4", "legacy"])
def test_error_from_response_maps_each_code_to_its_class(
    status: int, code: int, message: str, cls: type[APIStatusError], shape: str
) -> None:
    body = v4(code, message) if shape == "v4" else legacy(code, message, status)
    err = error_from_response(status, {}, body)
    assert type(err) is cls
    assert (err.status_code, err.code, err.message) == (status, code, message)


def test_error_from_response_7003_depends_on_status() -> None:
    # "Model not found" on 404, schema validation on 400 (docs/wire-notes.md §4.3 / A11).
    assert type(error_from_response(404, {}, v4(7003, "Model not found: x"))) is NotFoundError
    assert (
        type(error_from_response(400, {}, v4(7003, "Invalid value at system"))) is BadRequestError
    )


def test_error_from_response_code_decides_before_status() -> None:
    # A credits code wins over the status (TP-IMG200: quota errors seen with odd statuses).
    assert type(error_from_response(400, {}, v4(2021, "x"))) is InsufficientCreditsError
    assert type(error_from_response(429, {}, v4(10000, "x"))) is AuthenticationError


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, BadRequestError),
        (409, BadRequestError),
        (422, GuardrailsBlockedError),
        (424, GuardrailsBlockedError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (522, InternalServerError),
        (599, InternalServerError),
    ],
)
def test_error_from_response_without_code_uses_the_status(
    status: int, cls: type[APIStatusError]
) -> None:
    err = error_from_response(status, {}, b'{"success":false,"errors":[],"messages":[]}')
    assert type(err) is cls
    assert err.code is None
    assert err.message == "The gateway returned an error without a message."


def test_error_from_response_a12_context_length_is_context_overflow() -> None:
    err = error_from_response(400, {}, A12_CONTEXT)
    assert type(err) is ContextOverflowError
    assert isinstance(err, BadRequestError)
    assert err.code == 8007
    assert "maximum context length of 262144" in err.message


def test_error_from_response_8007_without_overflow_text_is_plain() -> None:
    assert type(error_from_response(400, {}, v4(8007, "AiError: bad input"))) is BadRequestError
    assert type(error_from_response(500, {}, v4(8007, "AiError: crashed"))) is InternalServerError


@pytest.mark.parametrize(
    "message",
    [
        "This model's maximum context length is 128000 tokens.",
        "prompt is too long: 210000 tokens > 200000 maximum",
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        "Input exceeds the model's context window",
    ],
)
def test_error_from_response_provider_overflow_messages(message: str) -> None:
    body = json.dumps({"error": {"type": "invalid_request_error", "message": message}}).encode()
    err = error_from_response(400, {}, body)
    assert type(err) is ContextOverflowError
    # Only a 400-class reply becomes a context overflow.
    assert type(error_from_response(429, {}, body)) is RateLimitError


def test_error_from_response_a12_daily_allocation_is_rate_limit() -> None:
    err = error_from_response(429, {}, A12_DAILY)
    assert type(err) is RateLimitError
    assert err.code == 4006


def test_error_from_response_a11_legacy_rate_limit_with_headers() -> None:
    headers = {
        "CF-AIG-Log-Id": "01M3YS79ZW10EMBHT63T6T4K0Y",
        "cf-aig-request-id": "req-1",
        "Content-Type": "application/json",
    }
    err = error_from_response(429, headers, A11_RATE)
    assert type(err) is RateLimitError
    assert err.code == 2003
    assert err.message == "Rate limited"
    assert err.log_id == "01M3YS79ZW10EMBHT63T6T4K0Y"
    assert err.request_id == "req-1"
    assert err.headers == {
        "cf-aig-log-id": "01M3YS79ZW10EMBHT63T6T4K0Y",
        "cf-aig-request-id": "req-1",
        "content-type": "application/json",
    }
    assert isinstance(err.body, dict)
    assert err.body["name"] == "AiGatewayError"


def test_error_from_response_legacy_internal_code_only() -> None:
    err = error_from_response(429, {}, A11_SPEND_OLD)
    assert type(err) is SpendLimitError
    assert err.code == 2041
    assert err.message.startswith("Spend limit exceeded")


def test_error_from_response_legacy_list_without_code_falls_back_to_internal_code() -> None:
    body = (
        b'{"error":[{"message":"Insufficient credits"}],"internalCode":2021,'
        b'"name":"AiGatewayError"}'
    )
    err = error_from_response(402, {}, body)
    assert type(err) is InsufficientCreditsError
    assert err.code == 2021


def test_error_from_response_legacy_string_codes_are_read() -> None:
    body = b'{"success":false,"error":[{"code":"2003","message":"Rate limited"}]}'
    assert error_from_response(429, {}, body).code == 2003


def test_error_from_response_provider_style_bodies() -> None:
    anthropic = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    err = error_from_response(529, {}, anthropic)
    assert type(err) is InternalServerError
    assert err.message == "Overloaded"
    assert err.code is None
    assert isinstance(err.body, dict)
    assert err.body["error"]["type"] == "overloaded_error"

    openai = (
        b'{"error":{"message":"Incorrect API key provided","type":"invalid_request_error",'
        b'"param":null,"code":"invalid_api_key"}}'
    )
    err = error_from_response(401, {}, openai)
    assert type(err) is AuthenticationError
    assert err.code is None
    assert err.message == "Incorrect API key provided"

    run_api = (
        b'{"state":"Failed","error":{"code":"provider_unavailable","message":"All providers for'
        b' this model are currently unavailable."},"model":"google/nano-banana"}'
    )
    err = error_from_response(503, {}, run_api)
    assert type(err) is InternalServerError
    assert err.message.startswith("All providers")


def test_error_from_response_error_string_body() -> None:
    err = error_from_response(400, {}, b'{"error":"bad things","code":"2040"}')
    assert (type(err), err.code, err.message) == (BadRequestError, 2040, "bad things")


def test_error_from_response_top_level_message() -> None:
    err = error_from_response(403, {}, b'{"message":"nope","code":5018}')
    assert (type(err), err.code, err.message) == (PermissionDeniedError, 5018, "nope")


def test_error_from_response_plain_text_edge_error_1010() -> None:
    err = error_from_response(403, {"content-type": "text/plain"}, b"error code: 1010")
    assert type(err) is PermissionDeniedError
    assert err.code == 1010
    assert err.body == "error code: 1010"
    assert err.message == "error code: 1010"


def test_error_from_response_html_error_page() -> None:
    page = (
        b"<!DOCTYPE html>\n<html><head><title>api.cloudflare.com | 522: Connection timed out"
        b"</title></head><body><span>Error code 522</span>" + b"x" * 5000 + b"</body></html>"
    )
    err = error_from_response(522, {"content-type": "text/html"}, page)
    assert type(err) is InternalServerError
    assert "HTML error page" in err.message
    assert len(err.message) < 200
    assert err.code == 522
    assert isinstance(err.body, str)


def test_error_from_response_long_text_is_summarised() -> None:
    err = error_from_response(502, {}, b"upstream   failure\n" * 1000)
    assert err.message.startswith("upstream failure upstream failure")
    assert len(err.message) == 300


@pytest.mark.parametrize("content", [b"", b"   \n"])
def test_error_from_response_empty_body(content: bytes) -> None:
    err = error_from_response(502, {}, content)
    assert type(err) is InternalServerError
    assert err.message == "empty body"
    assert err.code is None
    assert str(err) == "HTTP 502: empty body"


@pytest.mark.parametrize(
    "content",
    [b"[1, 2]", b"null", b'"just a string"', b"42", b"\xff\xfe\x00garbage", b"[" * 100_000],
)
def test_error_from_response_odd_json_and_bytes_never_raise(content: bytes) -> None:
    err = error_from_response(500, {}, content)
    assert type(err) is InternalServerError
    assert err.message


@pytest.mark.parametrize(
    "content",
    [
        b'{"errors":[{"code":"\xc2\xb2","message":"superscript"}]}',
        b'{"errors":[{"code":' + b"9" * 4000 + b',"message":"huge"}]}',
        b'{"errors":[{"code":-5,"message":"negative"}]}',
        b'{"errors":[{"code":true,"message":"bool"}]}',
        b'{"errors":[{"code":2003.0,"message":"float"}]}',
        b"error code: " + b"1" * 5000,
    ],
)
def test_error_from_response_unusable_codes_become_none(content: bytes) -> None:
    err = error_from_response(429, {}, content)
    assert type(err) is RateLimitError
    assert err.code is None
    repr(err)
    str(err)


def test_error_from_response_errors_list_of_non_objects_is_ignored() -> None:
    err = error_from_response(400, {}, b'{"errors":["oops"],"message":"fallback"}')
    assert (err.code, err.message) == (None, "fallback")


def test_error_request_id_falls_back_to_cf_ray() -> None:
    err = error_from_response(500, {"CF-Ray": "8a1b2c3d4e5f-SJC"}, b"")
    assert err.request_id == "8a1b2c3d4e5f-SJC"
    assert err.log_id is None
    assert error_from_response(500, {}, b"").request_id is None


def test_error_headers_accepts_httpx_headers() -> None:
    import httpx

    headers = httpx.Headers({"CF-AIG-LOG-ID": "log-1", "Retry-After": "3"})
    err = error_from_response(429, headers, v4(2003, "Rate limited"))
    assert err.headers["retry-after"] == "3"
    assert err.log_id == "log-1"


def test_error_repr_has_status_code_and_message_but_no_request_data() -> None:
    err = error_from_response(
        401, {"authorization": "Bearer SECRET-CANARY"}, v4(10000, "Authentication error")
    )
    text = repr(err)
    assert (
        text == "AuthenticationError(status_code=401, code=10000, message='Authentication error')"
    )
    assert "SECRET-CANARY" not in text
    assert "SECRET-CANARY" not in str(err)


@pytest.mark.parametrize(
    ("cls", "retryable"),
    [
        (GatewayError, False),
        (GatewayConfigError, False),
        (APIConnectionError, True),
        (APITimeoutError, True),
        (StreamError, False),
        (APIStatusError, False),
        (BadRequestError, False),
        (ContextOverflowError, False),
        (AuthenticationError, False),
        (InsufficientCreditsError, False),
        (PermissionDeniedError, False),
        (NotFoundError, False),
        (GuardrailsBlockedError, False),
        (RateLimitError, True),
        (SpendLimitError, False),
        (InternalServerError, True),
    ],
)
def test_error_is_retryable_flags(cls: type[GatewayError], retryable: bool) -> None:
    assert cls.is_retryable is retryable


def test_error_hierarchy() -> None:
    assert issubclass(GatewayConfigError, ValueError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(SpendLimitError, RateLimitError)
    assert issubclass(ContextOverflowError, BadRequestError)
    for cls in (APIConnectionError, StreamError, APIStatusError, GatewayConfigError):
        assert issubclass(cls, GatewayError)


def test_connection_errors_keep_their_message() -> None:
    assert APIConnectionError().message == "Connection error."
    assert APITimeoutError().message == "Request timed out."
    assert str(APITimeoutError("read timeout")) == "read timeout"


def test_stream_error_keeps_partial_text_and_body() -> None:
    err = StreamError("stream broke", partial_text="Hel", body={"type": "error"})
    assert (err.message, err.partial_text, err.body) == ("stream broke", "Hel", {"type": "error"})
    assert StreamError("x").partial_text == ""


def test_status_error_survives_pickle_and_copy() -> None:
    err = error_from_response(429, {"cf-aig-log-id": "l1"}, A11_RATE)
    for clone in (pickle.loads(pickle.dumps(err)), copy.copy(err), copy.deepcopy(err)):
        assert type(clone) is RateLimitError
        assert (clone.status_code, clone.code, clone.message) == (429, 2003, "Rate limited")
        assert clone.log_id == "l1"
        assert clone.body == err.body
        assert str(clone) == str(err)


def test_status_error_can_be_built_directly() -> None:
    err = NotFoundError("gone", status_code=404)
    assert (err.code, err.body, err.headers, err.request_id) == (None, None, {}, None)
    assert str(err) == "HTTP 404: gone"


def test_parse_error_body_returns_body_code_message() -> None:
    assert parse_error_body(A3) == (json.loads(A3), 10000, "Authentication error")
    assert parse_error_body(b"error code: 1010") == ("error code: 1010", 1010, "error code: 1010")


# --- property tests -----------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["errors", "error", "code", "message", "internalCode", "x"])
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
_header_text = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20
)
_headers = st.dictionaries(_header_text, st.text(max_size=30), max_size=5)
_status = st.integers(min_value=100, max_value=999)


def _check(err: object, status: int) -> None:
    assert isinstance(err, APIStatusError)
    assert err.status_code == status
    assert isinstance(err.message, str)
    assert err.message
    assert err.code is None or isinstance(err.code, int)
    assert isinstance(repr(err), str)
    assert isinstance(str(err), str)


@settings(max_examples=100, deadline=None)
@given(status=_status, headers=_headers, content=st.binary(max_size=512))
def test_error_from_response_random_bytes_never_raises(
    status: int, headers: dict[str, str], content: bytes
) -> None:
    _check(error_from_response(status, headers, content), status)


@settings(max_examples=150, deadline=None)
@given(status=_status, headers=_headers, value=_json)
def test_error_from_response_random_json_never_raises(
    status: int, headers: dict[str, str], value: Any
) -> None:
    _check(error_from_response(status, headers, json.dumps(value).encode()), status)


@settings(max_examples=100, deadline=None)
@given(
    status=_status,
    code=st.one_of(st.integers(), st.text(max_size=12), st.none(), st.booleans(), st.floats()),
    message=st.one_of(st.text(max_size=40), st.none(), st.integers()),
    key=st.sampled_from(["errors", "error"]),
)
def test_error_from_response_random_envelopes_never_raise(
    status: int, code: object, message: object, key: str
) -> None:
    body = json.dumps({key: [{"code": code, "message": message}], "internalCode": code})
    _check(error_from_response(status, {}, body.encode()), status)
