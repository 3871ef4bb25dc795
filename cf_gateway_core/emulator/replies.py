"""Deterministic default replies for the emulator (interim: being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cf_gateway_core.testing import RecordedRequest, Reply


def default_reply(request: RecordedRequest, *, auto_reply: bool) -> Reply:
    """The reply when nothing is queued."""
    from cf_gateway_core.testing import Reply

    return Reply.error(500, message="FakeGateway: no reply queued for this request")
