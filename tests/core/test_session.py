"""GatewaySession: the configuration and lazily built clients both adapters hold."""

from __future__ import annotations

import asyncio
import copy
import pickle

import httpx
import pytest

from cf_gateway_core import ChatRequest, GatewayConfigError, Message
from cf_gateway_core.session import GatewaySession
from cf_gateway_core.testing import FakeGateway

REQUEST = ChatRequest(model="openai/gpt-5.5", messages=(Message.user("hi"),))


def _session(**kwargs) -> GatewaySession:
    return GatewaySession.resolve(account_id="acct", api_token="tok-secret", **kwargs)


def test_resolve_names_the_keyword_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    with pytest.raises(GatewayConfigError, match="CLOUDFLARE_API_TOKEN"):
        GatewaySession.resolve(account_id="acct")


def test_clients_are_built_once_on_first_use() -> None:
    session = _session()
    assert session._client is None and session._aclient is None
    assert session.client is session.client
    assert session.aclient is session.aclient
    session.close()


def test_repr_never_shows_the_token() -> None:
    assert "tok-secret" not in repr(_session())


def test_pickle_and_copies_carry_settings_not_clients() -> None:
    session = _session(gateway_options={"skip_cache": True})
    session.client  # noqa: B018 - build the sync client before travelling
    for clone in (
        pickle.loads(pickle.dumps(session)),
        copy.copy(session),
        copy.deepcopy(session),
    ):
        assert clone is not session
        assert clone._client is None
        assert clone.config == session.config
        assert clone.options == session.options
        assert "tok-secret" not in repr(clone)
    session.close()


def test_a_travelled_session_sends_requests() -> None:
    fake = FakeGateway()
    with httpx.Client(transport=fake.transport()) as http:
        owned = GatewaySession.resolve(account_id="acct", api_token="tok", http_client=http)
        copied = copy.deepcopy(owned)
        assert copied.client.chat(REQUEST).text
        assert copied._http is http  # a caller-owned client is shared, never copied


def test_caller_owned_clients_cannot_be_pickled() -> None:
    with httpx.Client() as http:
        session = _session(http_client=http)
        with pytest.raises(TypeError, match="http_client"):
            pickle.dumps(session)


def test_aclose_closes_the_async_client() -> None:
    session = _session()

    async def run() -> None:
        session.aclient  # noqa: B018
        await session.aclose()

    asyncio.run(run())
    assert session._aclient is None
