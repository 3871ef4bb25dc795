"""The Workers AI model catalogue.

Search models by task, author or text, read a model's input/output JSON schema, and (opt-in)
add catalogue models to the model table.

``GET /accounts/{id}/ai/models/search`` (``task``, ``author``, ``search``, ``source``,
``hide_experimental``, ``page``, ``per_page``) and ``GET /accounts/{id}/ai/models/schema?model=``
— https://developers.cloudflare.com/api/resources/ai/subresources/models/methods/list/ and
https://developers.cloudflare.com/api/resources/ai/subresources/models/subresources/schema/methods/get/
— need the token's Workers AI Read permission (the one chat already needs). ::

    client = GatewayClient()
    page = client.models.search(task="Text-to-Image")
    for model in page.models:
        print(model.name, model.task)
    schema = client.models.schema("@cf/black-forest-labs/flux-1-schnell")

Nothing here runs at import or at construction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cf_gateway_core._rest import (
    AsyncPart,
    Fetched,
    Plan,
    SyncPart,
    async_call,
    management_request,
    sync_call,
    v4_result,
)
from cf_gateway_core.errors import GatewayConfigError, GatewayError

__all__ = ["AsyncModelCatalog", "CatalogModel", "CatalogPage", "ModelCatalog"]

PERMISSION = "Account > Workers AI > Read"
_MAX_PER_PAGE = 100
_MAX_PAGES = 100  # iterate_all stops here: 10,000 models is far more than the catalogue holds


def _property_map(properties: Any) -> dict[str, Any]:
    if not isinstance(properties, Sequence) or isinstance(properties, str):
        return {}
    out: dict[str, Any] = {}
    for item in properties:
        if isinstance(item, Mapping) and isinstance(item.get("property_id"), str):
            out[item["property_id"]] = item.get("value")
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogModel:
    """One catalogue entry: ``name`` is the model id (``@cf/…``), ``task`` its task name."""

    name: str
    id: str | None = None
    description: str | None = None
    task: str | None = None
    author: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    """``property_id`` -> ``value`` (``context_window``, ``function_calling``, ``price``…)."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> CatalogModel:
        """Build from one ``result`` item of the search API."""
        task = body.get("task")
        name = str(body.get("name", ""))
        author = name.split("/")[1] if name.startswith("@") and name.count("/") >= 2 else None
        return cls(
            name=name,
            id=body.get("id") if isinstance(body.get("id"), str) else None,
            description=body.get("description")
            if isinstance(body.get("description"), str)
            else None,
            task=task.get("name") if isinstance(task, Mapping) else None,
            author=author,
            properties=_property_map(body.get("properties")),
            raw=dict(body),
        )

    @property
    def context_window(self) -> int | None:
        """The ``context_window`` property, when the catalogue gives one."""
        return _positive_int(self.properties.get("context_window"))

    @property
    def function_calling(self) -> bool:
        """Whether the catalogue marks the model as supporting function calling."""
        return str(self.properties.get("function_calling", "")).lower() == "true"


def _positive_int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number > 0 else None


@dataclass(frozen=True, slots=True)
class CatalogPage:
    """One page of search results."""

    models: tuple[CatalogModel, ...]
    page: int
    per_page: int
    total_count: int | None

    def __iter__(self) -> Iterator[CatalogModel]:
        """Iterate the models of the page."""
        return iter(self.models)


