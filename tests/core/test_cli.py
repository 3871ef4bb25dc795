"""``cf-gateway`` run in-process: offline and online chat, streaming, exit codes, ``--debug``."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from cf_gateway_core import __version__
from cf_gateway_core.cli import main, subcommands
from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway

PROMPT = "What is Cloudflare?"
TOKEN = "tok-CLI-SECRET-789"
ECHO = f'You said: "{PROMPT}". This is the cf-gateway offline emulator answering as openai/gpt-5.5.'


class RecordingStdout(io.StringIO):
    """A stdout that remembers how often it was flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed_at: list[int] = []

    def flush(self) -> None:
        self.flushed_at.append(len(self.getvalue()))
        super().flush()


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def online(fake: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    """Credentials in the environment pointing at a local emulator server."""
    with run_in_thread(fake) as emulator:
        monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct42")
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
        monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", emulator.base_url)
        yield fake


def test_offline_chat_prints_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", PROMPT, "--offline"]) == 0
    out, err = capsys.readouterr()
    assert out == ECHO + "\n"
    assert err == ""


def test_missing_credentials_answers_offline_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["chat", PROMPT]) == 0
    out, err = capsys.readouterr()
    assert out == ECHO + "\n"
    assert err.count("\n") == 1
    assert "CLOUDFLARE_API_TOKEN" in err and "offline emulator" in err


def test_stream_prints_tokens_as_they_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = RecordingStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["chat", PROMPT, "--offline", "--stream"]) == 0
    assert stdout.getvalue() == ECHO + "\n"
    # flushed after each word: many distinct prefixes of the answer were visible
    assert len(set(stdout.flushed_at)) > 5


def test_prompt_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped question"))
    assert main(["chat", "-", "--offline"]) == 0
    assert '"piped question"' in capsys.readouterr().out


def test_online_chat_uses_environment_credentials(
    online: FakeGateway, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLOUDFLARE_GATEWAY_ID", "my-gw")
    code = main(["chat", PROMPT, "--system", "Be brief.", "-m", "anthropic/claude-sonnet-4.5"])
    assert code == 0
    out, err = capsys.readouterr()
    assert PROMPT in out and "anthropic/claude-sonnet-4.5" in out
    assert err == ""
    request = online.last_request
    assert request.endpoint == "messages"
    assert "/accounts/acct42/" in request.path
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["cf-aig-gateway-id"] == "my-gw"
    assert request.json["system"] == "Be brief."


@pytest.mark.parametrize("endpoint", ["chat_completions", "responses", "run"])
def test_endpoint_option_picks_the_api(
    online: FakeGateway, endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", PROMPT, "--endpoint", endpoint, "--stream"]) == 0
    assert online.last_request.endpoint == endpoint
    assert capsys.readouterr().out == ECHO + "\n"


def test_tool_calls_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    spec = 'tool=get_weather args=\'{"city": "Paris"}\''
    assert main(["chat", "hi", "--offline", "--emulator-reply", spec]) == 0
    assert capsys.readouterr().out == '[tool call] get_weather({"city": "Paris"})\n'


@pytest.mark.parametrize(
    ("spec", "code", "shown"),
    [
        ("error status=401 code=10000", 3, "HTTP 401, code 10000: Authentication error"),
        ("error status=403", 3, "HTTP 403"),
        ("error status=429 code=2003", 4, "HTTP 429, code 2003: Rate limited"),
        ("error code=2045", 4, "Spend limit exceeded"),
        ("error code=7003", 5, "Model not found: openai/gpt-5.5"),
        ("error status=500", 1, "HTTP 500"),
        ("error status=400", 1, "HTTP 400"),
        ("nonsense", 1, "unknown reply 'nonsense'"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_gateway_errors_map_to_exit_codes(
    capsys: pytest.CaptureFixture[str], spec: str, code: int, shown: str, stream: bool
) -> None:
    argv = ["chat", PROMPT, "--offline", "--max-retries", "0", "--emulator-reply", spec]
    assert main(argv + (["--stream"] if stream else [])) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("cf-gateway: error: ")
    assert shown in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_errors_over_http_keep_the_token_out(
    online: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["chat", PROMPT, "--max-retries", "0", "--emulator-reply", "error status=401 code=10000"]
    assert main(argv) == 3
    out, err = capsys.readouterr()
    assert "Authentication error" in err and "CLOUDFLARE_API_TOKEN" in err
    assert TOKEN not in out + err


def test_connection_error_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_in_thread() as emulator:
        closed = emulator.base_url  # the port is free again once the server stops
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct42")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", closed)
    assert main(["chat", PROMPT, "--max-retries", "0", "--timeout", "5"]) == 1
    assert "Connection error" in capsys.readouterr().err


def test_debug_shows_traceback_on_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chat", PROMPT, "--offline", "--debug", "--max-retries", "0"]
    assert main([*argv, "--emulator-reply", "error status=429 code=2003"]) == 4
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "RateLimitError" in err
    assert err.rstrip().splitlines()[-1].startswith("cf-gateway: error: HTTP 429")


def test_debug_shows_request_and_gateway_details(
    online: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", PROMPT, "--debug"]) == 0
    out, err = capsys.readouterr()
    assert out == ECHO + "\n"
    assert "POST http://127.0.0.1:" in err
    assert "finish=stop" in err
    gateway = json.loads(err.split("gateway metadata: ", 1)[1].splitlines()[0])
    assert gateway["cache_status"] == "MISS" and gateway["key_source"] == "Unified"
    assert TOKEN not in err


def test_configuration_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chat", "hi", "--offline", "-m", "@cf/meta/llama-3.1-8b-instruct"]
    assert main([*argv, "--endpoint", "messages"]) == 2
    assert "cannot be served on the 'messages' endpoint" in capsys.readouterr().err


def test_unusable_environment_is_a_config_error_not_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct42")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", "ftp://example.com")
    assert main(["chat", "hi"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "base_url" in err
    assert TOKEN not in err


@pytest.mark.parametrize(
    "argv",
    [[], ["chat"], ["chat", "hi", "--endpoint", "bogus"], ["frobnicate"], ["chat", "hi", "--x"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage: cf-gateway" in capsys.readouterr().err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--help"]) == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and "rate or spend limit" in out
    assert "--offline" in out and "openai/gpt-5.5" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cf-gateway {__version__}"


def test_emulator_on_a_busy_port_fails_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with run_in_thread() as emulator:
        port = urlsplit(emulator.base_url).port
        assert main(["emulator", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert "Address already in use" in err and "--port 0" in err


def test_help_lists_every_subcommand_of_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    names = [command.name for command in subcommands()]
    assert names[:2] == ["chat", "emulator"] and len(set(names)) == len(names)
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in subcommands():
        assert f"    {command.name}" in out and command.help in out


def test_emulator_help_documents_reply_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--help"]) == 0
    out = capsys.readouterr().out
    assert "x-emulator-reply" in out
    for form in ("error [status=N] [code=N]", 'text="..."', "tool=NAME"):
        assert form in out
