"""The emulator is as strict as the gateway (docs/gateway-2026.md): unknown model slugs, paths
outside the API, Responses-only models — through the core client, both frameworks and the HTTP
server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from cf_gateway_core import (
    ChatRequest,
    GatewayClient,
    GatewayConfigError,
    Message,
    NotFoundError,
    get_profile,
)
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway
from tests._helpers import emulator_process

PRO = "openai/gpt-5.5-pro"  # Responses-only in the model table
UNKNOWN = [
    # A dated id: the gateway does not know it. (Dashes for dots, "claude-sonnet-4-5", never get
    # this far: the model table refuses the respelling before any request, test_model_hints.py.)
    "anthropic/claude-sonnet-4.5-20250929",
    "openai/gpt-9-ultra",
    "acme/chat-1",
]


def core(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(account_id="acct", api_token="t", http_client=fake.client())


def ask(model: str, text: str = "What is Cloudflare?") -> ChatRequest:
    return ChatRequest(model=model, messages=(Message.user(text),))


# ----------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("model", UNKNOWN)
@pytest.mark.parametrize("endpoint", ["auto", "chat_completions", "responses", "run"])
def test_unknown_model_gets_the_gateways_404_7003(model: str, endpoint: str) -> None:
    if endpoint == "auto" and model.startswith("anthropic/"):
        endpoint = "messages"
    fake = FakeGateway()
    with pytest.raises(NotFoundError) as info:
        core(fake).chat(ask(model), endpoint=endpoint)
    assert (info.value.status_code, info.value.code) == (404, 7003)
    assert info.value.message == f"Model not found: {model}"


def test_unknown_workers_ai_model_on_the_native_path_gets_5007() -> None:
    with pytest.raises(NotFoundError) as info:
        core(FakeGateway()).chat(ask("@cf/acme/llama-99"), endpoint="run")
    assert (info.value.status_code, info.value.code) == (400, 5007)


@pytest.mark.parametrize("model", UNKNOWN)
def test_accept_any_model_answers_them(model: str) -> None:
    reply = core(FakeGateway(accept_any_model=True)).chat(ask(model))
    assert "What is Cloudflare?" in reply.text


def test_unknown_embedding_model_is_refused_too() -> None:
    from cf_gateway_core import EmbeddingRequest

    with pytest.raises(NotFoundError):
        core(FakeGateway()).embed(EmbeddingRequest(model="acme/embedder", texts=["a"]))


def test_langchain_and_llamaindex_see_the_404_for_an_unknown_slug() -> None:
    fake = FakeGateway()
    llm = ChatCloudflareAIGateway(
        model=UNKNOWN[0], account_id="acct", api_token="t", http_client=fake.client()
    )
    with pytest.raises(NotFoundError):
        llm.invoke("Hi")
    index = CloudflareAIGateway(
        model=UNKNOWN[1], account_id="acct", api_token="t", http_client=fake.client()
    )
    with pytest.raises(NotFoundError):
        index.chat([ChatMessage(role="user", content="Hi")])


# ----------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "path",
    [
        "/v1/chat/completions",
        "/accounts/acct/ai/v1/chat/completions",
        "/client/v4/ai/v1/chat/completions",
        "/client/v4/accounts/acct/ai/v1/chat/completion",
        "/x/client/v4/accounts/acct/ai/v1/chat/completions",
        "/client/v4/accounts//ai/v1/chat/completions",  # no account id
    ],
)
def test_paths_outside_the_api_get_the_not_found_reply(path: str) -> None:
    fake = FakeGateway()
    with httpx.Client(transport=fake.transport()) as http:
        response = http.post(
            f"https://api.cloudflare.com{path}",
            headers={"authorization": "Bearer t"},
            json={"model": "openai/gpt-5.5", "messages": [{"role": "user", "content": "Hi"}]},
        )
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == 7000


# ----------------------------------------------------------------- Responses-only models


def test_the_model_table_says_gpt_5_5_pro_is_responses_only() -> None:
    assert get_profile(PRO).responses_only


def test_auto_sends_a_responses_only_model_to_the_responses_endpoint() -> None:
    fake = FakeGateway()
    reply = core(fake).chat(ask(PRO))
    assert fake.last_request.path.endswith("/ai/v1/responses")
    assert fake.last_request.json["input"]
    assert "What is Cloudflare?" in reply.text


@pytest.mark.parametrize("endpoint", ["chat_completions", "messages"])
def test_other_endpoints_for_a_responses_only_model_fail_before_any_request(
    endpoint: str,
) -> None:
    fake = FakeGateway()
    with pytest.raises(GatewayConfigError, match="only OpenAI's Responses API"):
        core(fake).chat(ask(PRO), endpoint=endpoint)
    assert fake.requests == []


def test_run_sends_a_responses_body_and_parses_a_responses_object() -> None:
    fake = FakeGateway()
    reply = core(fake).chat(ask(PRO), endpoint="run")
    body = fake.last_request.json
    assert fake.last_request.path.endswith("/ai/run")
    assert body["model"] == PRO
    assert "messages" not in body["input"]
    assert body["input"]["input"]  # Responses-shaped: {"input": ...}
    assert "What is Cloudflare?" in reply.text


def test_run_reply_wrapped_responses_object_is_parsed() -> None:
    response = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": PRO,
        "output": [
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Four.", "annotations": []}],
            }
        ],
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
    }
    fake = FakeGateway().queue_json({"success": True, "result": response}, endpoint="run")
    reply = core(fake).chat(ask(PRO), endpoint="run")
    assert reply.text == "Four."
    assert reply.usage is not None and reply.usage.total_tokens == 4


def test_run_stream_of_a_responses_only_model_is_decoded() -> None:
    fake = FakeGateway()
    with core(fake).stream(ask(PRO), endpoint="run") as stream:
        text = "".join(getattr(e, "text", "") for e in stream)
    assert fake.last_request.json["input"]["stream"] is True
    assert "What is Cloudflare?" in text
    assert stream.result().finish_reason == "stop"


def test_emulator_refuses_a_responses_only_model_on_chat_completions() -> None:
    fake = FakeGateway()
    with httpx.Client(transport=fake.transport()) as http:
        response = http.post(
            "https://api.cloudflare.com/client/v4/accounts/a/ai/v1/chat/completions",
            headers={"authorization": "Bearer t"},
            json={"model": PRO, "messages": [{"role": "user", "content": "Hi"}]},
        )
    assert response.status_code == 400
    assert "Responses" in response.json()["errors"][0]["message"]


# ----------------------------------------------------------------- both adapters, over HTTP


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_in_thread() as emulator:
        yield emulator.base_url


@pytest.mark.parametrize("endpoint", ["auto", "run"])
def test_langchain_responses_only_model_against_the_server(base_url: str, endpoint: str) -> None:
    llm = ChatCloudflareAIGateway(
        model=PRO, endpoint=endpoint, account_id="acct", api_token="t", base_url=base_url
    )
    answer = llm.invoke([HumanMessage("What is Cloudflare?")])
    assert "What is Cloudflare?" in answer.content
    streamed = "".join(str(chunk.content) for chunk in llm.stream("What is Cloudflare?"))
    assert streamed == answer.content


@pytest.mark.parametrize("endpoint", ["auto", "run"])
def test_llamaindex_responses_only_model_against_the_server(base_url: str, endpoint: str) -> None:
    llm = CloudflareAIGateway(
        model=PRO, endpoint=endpoint, account_id="acct", api_token="t", base_url=base_url
    )
    answer = llm.chat([ChatMessage(role="user", content="What is Cloudflare?")])
    assert "What is Cloudflare?" in str(answer.message.content)
    streamed = "".join(
        r.delta or ""
        for r in llm.stream_chat([ChatMessage(role="user", content="What is Cloudflare?")])
    )
    assert streamed == answer.message.content


@pytest.mark.parametrize("cls", [ChatCloudflareAIGateway, CloudflareAIGateway])
def test_adapters_refuse_chat_completions_for_a_responses_only_model(cls: Any) -> None:
    with pytest.raises(GatewayConfigError, match="Responses"):
        cls(model=PRO, endpoint="chat_completions", account_id="acct", api_token="t")


@pytest.mark.parametrize("cls", [ChatCloudflareAIGateway, CloudflareAIGateway])
def test_adapters_against_server_get_404_for_unknown_slug(base_url: str, cls: Any) -> None:
    llm = cls(model=UNKNOWN[0], account_id="acct", api_token="t", base_url=base_url)
    with pytest.raises(NotFoundError):
        if isinstance(llm, ChatCloudflareAIGateway):
            llm.invoke("Hi")
        else:
            llm.chat([ChatMessage(role="user", content="Hi")])


# ----------------------------------------------------------------- the command line


@pytest.mark.parametrize(("flags", "known"), [((), False), (("--accept-any-model",), True)])
def test_cli_emulator_accept_any_model_flag(flags: tuple[str, ...], known: bool) -> None:
    with emulator_process(*flags) as url:
        client = GatewayClient(account_id="acct", api_token="t", base_url=url, max_retries=0)
        if known:
            assert "Hi" in client.chat(ask("acme/chat-1", "Hi")).text
        else:
            with pytest.raises(NotFoundError):
                client.chat(ask("acme/chat-1", "Hi"))
        client.close()