def _search_query(
    task: str | None,
    author: str | None,
    search: str | None,
    page: int,
    per_page: int,
    hide_experimental: bool | None,
) -> dict[str, Any]:
    for name, value in (("task", task), ("author", author), ("search", search)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise GatewayConfigError(f"{name} must be a non-empty string, got {value!r}.")
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise GatewayConfigError(f"page must be an integer >= 1, got {page!r}.")
    if isinstance(per_page, bool) or not isinstance(per_page, int):
        raise GatewayConfigError(f"per_page must be an integer, got {per_page!r}.")
    if not 1 <= per_page <= _MAX_PER_PAGE:
        raise GatewayConfigError(f"per_page must be from 1 to {_MAX_PER_PAGE}, got {per_page}.")
    return {
        "task": task,
        "author": author,
        "search": search,
        "hide_experimental": hide_experimental,
        "page": page,
        "per_page": per_page,
    }


def _parse_page(reply: Fetched, page: int, per_page: int) -> CatalogPage:
    body = reply.json()
    result = v4_result(body)
    if not isinstance(result, list):
        raise GatewayError(f"The model search answered without a list: {str(result)[:200]}")
    info = body.get("result_info") if isinstance(body, Mapping) else None
    info = info if isinstance(info, Mapping) else {}
    total, number, size = info.get("total_count"), info.get("page"), info.get("per_page")
    return CatalogPage(
        models=tuple(CatalogModel.from_api(item) for item in result if isinstance(item, Mapping)),
        page=number if isinstance(number, int) else page,
        per_page=size if isinstance(size, int) else per_page,
        total_count=total if isinstance(total, int) else None,
    )


def _parse_schema(reply: Fetched) -> dict[str, Any]:
    result = v4_result(reply.json())
    if not isinstance(result, Mapping):
        raise GatewayError(f"The model schema answer is not an object: {str(result)[:200]}")
    return dict(result)


def profile_fields(model: CatalogModel) -> dict[str, Any]:
    """The model-table fields a catalogue entry states.

    Its task, and for text models the context window and function calling when the catalogue
    gives them.
    """
    fields: dict[str, Any] = {}
    if model.task:
        fields["task"] = model.task.lower().replace(" ", "-")
    window = model.context_window
    if window is not None:
        fields["context_window"] = window
    if model.function_calling:
        fields["tool_calling"] = True
        fields["structured_output"] = frozenset({"function_calling"})
    return fields


def _register(models: Sequence[CatalogModel], overwrite: bool) -> tuple[str, ...]:
    """Add catalogue models to the model table (only unknown ids unless ``overwrite``)."""
    from cf_gateway_core.profiles import get_profile, register_profile

    added = []
    for model in models:
        if not model.name or (get_profile(model.name).known and not overwrite):
            continue
        fields = profile_fields(model)
        base = get_profile(model.name)
        window = fields.get("context_window", base.context_window)
        fields["max_output_tokens"] = min(base.max_output_tokens, window)
        fields["default_max_tokens"] = min(base.default_max_tokens, window)
        register_profile(model.name, **fields)
        added.append(model.name)
    return tuple(added)


def _is_last(page: CatalogPage) -> bool:
    if page.total_count is not None:
        return page.page * page.per_page >= page.total_count
    return len(page.models) < page.per_page


class _CatalogBase:
    """The catalogue calls, written once.

    Each builder returns the plan the sync or async client runs (``ModelCatalog`` /
    ``AsyncModelCatalog`` only hand it over).
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _plan_search(
        self,
        *,
        task: str | None = None,
        author: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: int = 50,
        hide_experimental: bool | None = None,
    ) -> Plan[CatalogPage]:
        """One page of models matching ``task``, ``author`` and free-text ``search``.

        For example ``task="Text Generation"`` or ``author="meta"``.
        """
        query = _search_query(task, author, search, page, per_page, hide_experimental)
        prepared = management_request(self._client, "GET", "ai/models/search", query=query)
        return Plan.single(prepared, lambda reply: _parse_page(reply, page, per_page), PERMISSION)

    def _plan_schema(self, model: str) -> Plan[dict[str, Any]]:
        """The model's ``{"input": <JSON schema>, "output": <JSON schema>}``."""
        if not isinstance(model, str) or not model.strip():
            raise GatewayConfigError("model must be a model id such as '@cf/baai/bge-m3'.")
        query = {"model": model.strip()}
        prepared = management_request(self._client, "GET", "ai/models/schema", query=query)
        return Plan.single(prepared, _parse_schema, PERMISSION)


class ModelCatalog(_CatalogBase, SyncPart):
    """The catalogue through a :class:`~cf_gateway_core.GatewayClient` (``client.models``)."""

    search = sync_call(_CatalogBase._plan_search)
    schema = sync_call(_CatalogBase._plan_schema)

    def iterate(self, **filters: Any) -> Iterator[CatalogModel]:
        """Every matching model, page after page (``search``'s keywords except ``page``)."""
        for number in range(1, _MAX_PAGES + 1):
            page = self.search(page=number, **filters)
            yield from page.models
            if _is_last(page) or not page.models:
                return

    def extend_model_table(self, *, overwrite: bool = False, **filters: Any) -> tuple[str, ...]:
        """Add the catalogue's models to the model table (``cf_gateway_core.profiles``).

        The filters are ``search``'s (e.g. ``task="Text Generation"``); each model gets the task,
        context window and function calling the catalogue states. Models the table already knows
        are left alone unless ``overwrite``. Opt-in: nothing calls it for you.

        Returns:
            The ids added.
        """
        return _register(list(self.iterate(**filters)), overwrite)


class AsyncModelCatalog(_CatalogBase, AsyncPart):
    """Async twin of :class:`ModelCatalog` (``async_client.models``)."""

    search = async_call(_CatalogBase._plan_search)
    schema = async_call(_CatalogBase._plan_schema)

    async def collect(self, **filters: Any) -> tuple[CatalogModel, ...]:
        """Every matching model (all pages); async counterpart of :meth:`ModelCatalog.iterate`."""
        found: tuple[CatalogModel, ...] = ()
        for number in range(1, _MAX_PAGES + 1):
            page = await self.search(page=number, **filters)
            found += page.models
            if _is_last(page) or not page.models:
                break
        return found

    async def extend_model_table(
        self, *, overwrite: bool = False, **filters: Any
    ) -> tuple[str, ...]:
        """Async twin of :meth:`ModelCatalog.extend_model_table`."""
        return _register(await self.collect(**filters), overwrite)
