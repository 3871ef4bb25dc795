"""``cf-gateway`` run in-process: offline and online chat, streaming, exit codes, ``--debug``,
credential checks and the one-shot options. (The interactive mode: ``test_cli_repl.py``.)"""

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


@pytest.fixture(autouse=True)
def no_piped_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdin as under cron or CI: not a terminal, and empty."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


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


SUGGESTS_OFFLINE = "or add --offline"


def test_missing_credentials_refuse_without_an_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", PROMPT]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("cf-gateway: error: ")
    assert "CLOUDFLARE_ACCOUNT_ID is not set" in err
    assert "CLOUDFLARE_API_TOKEN is not set" in err
    assert SUGGESTS_OFFLINE in err
    assert "emulator answering" not in out + err


@pytest.mark.parametrize(
    ("environment", "named", "not_named"),
    [
        (
            {"CLOUDFLARE_ACOUNT_ID": "abc123", "CLOUDFLARE_API_TOKEN": TOKEN},
            [
                "CLOUDFLARE_ACCOUNT_ID is not set (CLOUDFLARE_ACOUNT_ID is set: "
                "did you mean CLOUDFLARE_ACCOUNT_ID?)"
            ],
            ["CLOUDFLARE_API_TOKEN"],
        ),
        (
            {"CLOUDFLARE_ACCOUNT_ID": "abc123", "CF_API_TOKEN": TOKEN},
            ["CLOUDFLARE_API_TOKEN is not set (CF_API_TOKEN is set"],
            ["CLOUDFLARE_ACCOUNT_ID"],
        ),
        (
            {"CLOUDFLARE_ACCOUNT_ID": "abc123", "CLOUDFLARE_TOKEN_API": TOKEN},
            [
                "CLOUDFLARE_API_TOKEN is not set (CLOUDFLARE_TOKEN_API is set: "
                "did you mean CLOUDFLARE_API_TOKEN?)"
            ],
            ["CLOUDFLARE_ACCOUNT_ID"],
        ),
        (
            {"CLOUDFLARE_ACCOUNT_ID": "  ", "CLOUDFLARE_API_TOKEN": TOKEN},
            ["CLOUDFLARE_ACCOUNT_ID is empty"],
            ["CLOUDFLARE_API_TOKEN"],
        ),
        (
            {"CLOUDFLARE_ACCOUNT_ID": "my account", "CLOUDFLARE_API_TOKEN": "two words"},
            [
                "CLOUDFLARE_ACCOUNT_ID is not a Cloudflare account id",
                "CLOUDFLARE_API_TOKEN contains spaces",
            ],
            [],
        ),
        (
            {
                "CLOUDFLARE_ACCOUNT_ID": "abc123",
                "CLOUDFLARE_API_TOKEN": TOKEN,
                "CLOUDFLARE_GATEWAYID": "my-gw",
                "CLOUDFLARE_API_BASE_URL": "ftp://example.com",
            },
            [
                "CLOUDFLARE_GATEWAY_ID is not set (CLOUDFLARE_GATEWAYID is set: did you mean",
                "CLOUDFLARE_API_BASE_URL is not a usable API base",
            ],
            ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN "],
        ),
    ],
)
def test_unusable_credentials_name_each_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    named: list[str],
    not_named: list[str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["chat", PROMPT]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    for phrase in [*named, SUGGESTS_OFFLINE]:
        assert phrase in err
    for name in not_named:
        assert name not in err.split("cannot reach")[1].split(". Set them")[0]
    assert TOKEN not in err


def test_offline_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACOUNT_ID", "abc123")
    assert main(["chat", PROMPT, "--offline"]) == 0
    assert capsys.readouterr() == (ECHO + "\n", "")


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


def test_configuration_errors_speak_in_options(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chat", "hi", "--offline", "-m", "@cf/meta/llama-3.1-8b-instruct"]
    assert main([*argv, "--endpoint", "messages"]) == 2
    err = capsys.readouterr().err
    assert "--endpoint auto" in err
    assert "endpoint=" not in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["chat", "hi", "--endpoint", "bogus"],
        ["frobnicate"],
        ["chat", "hi", "--x"],
        ["chat", "hi", "--temperature", "hot"],
        ["chat", "hi", "--max-tokens", "0"],
    ],
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


def test_piped_text_is_appended_to_the_prompt(
    online: FakeGateway, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("line one\nline two\n"))
    assert main(["chat", "Summarize this:"]) == 0
    sent = online.last_request.json["messages"][-1]["content"]
    assert sent == "Summarize this:\n\nline one\nline two\n"
    assert capsys.readouterr().out.startswith('You said: "Summarize this: line one line two"')


def test_piped_text_alone_is_the_prompt(
    online: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("just this"))
    assert main(["chat"]) == 0
    assert online.last_request.json["messages"][-1]["content"] == "just this"


def test_no_prompt_and_nothing_piped_is_a_usage_error(
    online: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat"]) == 2
    assert "no prompt" in capsys.readouterr().err
    assert online.requests == []


def test_sampling_and_gateway_options_are_sent(
    online: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_GATEWAY_ID", "from-env")
    argv = ["chat", PROMPT, "--temperature", "0.2", "--max-tokens", "64", "--gateway-id", "gw2"]
    assert main(argv) == 0
    request = online.last_request
    assert request.json["temperature"] == 0.2
    assert 64 in (request.json.get("max_tokens"), request.json.get("max_completion_tokens"))
    assert request.headers["cf-aig-gateway-id"] == "gw2"


def test_sampling_options_are_not_sent_unless_given(online: FakeGateway) -> None:
    assert main(["chat", PROMPT]) == 0
    body = online.last_request.json
    assert not {"temperature", "max_tokens", "max_completion_tokens"} & set(body)
    assert "cf-aig-gateway-id" not in online.last_request.headers


@pytest.mark.parametrize("stream", [False, True])
def test_json_prints_one_object(capsys: pytest.CaptureFixture[str], stream: bool) -> None:
    spec = 'tool=get_weather args=\'{"city": "Paris"}\''
    argv = ["chat", "hi", "--offline", "--json", "--emulator-reply", spec]
    assert main(argv + (["--stream"] if stream else [])) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1
    answer = json.loads(out)
    assert answer["tool_calls"] == [
        {"id": answer["tool_calls"][0]["id"], "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert answer["text"] == "" and answer["model"] == "openai/gpt-5.5"
    assert answer["usage"]["input_tokens"] > 0 and answer["usage"]["output_tokens"] > 0
    assert answer["gateway"]["log_id"] and answer["gateway"]["cache_status"] == "MISS"


def test_json_text_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", PROMPT, "--offline", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["text"] == ECHO and answer["tool_calls"] == []
    assert answer["finish_reason"] == "stop"


def test_verbose_shows_usage_and_log_id_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", PROMPT, "--offline", "--json", "-v"]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    usage, log_id = answer["usage"], answer["gateway"]["log_id"]
    assert err == (
        f"cf-gateway: openai/gpt-5.5: {usage['input_tokens']} input + "
        f"{usage['output_tokens']} output tokens, log id {log_id}, cache MISS\n"
    )


def test_retry_waits_are_announced(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chat", PROMPT, "--offline", "--max-retries", "2"]
    assert main([*argv, "--emulator-reply", "error code=2003 retry-after=0"]) == 4
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        f"cf-gateway: HTTP 429 (code 2003); retrying in 0.0 s (retry {n} of 2, Ctrl-C to stop)"
        for n in (1, 2)
    ]
    assert err[2].startswith("cf-gateway: error: HTTP 429") and len(err) == 3


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--timeout", "0", "--timeout: 0 is not a number of seconds above 0, at most 3600"),
        ("--timeout", "-1", "above 0"),
        ("--timeout", "nan", "above 0"),
        ("--timeout", "7200", "at most 3600"),
        ("--max-retries", "11", "--max-retries: 11 is not a whole number from 0 to 10"),
        ("--max-retries", "1.5", "'1.5' is not a whole number"),
        ("--temperature", "3", "--temperature: 3 is not a temperature from 0 to 2"),
    ],
)
def test_option_errors_are_worded_for_the_command_line(
    capsys: pytest.CaptureFixture[str], option: str, value: str, says: str
) -> None:
    assert main(["chat", "hi", "--offline", option, value]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert "None" not in err and "=" not in err.splitlines()[-1]


@pytest.mark.parametrize(
    ("model", "says"),
    [
        ("gpt-5.5", "Did you mean 'openai/gpt-5.5'?"),
        ("anthropic/claude-sonnet-4-5", "did you mean 'anthropic/claude-sonnet-4.5'?"),
    ],
)
def test_model_hints(capsys: pytest.CaptureFixture[str], model: str, says: str) -> None:
    assert main(["chat", "hi", "--offline", "-m", model]) == 2
    out, err = capsys.readouterr()
    assert out == "" and says in err and err.count("\n") == 1
