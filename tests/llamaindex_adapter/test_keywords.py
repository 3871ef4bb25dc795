"""Every LlamaIndex class refuses a keyword it does not take, before any request.

LlamaIndex's pydantic models ignore unknown keywords by default; a misspelled
``http_async_client`` would then send requests to the real API instead of the caller's client,
and a misspelled ``top_n`` would rerank with the default. Each class says which keyword is wrong,
with a did-you-mean hint, as a ``GatewayConfigError``; nothing is ignored silently.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from cf_gateway_core import GatewayConfigError, GatewayError
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway
from llamaindex_cf_gateway import (
    CloudflareAIGateway,
    CloudflareAIGatewayEmbedding,
    CloudflareAIGatewayRerank,
)
from llamaindex_cf_gateway.feedback import GatewayFeedback
from llamaindex_cf_gateway.tools import CloudflareAIGatewayToolSpec

TOKEN = "tok-SECRET-keywords"
MAKERS: dict[str, Callable[..., Any]] = {
    "CloudflareAIGateway": lambda **kw: CloudflareAIGateway(model="openai/gpt-5.5", **kw),
    "CloudflareAIGatewayEmbedding": CloudflareAIGatewayEmbedding,
    "CloudflareAIGatewayRerank": CloudflareAIGatewayRerank,
    "CloudflareAIGatewayToolSpec": CloudflareAIGatewayToolSpec,
    "GatewayFeedback": GatewayFeedback,
}
# (misspelled keyword, the keyword the hint must name) for each class
TYPOS: dict[str, list[tuple[str, str]]] = {
    "CloudflareAIGateway": [("async_http_client", "http_async_client"), ("temprature", None)],
    "CloudflareAIGatewayEmbedding": [("dimension", "dimensions")],
    "CloudflareAIGatewayRerank": [("top_k", None), ("topn", "top_n"), ("gatway_id", "gateway_id")],
    "CloudflareAIGatewayToolSpec": [
        ("image_modle", "image_model"),
        ("async_http_client", "http_async_client"),
        ("max_retry", "max_retries"),
    ],
    "GatewayFeedback": [("async_http_client", "http_async_client"), ("acount_id", "account_id")],
}
CASES = [(name, typo, hint) for name, typos in TYPOS.items() for typo, hint in typos]


@pytest.mark.parametrize(("name", "typo", "hint"), CASES)
def test_an_unknown_keyword_is_refused_with_a_hint(name: str, typo: str, hint: str | None) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError) as info:
        MAKERS[name](account_id="acct", api_token=TOKEN, http_client=fake.client(), **{typo: 1})
    message = str(info.value)
    assert isinstance(info.value, GatewayError)
    assert name in message
    assert repr(typo) in message
    if hint is not None:
        assert f"did you mean {hint!r}" in message
    assert "nothing is ignored" in message
    assert TOKEN not in message
    assert fake.requests == []


@pytest.mark.parametrize("name", list(MAKERS))
def test_the_documented_keywords_are_accepted(name: str) -> None:
    fake = FakeGateway()
    obj = MAKERS[name](
        account_id="acct",
        api_key=TOKEN,
        gateway_id="g",
        timeout=5.0,
        max_retries=0,
        gateway_options={"cache_ttl": 60},
        http_client=fake.client(),
        http_async_client=fake.async_client(),
    )
    assert TOKEN not in repr(obj)


@pytest.mark.parametrize("name", ["CloudflareAIGatewayRerank", "GatewayFeedback"])
def test_api_key_and_api_token_that_differ_are_refused(name: str) -> None:
    with pytest.raises(GatewayConfigError, match="api_key and api_token are one setting"):
        MAKERS[name](account_id="acct", api_key="one", api_token="two")


def test_tool_spec_refuses_api_key_and_api_token_that_differ() -> None:
    with pytest.raises(GatewayConfigError, match="api_key and api_token are one setting"):
        CloudflareAIGatewayToolSpec(account_id="acct", api_key="one", api_token="two")


def _rerank_once(reranker: CloudflareAIGatewayRerank) -> list[str]:
    nodes = [NodeWithScore(node=TextNode(text=t, id_=t), score=0.1) for t in ("a cat", "a dog")]
    kept = reranker.postprocess_nodes(nodes, QueryBundle("cat"))
    return [n.node.node_id for n in kept]


def test_reranker_travels_and_reads_the_token_again_where_it_arrives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reranker pickles as its fields (the environment's token stays behind) and deep-copies
    with its own session, like the LLM and embedding classes."""
    with run_in_thread() as emulator:
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
        reranker = CloudflareAIGatewayRerank(account_id="acct", base_url=emulator.base_url)
        blob = pickle.dumps(reranker)
        assert TOKEN.encode() not in blob
        expected = _rerank_once(reranker)
        assert _rerank_once(pickle.loads(blob)) == expected
        assert _rerank_once(copy.deepcopy(reranker)) == expected
        monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
        with pytest.raises(GatewayConfigError, match="CLOUDFLARE_API_TOKEN"):
            pickle.loads(blob)


@pytest.mark.parametrize("name", ["CloudflareAIGatewayRerank", "GatewayFeedback"])
def test_a_caller_owned_http_client_cannot_be_pickled(name: str) -> None:
    fake = FakeGateway()
    obj = MAKERS[name](account_id="acct", api_token=TOKEN, http_client=fake.client())
    with pytest.raises(TypeError, match="caller-owned http_client=") as info:
        pickle.dumps(obj)
    assert TOKEN not in str(info.value)
    assert copy.deepcopy(obj).http_client is obj.http_client


def test_tool_spec_travels_as_its_settings(tmp_path: Any) -> None:
    """The media tool spec pickles with its session's settings (token masked) and still works."""
    with run_in_thread() as emulator:
        spec = CloudflareAIGatewayToolSpec(
            account_id="acct", api_token=TOKEN, base_url=emulator.base_url, output_dir=str(tmp_path)
        )
        blob = pickle.dumps(spec)
        arrived = pickle.loads(blob)
        assert TOKEN not in repr(arrived)
        assert arrived.generate_image("an orange cloud").startswith("Image saved to ")
        assert copy.deepcopy(spec).generate_image("an orange cloud").startswith("Image saved to ")

    fake = FakeGateway()
    owned = CloudflareAIGatewayToolSpec(
        account_id="acct", api_token=TOKEN, http_client=fake.client()
    )
    with pytest.raises(TypeError, match="caller-owned http_client="):
        pickle.dumps(owned)


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize(
    ("keyword", "value"),
    [("max_retries", "2"), ("timeout", True), ("allow_insecure_http", "false")],
)
def test_a_setting_of_the_wrong_type_is_a_config_error_not_a_validation_error(
    name: str, keyword: str, value: object
) -> None:
    """Every class raises the GatewayConfigError itself (naming the keyword), never pydantic's
    ValidationError wrapped around it, and never a silently coerced value."""
    with pytest.raises(GatewayConfigError, match=keyword) as info:
        MAKERS[name](account_id="acct", api_token=TOKEN, **{keyword: value})
    assert type(info.value) is GatewayConfigError
