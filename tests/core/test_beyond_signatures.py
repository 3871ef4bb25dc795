"""The services' sync and async methods are made from one builder each: what a user sees of
them (``help()``, ``inspect.signature``, an IDE) must be the method's own name, parameters,
docstring and result type — never the internal plan — and the same for both clients."""

from __future__ import annotations

import inspect

import pytest

from cf_gateway_core import AsyncGatewayClient, GatewayClient
from cf_gateway_core.catalog import AsyncModelCatalog, ModelCatalog
from cf_gateway_core.logs import AsyncGatewayLogs, GatewayLogs

TWINS = [
    (GatewayClient, AsyncGatewayClient, ("generate_image", "speak", "transcribe", "rerank")),
    (GatewayLogs, AsyncGatewayLogs, ("get", "request_body", "response_body", "feedback", "list")),
    (ModelCatalog, AsyncModelCatalog, ("search", "schema")),
]
CASES = [(sync, asyn, name) for sync, asyn, names in TWINS for name in names]


@pytest.mark.parametrize(("sync", "asyn", "name"), CASES)
def test_sync_and_async_methods_look_like_the_call_they_make(
    sync: type, asyn: type, name: str
) -> None:
    sync_method, async_method = getattr(sync, name), getattr(asyn, name)
    assert sync_method.__name__ == async_method.__name__ == name
    assert not inspect.iscoroutinefunction(sync_method)
    assert inspect.iscoroutinefunction(async_method)
    sync_sig, async_sig = inspect.signature(sync_method), inspect.signature(async_method)
    assert sync_sig == async_sig
    assert next(iter(sync_sig.parameters)) == "self"
    assert "Plan" not in str(sync_sig.return_annotation)
    assert sync_sig.return_annotation not in (inspect.Signature.empty, "")
    assert sync_method.__doc__ and sync_method.__doc__ == async_method.__doc__


def test_a_misspelt_keyword_is_refused_before_any_request() -> None:
    client = GatewayClient(account_id="a", api_token="t")
    with pytest.raises(TypeError, match="stpes"):
        client.generate_image("a cat", stpes=4)  # type: ignore[call-arg]
