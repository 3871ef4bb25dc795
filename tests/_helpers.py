"""What the adapter tests share: an adapter's stream converter driven as the adapter drives it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from cf_gateway_core import ChatResponse, GatewayMetadata, StreamAccumulator, StreamEvent

T = TypeVar("T")


def run_stream(
    events: Iterable[StreamEvent],
    on_event: Callable[[StreamEvent], T | None],
    final: Callable[[ChatResponse], T],
    *,
    gateway: GatewayMetadata | None = None,
) -> tuple[list[T], ChatResponse]:
    """Feed ``events`` to a converter and a :class:`StreamAccumulator` side by side.

    Returns what ``on_event`` yielded (``None`` skipped) followed by ``final`` of the folded reply,
    and the folded reply itself.
    """
    accumulator = StreamAccumulator(gateway=gateway)
    out: list[T] = []
    for event in events:
        accumulator.add(event)
        item = on_event(event)
        if item is not None:
            out.append(item)
    response = accumulator.result()
    out.append(final(response))
    return out, response
