"""``cf-gateway models``, ``image``, ``transcribe``, ``speak`` and ``feedback``: offline, and with
the environment's credentials against the emulator server."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cf_gateway_core import ChatRequest, GatewayClient, Message
from cf_gateway_core.cli import main, subcommands
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway

TOKEN = "tok-SECRET-cli-media"


@pytest.fixture(autouse=True)
def no_piped_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def online(fake: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with run_in_thread(fake) as emulator:
        monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct42")
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
        monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", emulator.base_url)
        yield emulator.base_url


def test_the_commands_are_registered() -> None:
    names = {command.name for command in subcommands()}
    assert {"models", "image", "transcribe", "speak", "feedback"} <= names


def test_models_lists_and_filters(
    online: str, fake: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--task", "Text-to-Image"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines and all("Text-to-Image" in line for line in lines)
    assert any(line.startswith("@cf/black-forest-labs/flux-1-schnell") for line in lines)
    assert err.strip() == f"{len(lines)} model(s)"
    assert fake.last_request.path == "/client/v4/accounts/acct42/ai/models/search"
    assert fake.last_request.headers["authorization"] == f"Bearer {TOKEN}"


def test_models_json_and_search(online: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--search", "reranker", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in entries] == ["@cf/baai/bge-reranker-base"]
    assert entries[0]["task"]["name"] == "Text Classification"


def test_models_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--schema", "@cf/black-forest-labs/flux-1-schnell", "--offline"]) == 0
    assert json.loads(capsys.readouterr().out)["input"]["required"] == ["prompt"]


def test_image_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.png"
    assert main(["image", "a lighthouse at dusk", "-o", str(target), "--offline"]) == 0
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {len(data)} bytes to {target}" in capsys.readouterr().err


def test_image_bad_steps_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["image", "x", "-o", str(tmp_path / "o.png"), "--steps", "50", "--offline"]) == 2
    assert "steps must be from 1 to 8" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_speak_then_transcribe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audio = tmp_path / "out.mp3"
    assert main(["speak", "hello from the command line", "-o", str(audio), "--offline"]) == 0
    assert audio.read_bytes()[:3] == b"ID3"
    capsys.readouterr()
    assert main(["transcribe", str(audio), "--offline"]) == 0
    assert capsys.readouterr().out == "hello from the command line\n"
    assert main(["transcribe", str(audio), "--format", "vtt", "--offline"]) == 0
    assert capsys.readouterr().out.startswith("WEBVTT")
    assert main(["transcribe", str(audio), "--format", "words", "--offline"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["0.5", "from"]
    assert main(["transcribe", str(audio), "--format", "json", "--offline"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("}\n") and "hello from the command line" in json.loads(out)["text"]


def test_transcribe_refuses_a_non_audio_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    assert main(["transcribe", str(text), "--offline"]) == 2
    assert "not a recognised audio file" in capsys.readouterr().err


def test_online_speak_uses_the_environment(online: str, fake: FakeGateway, tmp_path: Path) -> None:
    target = tmp_path / "aura.mp3"
    assert (
        main(
            ["speak", "hi", "-o", str(target), "--model", "@cf/deepgram/aura-1", "--voice", "luna"]
        )
        == 0
    )
    assert fake.last_request.json == {"text": "hi", "speaker": "luna"}
    assert target.read_bytes()[:3] == b"ID3"


def test_missing_credentials_name_the_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert "CLOUDFLARE_ACCOUNT_ID" in err and "CLOUDFLARE_API_TOKEN" in err and "--offline" in err


def test_feedback_rates_a_log(
    online: str, fake: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    client = GatewayClient(base_url=online, account_id="acct42", api_token=TOKEN)
    log_id = client.chat(
        ChatRequest(model="openai/gpt-5.5", messages=(Message.user("hi"),))
    ).gateway.log_id  # type: ignore[union-attr]
    assert main(["feedback", str(log_id), "--good", "--score", "75", "--meta", "who=cli"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["feedback"], shown["score"], json.loads(shown["metadata"])) == (
        1,
        75,
        {"who": "cli"},
    )
    assert main(["feedback", str(log_id), "--meta", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_feedback_unknown_log_exits_5(online: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", "0197c7d0-1b2c-7d3e-8f40-a1b2c3d4e5f6"]) == 5
    err = capsys.readouterr().err
    assert err.startswith("cf-gateway: error:") and TOKEN not in err


def test_image_to_an_unwritable_path_names_the_file_not_the_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-dir" / "out.png"
    assert main(["image", "a fox", "-o", str(target), "--offline"]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and str(target) in err and "port" not in err


def test_transcribe_a_directory_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(tmp_path), "--offline"]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "does not exist" not in err


def test_feedback_unknown_log_hints_at_the_log_not_the_model(
    online: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feedback", "0197c7d0-1b2c-7d3e-8f40-a1b2c3d4e5f6", "--good"]) == 5
    err = capsys.readouterr().err
    assert "log id" in err and "--gateway" in err and "model id" not in err


@pytest.mark.parametrize("status", [401, 403])
def test_feedback_permission_errors_hint_at_ai_gateway(
    online: str, fake: FakeGateway, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.queue_error(status, code=10000, message="Authentication error")
    assert main(["feedback", "0197c7d0-1b2c-7d3e-8f40-a1b2c3d4e5f6", "--bad"]) == 3
    err = capsys.readouterr().err
    hint = err[err.rindex("(") :]
    assert "AI Gateway" in hint and "Workers AI" not in hint and "this model" not in hint


# A JPEG's first bytes (SOI, APP0/JFIF): flux-1-schnell answers {"image": <base64 JPEG>}.
_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def test_image_warns_when_the_name_says_png_but_flux_sent_a_jpeg(
    online: str, fake: FakeGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64

    fake.queue_json({"result": {"image": base64.b64encode(_JPEG).decode()}, "success": True})
    target = tmp_path / "out.png"
    assert main(["image", "a fox", "-o", str(target)]) == 0
    assert target.read_bytes() == _JPEG
    err = capsys.readouterr().err
    assert "warning" in err and "image/jpeg" in err and ".jpg" in err


def test_image_does_not_warn_when_the_name_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["image", "a fox", "-o", str(tmp_path / "out.png"), "--offline"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_transcribe_unrecognised_audio_names_the_option_not_the_keyword(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    assert main(["transcribe", str(text), "--offline"]) == 2
    err = capsys.readouterr().err
    assert "--content-type audio/" in err and "content_type=" not in err


def test_transcribe_content_type_is_sent(
    online: str, fake: FakeGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    speech = tmp_path / "s.mp3"
    assert main(["speak", "hello there", "-o", str(speech)]) == 0
    args = ["transcribe", str(speech), "-m", "@cf/deepgram/nova-3", "--content-type", "audio/mp3"]
    assert main(args) == 0
    assert fake.last_request.headers["content-type"] == "audio/mp3"
    assert "hello there" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["image", "a fox", "-o", "unused.png", "--width", "512"], "--width"),
        (["speak", "hi", "-o", "unused.mp3", "--voice", "luna"], "--voice"),
    ],
)
def test_an_option_the_model_does_not_take_is_named_as_the_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--offline"]) == 2
    err = capsys.readouterr().err
    assert f"does not take {flag}" in err and "extra=" not in err and f"{flag[2:]}=" not in err
