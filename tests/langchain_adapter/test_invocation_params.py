"""What callbacks and tracers receive as ``invocation_params`` for a call: what LangChain's
``BaseChatModel`` builds (the identifying params, ``_type``, ``stop`` and the call's keyword
arguments), with per-call header values masked, and no deprecation warning on the way."""

from __future__ import annotations

import warnings
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway


class _Params(BaseCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.seen.append(kwargs["invocation_params"])


def _model(cls: type[ChatCloudflareAIGateway] = ChatCloudflareAIGateway) -> Any:
    return cls(
        model="openai/gpt-5.5",
        account_id="acct",
        api_token="tok-SECRET-123",
        temperature=0.3,
        model_kwargs={"seed": 7},
        stop=["END"],
        http_client=FakeGateway().client(),
    )


def test_invocation_params_are_what_langchain_builds_with_headers_masked() -> None:
    llm, handler = _model(), _Params()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning from the deprecated dict()
        llm.invoke("hi", config={"callbacks": [handler]})
        llm.invoke(
            "hi",
            stop=["STOP"],
            top_p=0.5,
            extra_headers={"X-Api-Key": "per-call-secret"},
            config={"callbacks": [handler]},
        )
    plain, per_call = handler.seen
    identifying = {
        "model": "openai/gpt-5.5",
        "endpoint": "auto",
        "temperature": 0.3,
        "max_tokens": None,
        "top_p": None,
        "stop": ["END"],
        "reasoning_effort": None,
        "extra_body": {"seed": 7},
    }
    assert plain == {**identifying, "_type": "cloudflare-ai-gateway", "stop": None}
    assert list(plain) == [*identifying, "_type"]  # LangChain's order: asdict(), then stop
    assert per_call["stop"] == ["STOP"]
    assert per_call["top_p"] == 0.5  # the call's keyword arguments win
    assert per_call["extra_headers"] != {"X-Api-Key": "per-call-secret"}
    assert "per-call-secret" not in repr(per_call)
    assert set(per_call["extra_headers"]) == {"X-Api-Key"}


class _OwnDict(ChatCloudflareAIGateway):
    """A subclass overriding the deprecated ``dict()``: LangChain still calls it."""

    def dict(self, **kwargs: Any) -> dict[str, Any]:
        return {"custom": True}


def test_a_subclass_overriding_dict_is_still_honoured() -> None:
    llm, handler = _model(_OwnDict), _Params()
    llm.invoke("hi", config={"callbacks": [handler]})
    assert handler.seen == [{"custom": True, "stop": None}]
