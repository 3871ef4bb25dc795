"""The interactive ``cf-gateway chat`` through a real pseudo-terminal (pexpect).

The child process talks to an emulator server in this process, so every request it sends is
recorded and the conversation it keeps can be checked turn by turn. The Ctrl-C test uses the
reliability suite's fault server instead, whose stream sends part of an answer and then holds
the connection open: the interrupt lands mid-answer whatever the machine's load, with no timing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from cf_gateway_core.emulator.server import run_in_thread
from cf_gateway_core.testing import FakeGateway
from tests._helpers import cli_argv
from tests.reliability.fault_server import FaultServer, sse_reply

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("pseudo-terminals (pexpect.spawn) are POSIX-only", allow_module_level=True)

import pexpect

PROMPT = "> "
TIMEOUT = 30
# A shell's background job or a CI runner may start the CLI with SIGINT ignored: Ctrl-C works alike.
SIGINT_EITHER_WAY = pytest.mark.parametrize(
    "sigint_ignored", [False, True], ids=["SIGINT-default", "SIGINT-ignored-at-start"]
)


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def sigint_ignored() -> bool:
    """Whether the CLI is started with SIGINT ignored (parametrized by the Ctrl-C tests)."""
    return False


def _spawn(env: dict[str, str], *args: str, sigint_ignored: bool = False) -> Any:
    executable, *argv = cli_argv("chat", *args, sigint_ignored=sigint_ignored)
    child = pexpect.spawn(
        executable,
        argv,
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 200),
    )
    child.expect_exact("chatting with")
    child.expect_exact(PROMPT)
    return child


def _environment(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    env.update(
        CLOUDFLARE_ACCOUNT_ID="acct42",
        CLOUDFLARE_API_TOKEN="tok-repl",
        CLOUDFLARE_API_BASE_URL=base_url,
        TERM="dumb",
    )
    return env


@pytest.fixture
def repl(fake: FakeGateway, sigint_ignored: bool) -> Iterator[Any]:
    with run_in_thread(fake) as server:
        env = _environment(server.base_url)
        child = _spawn(env, "-m", "openai/gpt-5.5", sigint_ignored=sigint_ignored)
        yield child
        child.close(force=True)


def _delta(text: str) -> dict[str, Any]:
    """One OpenAI chat-completion stream chunk carrying ``text``."""
    choice = {"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}
    return {"id": "c1", "object": "chat.completion.chunk", "model": "gpt-5.5", "choices": [choice]}


@pytest.fixture
def held() -> Iterator[FaultServer]:
    """A fault server whose first answer stops after its first words and holds the connection
    open until the client lets go; its second answer is whole."""
    with FaultServer(lifetime=2 * TIMEOUT) as server:
        server.script(
            sse_reply([_delta("The first words of a long answer")], ending="stall",
                      stall_limit=TIMEOUT),
            sse_reply([_delta("A whole answer."), "data: [DONE]\n\n"]),
        )  # fmt: skip
        yield server


@pytest.fixture
def held_repl(held: FaultServer, sigint_ignored: bool) -> Iterator[Any]:
    env = _environment(held.base_url)
    child = _spawn(env, "-m", "openai/gpt-5.5", sigint_ignored=sigint_ignored)
    yield child
    child.close(force=True)


def _ask(child: Any, line: str) -> str:
    child.sendline(line)
    child.expect_exact(PROMPT)
    return str(child.before)


def _turns(fake: FakeGateway) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in fake.last_request.json["messages"]]


def _answer(text: str) -> str:
    return (
        f'You said: "{text}". This is the cf-gateway offline emulator answering as openai/gpt-5.5.'
    )


def test_conversation_keeps_its_history(repl: Any, fake: FakeGateway) -> None:
    assert _answer("first question") in _ask(repl, "first question")
    assert _answer("second question") in _ask(repl, "second question")
    assert _turns(fake) == [
        ("user", "first question"),
        ("assistant", _answer("first question")),
        ("user", "second question"),
    ]
    assert all(request.json["stream"] is True for request in fake.requests)


def test_reset_forgets_the_conversation(repl: Any, fake: FakeGateway) -> None:
    _ask(repl, "first question")
    assert "conversation cleared" in _ask(repl, "/reset")
    _ask(repl, "after reset")
    assert _turns(fake) == [("user", "after reset")]


def test_unknown_command_is_not_sent(repl: Any, fake: FakeGateway) -> None:
    assert "unknown command /frobnicate" in _ask(repl, "/frobnicate")
    assert fake.requests == []


def test_exit_command_leaves_with_status_0(repl: Any) -> None:
    repl.sendline("/exit")
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0


def test_ctrl_d_leaves_with_status_0(repl: Any) -> None:
    _ask(repl, "hello")
    repl.sendeof()
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0


@SIGINT_EITHER_WAY
def test_ctrl_c_stops_the_answer_but_not_the_conversation(
    held_repl: Any, held: FaultServer
) -> None:
    held_repl.sendline("a long question")
    held_repl.expect_exact("The first words of a long answer")  # then the server holds
    held_repl.sendintr()
    held_repl.expect_exact("answer stopped")
    before = str(held_repl.before)
    # The partial answer ends with a line break before the notice, not on the same line.
    assert before.endswith(("\r\ncf-gateway: ", "\ncf-gateway: "))
    held_repl.expect_exact(PROMPT)
    assert held_repl.isalive()
    # The stopped stream's connection was let go (the server saw the client close it).
    assert held.wait_until(lambda: held.client_disconnects == 1, timeout=TIMEOUT)
    held_repl.sendline("next one")
    held_repl.expect_exact("A whole answer.")
    held_repl.expect_exact(PROMPT)
    first, second = (request.json["messages"] for request in held.requests)
    assert first == [{"role": "user", "content": "a long question"}]
    assert second == [{"role": "user", "content": "next one"}]  # the stopped turn was forgotten


@SIGINT_EITHER_WAY
def test_ctrl_c_at_the_prompt_clears_the_line(repl: Any, fake: FakeGateway) -> None:
    repl.send("half a thou")
    # Interrupt once the line editor has taken (echoed) the whole line and waits for more:
    # CPython's readline loop acts on a SIGINT only while it waits for a key, so an interrupt
    # sent while it is still echoing would sit until the next key (a race, not the promise).
    repl.expect_exact("half a thou")
    repl.sendintr()
    repl.expect_exact(PROMPT)
    assert "answer" not in _ask(repl, "whole question").split("You said")[0]
    assert _turns(fake) == [("user", "whole question")]


def test_errors_are_reported_and_the_conversation_goes_on(repl: Any, fake: FakeGateway) -> None:
    fake.queue_error(404, code=7003, message="Model not found", endpoint="chat_completions")
    assert "error: HTTP 404, code 7003: Model not found" in _ask(repl, "first")
    assert _answer("second") in _ask(repl, "second")
    assert _turns(fake) == [("user", "second")]


def test_without_credentials_the_terminal_gets_the_refusal_too() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "cf_gateway_core.cli", "chat"],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "CLOUDFLARE_ACCOUNT_ID is not set" in str(child.before)
    assert "chatting with" not in str(child.before)
