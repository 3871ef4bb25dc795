"""Each package's ``__all__`` is sorted, complete and importable (httpx's exported-members test)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ("cf_gateway_core", "langchain_cf_gateway", "llamaindex_cf_gateway")

CONTRACT = {
    "cf_gateway_core": {
        "GatewayError",
        "GatewayConfigError",
        "APIConnectionError",
        "APITimeoutError",
        "APIStatusError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "RateLimitError",
        "SpendLimitError",
        "InsufficientCreditsError",
        "GuardrailsBlockedError",
        "InternalServerError",
        "GatewayOptions",
        "GatewayClient",
        "AsyncGatewayClient",
    },
    "langchain_cf_gateway": {
        "ChatCloudflareAIGateway",
        "CloudflareAIGatewayEmbeddings",
        "CloudflareAIGatewayRerank",
    },
    "llamaindex_cf_gateway": {
        "CloudflareAIGateway",
        "CloudflareAIGatewayEmbedding",
        "CloudflareAIGatewayRerank",
    },
}


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=str.casefold) or exported == sorted(exported)
    # dir(): the adapters load their embeddings classes lazily (PEP 562 __getattr__/__dir__).
    public = {n for n in dir(module) if not n.startswith("_")}
    public -= {"annotations"}
    public = {n for n in public if not isinstance(getattr(module, n), type(importlib))}
    assert set(exported) - {"__version__"} == public
    for item in exported:
        assert hasattr(module, item), item


@pytest.mark.parametrize(
    ("package", "lazy"),
    [
        ("langchain_cf_gateway", "CloudflareAIGatewayEmbeddings"),
        ("llamaindex_cf_gateway", "CloudflareAIGatewayEmbedding"),
        ("langchain_cf_gateway", "CloudflareAIGatewayRerank"),
        ("llamaindex_cf_gateway", "CloudflareAIGatewayRerank"),
    ],
)
def test_embeddings_classes_load_on_first_use(package: str, lazy: str) -> None:
    module = "embeddings" if "Embedding" in lazy else "rerank"
    code = (
        f"import sys, {package} as p; "
        f"print('{package}.{module}' in sys.modules, p.{lazy}.__module__, "
        f"'{lazy}' in dir(p)); "
        f"from {package} import {lazy}; "
        "p.no_such_name"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", f"{package}.{module}", "True"]
    assert "AttributeError: module" in out.stderr
    assert "has no attribute 'no_such_name'" in out.stderr


@pytest.mark.parametrize("name", PACKAGES)
def test_contract_names_are_exported(name: str) -> None:
    module = importlib.import_module(name)
    assert CONTRACT[name] <= set(module.__all__)


def test_errors_module_has_the_contract_tree() -> None:
    from cf_gateway_core import errors

    assert issubclass(errors.SpendLimitError, errors.RateLimitError)
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    for name in CONTRACT["cf_gateway_core"]:
        if name.endswith("Error") and name not in ("GatewayError",):
            assert issubclass(getattr(errors, name), errors.GatewayError)
