"""Live checks of logs, feedback, the catalogue, rerank and media models: ``pytest -m live`` with
``CLOUDFLARE_ACCOUNT_ID`` and ``CLOUDFLARE_API_TOKEN`` (the token also needs AI Gateway Read and
Edit for the log tests; ``CLOUDFLARE_GATEWAY_ID`` picks the gateway, else ``default``)."""

from __future__ import annotations

import os
import time

import pytest

from cf_gateway_core import ChatRequest, GatewayClient, Message, NotFoundError

pytestmark = pytest.mark.live

LOG_WAIT_SECONDS = 30  # logs are written shortly after the reply


@pytest.fixture(scope="module")
def client() -> GatewayClient:
    if not (os.environ.get("CLOUDFLARE_ACCOUNT_ID") and os.environ.get("CLOUDFLARE_API_TOKEN")):
        pytest.fail("live tests need CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN")
    return GatewayClient(gateway_id=os.environ.get("CLOUDFLARE_GATEWAY_ID") or "default")


def test_live_log_and_feedback(client: GatewayClient) -> None:
    request = ChatRequest(
        model="@cf/meta/llama-3.1-8b-instruct", messages=(Message.user("Say 'pong'."),)
    )
    reply = client.chat(request)
    assert reply.gateway is not None and reply.gateway.log_id
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while True:
        try:
            log = client.logs.get(reply.gateway.log_id)
            break
        except NotFoundError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    assert log.model and log.status_code == 200
    client.logs.feedback(log.id, feedback=1, score=100, metadata={"test": "live"})


def test_live_catalogue_rerank_and_media(client: GatewayClient) -> None:
    page = client.models.search(task="Text-to-Image", per_page=5)
    assert page.models and all(m.task == "Text-to-Image" for m in page.models)
    assert "input" in client.models.schema("@cf/baai/bge-reranker-base")
    ranked = client.rerank("capital of France", ["Paris is in France.", "Bananas are yellow."])
    assert ranked.scores[0].index == 0
    image = client.generate_image("a small red square", steps=1)
    assert image.data and image.mime_type in ("image/jpeg", "image/png")
    speech = client.speak("Hello from the gateway tests.")
    assert speech.audio
    heard = client.transcribe(speech.audio)
    assert "gateway" in heard.text.lower()
