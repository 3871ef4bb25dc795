"""Per-call ``extra_headers`` sealed before LlamaIndex's callbacks and instrumentation see them.

LlamaIndex hands a call's keyword arguments to callback handlers (``llm_chat_callback``) and to
instrumentation span handlers. A per-call ``extra_headers`` may hold credentials of a downstream
service, so :func:`sealed` replaces it with a
:class:`~cf_gateway_core.pydantic_fields.SealedHeaders` (values masked in ``repr``/``str``, real
values still sent) before either sees the call.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from cf_gateway_core.pydantic_fields import SealedHeaders

__all__ = ["sealed"]

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _seal(kwargs: dict[str, Any]) -> dict[str, Any]:
    headers = kwargs.get("extra_headers")
    if isinstance(headers, Mapping) and not isinstance(headers, SealedHeaders):
        return {**kwargs, "extra_headers": SealedHeaders(headers)}
    return kwargs


def _dispatcher() -> Any:
    from llama_index_instrumentation import get_dispatcher

    return get_dispatcher("llamaindex_cf_gateway.llms")


def sealed(method: _Method) -> _Method:
    """``method`` with per-call ``extra_headers`` sealed, inside its instrumentation span.

    Apply it outside LlamaIndex's callback decorator (``@sealed`` above ``@llm_chat_callback()``)
    so callback handlers see sealed values too.
    """
    # The span is opened inside the seal, so span handlers see sealed values: LlamaIndex's
    # DispatcherSpanMixin wraps overridden methods in dispatcher.span at class creation, and
    # skips a method already marked as span-decorated (functools.wraps copies the mark from the
    # spanned inner method to the sealing wrapper).
    # The span binds every call's arguments with inspect.signature(method), which rebuilds the
    # signature from the code object each time unless the function carries __signature__ (PEP
    # 362, https://peps.python.org/pep-0362/): it is computed once here, the same value.
    method.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
    spanned = _dispatcher().span(method)
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def sealed_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            if "extra_headers" in kwargs:
                kwargs = _seal(kwargs)
            return await spanned(self, *args, **kwargs)

        return cast(_Method, sealed_async)

    @functools.wraps(method)
    def sealed_sync(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "extra_headers" in kwargs:
            kwargs = _seal(kwargs)
        return spanned(self, *args, **kwargs)

    return cast(_Method, sealed_sync)
