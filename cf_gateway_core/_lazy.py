"""Modules, and class members defined in other modules, imported on first use.

``httpx`` (~45 ms) and ``asyncio`` (~35 ms when nothing else loaded it) are needed only once a
client exists, so ``import cf_gateway_core`` and an adapter's import do not pay for them. The
clients' services beyond chat (``_beyond``, ``_rest``) are members of the client classes that a
chat call never uses, so they are loaded by their first use (:func:`lazy_members`).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyMember", "LazyModule", "lazy_members"]


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


class LazyMember:
    """A stand-in for a member of the class ``source`` (``"module.Class"``), on another class.

    The first access, on the class or an instance, imports the module and puts the real member
    (a function, a property) on the class that holds the stand-in, so later accesses, ``help()``
    and ``inspect.signature`` see the member itself. The member runs with the holder's instances
    as ``self``: it may use only what the holder has.
    """

    def __init__(self, source: str, name: str) -> None:
        """Stand in for ``source``'s member ``name``."""
        self._source = source
        self._name = name

    def __get__(self, obj: object, owner: type) -> Any:
        """Import the member, put it in place of the stand-in and return it, bound to ``obj``."""
        module, _, class_name = self._source.rpartition(".")
        source = getattr(importlib.import_module(module), class_name)
        member = next(k.__dict__[self._name] for k in source.__mro__ if self._name in k.__dict__)
        holder = next(k for k in owner.__mro__ if k.__dict__.get(self._name) is self)
        setattr(holder, self._name, member)
        return member.__get__(obj, owner) if hasattr(member, "__get__") else member


def lazy_members(holder: type, source: str, names: tuple[str, ...]) -> None:
    """Give ``holder`` a :class:`LazyMember` stand-in for each of ``source``'s ``names``."""
    for name in names:
        setattr(holder, name, LazyMember(source, name))
