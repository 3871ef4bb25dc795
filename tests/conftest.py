"""Shared test setup: a clean environment for every test (httpx's ``clean_environ`` idea)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (no random seed, no example database), so
# a run of the suite is deterministic: https://hypothesis.readthedocs.io/en/latest/settings.html
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile("deterministic")

_SCRUBBED = (
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_GATEWAY_ID",
    "CLOUDFLARE_API_BASE_URL",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def clean_environ(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No offline test sees the developer's real credentials or proxies (live tests do)."""
    if request.node.get_closest_marker("live") is not None:
        yield
        return
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    yield
