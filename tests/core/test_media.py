"""Image generation, speech, transcription and reranking through the core clients: the request
each model documents, each documented reply form, input validation before any request."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cf_gateway_core import AsyncGatewayClient, GatewayClient, GatewayConfigError
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.media import MAX_RERANK_BATCH
from cf_gateway_core.testing import FakeGateway, Reply
from cf_gateway_core.transcription import MAX_AUDIO_BYTES

TOKEN = "tok-SECRET-media-9"
FLUX = "@cf/black-forest-labs/flux-1-schnell"
SDXL = "@cf/stabilityai/stable-diffusion-xl-base-1.0"


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def client(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(
        account_id="acct",
        api_token=TOKEN,
        gateway_id="media",
        http_client=fake.client(),
        max_retries=0,
    )


@pytest.fixture
def server_client(fake: FakeGateway) -> Iterator[GatewayClient]:
    with (
        run_in_thread(fake) as emulator,
        GatewayClient(
            account_id="acct", api_token=TOKEN, base_url=emulator.base_url, gateway_id="media"
        ) as client,
    ):
        yield client


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    crc = struct.unpack(">I", data[16 + length : 20 + length])[0]
    assert crc == zlib.crc32(data[12 : 16 + length])
    return width, height


# ----------------------------------------------------------------- images


def test_flux_request_and_base64_reply(fake: FakeGateway, client: GatewayClient) -> None:
    image = client.generate_image("a lighthouse at dusk", steps=4, seed=7)
    sent = fake.last_request
    assert sent.path == f"/client/v4/accounts/acct/ai/run/{FLUX}"
    assert sent.json == {"prompt": "a lighthouse at dusk", "steps": 4, "seed": 7}
    assert sent.headers["cf-aig-gateway-id"] == "media"
    assert image.mime_type == "image/png" and image.url is None
    assert png_size(image.data or b"") == (64, 64)
    assert image.gateway is not None and image.gateway.log_id


def test_sdxl_raw_png_with_requested_size(fake: FakeGateway, client: GatewayClient) -> None:
    image = client.generate_image("a fox", model=SDXL, steps=10, width=512, height=256)
    assert fake.last_request.json == {
        "prompt": "a fox",
        "num_steps": 10,
        "width": 512,
        "height": 256,
    }
    assert png_size(image.data or b"") == (512, 256)


def test_an_image_url_reply_is_kept_as_url(fake: FakeGateway, client: GatewayClient) -> None:
    url = "https://examples.aig.cloudflare.com/xai/image.jpg"
    body = {"success": True, "result": {"state": "Completed", "result": {"image": url},
            "gatewayMetadata": {"keySource": "Unified"}}, "errors": [], "messages": []}  # fmt: skip
    fake.queue_json(body, endpoint="run")
    image = client.generate_image("a fox", model="xai/grok-imagine-image-2.0")
    assert fake.last_request.path.endswith("/ai/run")
    assert fake.last_request.json == {
        "model": "xai/grok-imagine-image-2.0",
        "input": {"prompt": "a fox"},
    }
    assert (image.url, image.data) == (url, None)
    assert image.gateway is not None and image.gateway.key_source == "Unified"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"prompt": ""}, "prompt must be a non-empty"),
        ({"prompt": "x" * 2049}, "at most 2048"),
        ({"prompt": "x", "steps": 9}, "steps must be from 1 to 8"),
        ({"prompt": "x", "width": 512}, "does not take width"),
        ({"prompt": "x", "model": SDXL, "width": 100}, "width must be from 256"),
        ({"prompt": "x", "seed": 1.5}, "seed must be an integer"),
    ],
)
def test_bad_image_input_is_refused_before_sending(
    fake: FakeGateway, client: GatewayClient, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(GatewayConfigError, match=fragment):
        client.generate_image(**kwargs)
    assert fake.requests == []


def test_image_save(tmp_path: Path, client: GatewayClient) -> None:
    target = tmp_path / "out.png"
    client.generate_image("waves").save(str(target))
    assert png_size(target.read_bytes()) == (64, 64)


# ----------------------------------------------------------------- speech and transcription


def test_melotts_base64_mp3(fake: FakeGateway, client: GatewayClient) -> None:
    speech = client.speak("Hello from the gateway", lang="en")
    assert fake.last_request.json == {"prompt": "Hello from the gateway", "lang": "en"}
    assert speech.mime_type == "audio/mpeg"
    assert speech.audio is not None and speech.audio.startswith(b"ID3")


def test_aura_raw_audio_and_its_options(fake: FakeGateway, client: GatewayClient) -> None:
    speech = client.speak("Hi", model="@cf/deepgram/aura-1", voice="luna", encoding="linear16")
    assert fake.last_request.json == {"text": "Hi", "speaker": "luna", "encoding": "linear16"}
    assert speech.mime_type == "audio/wav" and (speech.audio or b"")[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"text": " "}, "non-empty"),
        ({"text": "x", "model": "@cf/deepgram/aura-1", "voice": "bob"}, "voice 'bob'"),
        ({"text": "x", "model": "@cf/deepgram/aura-1", "encoding": "wav"}, "encoding 'wav'"),
        ({"text": "x", "voice": "luna"}, "does not take voice"),
    ],
)
def test_bad_speech_input_is_refused(
    fake: FakeGateway, client: GatewayClient, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(GatewayConfigError, match=fragment):
        client.speak(**kwargs)
    assert fake.requests == []


def test_whisper_turbo_sends_base64_json_and_reads_timestamps(
    fake: FakeGateway, client: GatewayClient
) -> None:
    audio = client.speak("the quick brown fox").audio or b""
    text = client.transcribe(audio, language="en", task="transcribe", vad_filter=True)
    sent = fake.last_request.json
    assert base64.b64decode(sent["audio"]) == audio
    assert (sent["language"], sent["task"], sent["vad_filter"]) == ("en", "transcribe", True)
    assert text.text == "the quick brown fox"
    assert [(w.word, w.start, w.end) for w in text.words][:2] == [
        ("the", 0.0, 0.5),
        ("quick", 0.5, 1.0),
    ]
    assert text.segments[0].end == 2.0 and text.duration == 2.0
    assert text.vtt is not None and text.vtt.startswith("WEBVTT")


def test_nova3_sends_raw_bytes_with_their_type_and_query(
    fake: FakeGateway, client: GatewayClient, tmp_path: Path
) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(
        client.speak("hello there", model="@cf/deepgram/aura-1", encoding="linear16").audio or b""
    )
    text = client.transcribe(path, model="@cf/deepgram/nova-3", extra={"smart_format": True})
    sent = fake.last_request
    assert sent.headers["content-type"] == "audio/wav"
    assert sent.content == path.read_bytes()
    assert sent.url.endswith("/ai/run/@cf/deepgram/nova-3?smart_format=true")
    assert text.text == "hello there" and text.words[0].confidence == 0.99


def test_whisper_raw_body(fake: FakeGateway, client: GatewayClient) -> None:
    audio = client.speak("one two").audio or b""
    text = client.transcribe(audio, model="@cf/openai/whisper")
    assert fake.last_request.content == audio
    assert text.text == "one two" and [w.word for w in text.words] == ["one", "two"]


@pytest.mark.parametrize(
    ("audio", "kwargs", "fragment"),
    [
        (b"", {}, "audio is empty"),
        (b"not audio at all", {}, "not a recognised audio file"),
        (b"ID3" + b"\x00" * 10, {"task": "summarise"}, "task must be"),
        (
            b"ID3" + b"\x00" * 10,
            {"model": "@cf/deepgram/nova-3", "task": "translate"},
            "does not take task",
        ),
        ("/no/such/file.mp3", {}, "does not exist"),
    ],
)
def test_bad_audio_is_refused_before_sending(
    fake: FakeGateway, client: GatewayClient, audio: Any, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(GatewayConfigError, match=fragment):
        client.transcribe(audio, **kwargs)
    assert fake.requests == []


def test_audio_over_the_limit_is_refused(fake: FakeGateway, client: GatewayClient) -> None:
    with pytest.raises(GatewayConfigError, match="limit is 25 MB"):
        client.transcribe(b"ID3" + bytes(MAX_AUDIO_BYTES))
    assert fake.requests == []


# ----------------------------------------------------------------- rerank


def test_rerank_request_and_best_first_scores(fake: FakeGateway, client: GatewayClient) -> None:
    docs = ["cats sleep a lot", "Cloudflare AI Gateway logs every request", "gateway to the west"]
    result = client.rerank("AI Gateway logs", docs, top_n=2)
    assert fake.last_request.path.endswith("/ai/run/@cf/baai/bge-reranker-base")
    assert fake.last_request.json == {
        "query": "AI Gateway logs",
        "contexts": [{"text": d} for d in docs],
        "top_k": 2,
    }
    assert [s.index for s in result.scores] == [1, 2]
    assert result.scores[0].score > result.scores[1].score


def test_rerank_batches_long_lists_and_merges(fake: FakeGateway, client: GatewayClient) -> None:
    docs = [f"document number {i}" for i in range(MAX_RERANK_BATCH * 2 + 5)]
    docs[150] = "the answer about rerankers"
    result = client.rerank("answer rerankers", docs, top_n=3)
    batches = [r.json for r in fake.requests]
    assert [len(b["contexts"]) for b in batches] == [MAX_RERANK_BATCH, MAX_RERANK_BATCH, 5]
    assert all("top_k" not in b for b in batches)
    assert result.scores[0].index == 150 and len(result.scores) == 3


def test_rerank_reads_unsorted_replies(fake: FakeGateway, client: GatewayClient) -> None:
    fake.queue_json({"result": {"response": [{"id": 0, "score": 0.1}, {"id": 1, "score": 0.9}]},
                     "success": True, "errors": [], "messages": []}, endpoint="run")  # fmt: skip
    assert [s.index for s in client.rerank("q", ["a", "b"]).scores] == [1, 0]


@pytest.mark.parametrize(
    ("query", "docs", "top_n", "fragment"),
    [
        ("", ["a"], None, "query"),
        ("q", ["a", ""], None, r"documents\[1\]"),
        ("q", "abc", None, "not one string"),
        ("q", ["a"], 0, "top_n"),
    ],
)
def test_bad_rerank_input(
    fake: FakeGateway, client: GatewayClient, query: str, docs: Any, top_n: Any, fragment: str
) -> None:
    with pytest.raises(GatewayConfigError, match=fragment):
        client.rerank(query, docs, top_n=top_n)
    assert fake.requests == []


def test_empty_document_list_sends_nothing(fake: FakeGateway, client: GatewayClient) -> None:
    assert client.rerank("q", []).scores == ()
    assert fake.requests == []


# ----------------------------------------------------------------- over HTTP, async, errors


def test_media_over_http(server_client: GatewayClient, fake: FakeGateway) -> None:
    image = server_client.generate_image("a red kite", model=SDXL, width=256, height=256)
    assert png_size(image.data or b"") == (256, 256)
    speech = server_client.speak("over the wire", model="@cf/deepgram/aura-1")
    assert speech.mime_type == "audio/mpeg"
    heard = server_client.transcribe(speech.audio or b"", model="@cf/deepgram/nova-3")
    assert heard.text == "over the wire"
    assert server_client.rerank("wire", ["over the wire", "nothing"]).scores[0].index == 0
    # every call left a log on the client's gateway
    assert server_client.logs.get(heard.gateway.log_id).model == "@cf/deepgram/nova-3"  # type: ignore[union-attr]


async def test_async_media(fake: FakeGateway) -> None:
    async with AsyncGatewayClient(
        account_id="acct", api_token=TOKEN, http_client=fake.async_client()
    ) as client:
        image = await client.generate_image("night sky")
        assert (image.data or b"")[:4] == b"\x89PNG"
        speech = await client.speak("async speech")
        heard = await client.transcribe(speech.audio or b"")
        assert heard.text == "async speech"
        ranked = await client.rerank("speech", ["async speech", "image"], top_n=1)
        assert [s.index for s in ranked.scores] == [0]


def test_model_errors_are_typed(fake: FakeGateway, client: GatewayClient) -> None:
    from cf_gateway_core import BadRequestError

    fake.queue(Reply.error(400, code=7003, message="bad input"), endpoint="run")
    with pytest.raises(BadRequestError) as caught:
        client.generate_image("x")
    assert TOKEN not in str(caught.value)


def test_emulator_rejects_what_flux_rejects(fake: FakeGateway) -> None:
    url = f"https://api.cloudflare.com/client/v4/accounts/a/ai/run/{FLUX}"
    with fake.client(headers={"authorization": "Bearer x"}) as http:
        assert http.post(url, content=json.dumps({"prompt": "x", "width": 5})).status_code == 400
        assert http.post(url, content=json.dumps({"prompt": "x", "steps": 9})).status_code == 400
        assert http.post(url, content=json.dumps({"prompt": ""})).status_code == 400


@pytest.mark.parametrize(
    ("call", "wrong_model"),
    [
        ("image", "@cf/meta/llama-3.1-8b-instruct"),
        ("speak", "@cf/black-forest-labs/flux-1-schnell"),
        ("transcribe", "@cf/myshell-ai/melotts"),
        ("rerank", "@cf/baai/bge-m3"),
    ],
)
def test_a_model_of_another_task_is_refused_before_sending(
    fake: FakeGateway, client: GatewayClient, call: str, wrong_model: str
) -> None:
    audio = client.speak("hello").audio
    sent = len(fake.requests)
    calls = {
        "image": lambda: client.generate_image("a fox", model=wrong_model),
        "speak": lambda: client.speak("hello", model=wrong_model),
        "transcribe": lambda: client.transcribe(audio, model=wrong_model),
        "rerank": lambda: client.rerank("q", ["a"], model=wrong_model),
    }
    with pytest.raises(GatewayConfigError, match=f"{wrong_model} is a .* model, not"):
        calls[call]()
    assert len(fake.requests) == sent


async def test_async_image_with_a_chat_model_is_refused(fake: FakeGateway) -> None:
    client = AsyncGatewayClient(account_id="acct", api_token="t", http_client=fake.async_client())
    with pytest.raises(GatewayConfigError, match="text-generation model, not text-to-image"):
        await client.generate_image("a fox", model="@cf/meta/llama-3.1-8b-instruct")
    assert fake.requests == []
