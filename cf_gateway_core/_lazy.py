"""Modules imported on first use.

``httpx`` (~45 ms) and ``asyncio`` (~35 ms when nothing else loaded it) are needed only once a
client exists, so ``import cf_gateway_core`` and an adapter's import do not pay for them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyModule"]


class LazyModule(ModuleType):
    """A stand-in for a module, imported on the first attribute access.

    That access puts the real module into ``namespace`` (the importing module's globals) in
    place of the stand-in, so later accesses are plain lookups.
    """

    def __init__(self, name: str, namespace: dict[str, Any]) -> None:
        """Stand in for module ``name`` inside ``namespace``."""
        super().__init__(name)
        self._namespace = namespace

    def __getattr__(self, attribute: str) -> Any:
        """Import the module and forward the lookup."""
        module = importlib.import_module(self.__name__)
        self._namespace[self.__name__] = module
        return getattr(module, attribute)
