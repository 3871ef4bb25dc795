"""What an import loads: a chat-only program does not pay for the services beyond chat.

Each check runs in a fresh interpreter (a subprocess), since the test session itself has loaded
everything. Public names stay where the README and the API contract put them: every name in a
package's ``__all__`` resolves as ``from package import Name`` and as ``package.Name``, ``dir()``
lists it, and values made before a lazily loaded module exists still pickle and copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Modules a chat program never needs: the services beyond chat, the batch queue, the test double,
# the emulator and the command line, and the adapters' embeddings, rerank, tools and feedback.
BEYOND_CHAT = (
    "cf_gateway_core._batch_io",
    "cf_gateway_core.batch",
    "cf_gateway_core.catalog",
    "cf_gateway_core.logs",
    "cf_gateway_core.media",
    "cf_gateway_core.transcription",
    "cf_gateway_core.testing",
    "cf_gateway_core.emulator",
    "cf_gateway_core.cli",
)
ADAPTER_EXTRAS = ("embeddings", "rerank", "tools", "feedback")
# Loaded by the first request, not by an import: the HTTP libraries.
IO_LIBRARIES = ("httpx", "aiohttp", "httpx_aiohttp")

CHAT_IMPORTS = {
    "langchain_cf_gateway": (
        "from langchain_core.language_models.chat_models import BaseChatModel",
        "from langchain_cf_gateway import ChatCloudflareAIGateway",
    ),
    "llamaindex_cf_gateway": (
        "from llama_index.core.llms.function_calling import FunctionCallingLLM",
        "from llamaindex_cf_gateway import CloudflareAIGateway",
    ),
}


def _run(code: str) -> str:
    """What ``code`` prints in a new Python process (its last line)."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def _newly_loaded(framework: str, statement: str) -> list[str]:
    """The modules ``statement`` loads in a fresh interpreter that has imported ``framework``."""
    code = (
        f"import sys, json\n{framework}\nbefore = set(sys.modules)\n{statement}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    return list(json.loads(_run(code)))


def _matches(loaded: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in loaded if any(m == n or m.startswith(n + ".") for n in names)]


@pytest.mark.parametrize("package", sorted(CHAT_IMPORTS))
def test_chat_class_import_leaves_the_services_beyond_chat_unloaded(package: str) -> None:
    framework, statement = CHAT_IMPORTS[package]
    loaded = _newly_loaded(framework, statement)
    assert "cf_gateway_core.client" in loaded  # the chat path itself is there
    extras = tuple(f"{package}.{name}" for name in ADAPTER_EXTRAS)
    assert _matches(loaded, BEYOND_CHAT + extras + IO_LIBRARIES) == []


def test_core_import_loads_no_implementation_module() -> None:
    loaded = _newly_loaded("", "import cf_gateway_core")
    ours = [m for m in loaded if m.split(".")[0] == "cf_gateway_core"]
    assert ours == ["cf_gateway_core", "cf_gateway_core._version"]


def test_a_client_loads_the_services_beyond_chat_on_first_use() -> None:
    code = (
        "import sys\n"
        "from cf_gateway_core import GatewayClient\n"
        "from cf_gateway_core.testing import FakeGateway\n"
        "client = GatewayClient(account_id='acct', api_token='tok', "
        "http_client=FakeGateway().client(), max_retries=0)\n"
        "before = 'cf_gateway_core.media' in sys.modules\n"
        "image = client.generate_image('a lighthouse')\n"
        "print(before, 'cf_gateway_core.media' in sys.modules, type(image).__name__, "
        "len(image.data) > 0)\n"
    )
    assert _run(code).split() == ["False", "True", "GeneratedImage", "True"]


def test_default_models_in_the_signatures_are_the_documented_ones() -> None:
    import inspect

    from cf_gateway_core import AsyncGatewayClient, GatewayClient, media, transcription

    expected = {
        "generate_image": media.DEFAULT_IMAGE_MODEL,
        "speak": media.DEFAULT_TTS_MODEL,
        "rerank": media.DEFAULT_RERANK_MODEL,
        "transcribe": transcription.DEFAULT_ASR_MODEL,
    }
    assert media.DEFAULT_IMAGE_MODEL == "@cf/black-forest-labs/flux-1-schnell"
    assert transcription.DEFAULT_ASR_MODEL == "@cf/openai/whisper-large-v3-turbo"
    for cls in (GatewayClient, AsyncGatewayClient):
        for method, model in expected.items():
            default = inspect.signature(getattr(cls, method)).parameters["model"].default
            assert default == model, (cls, method)


@pytest.mark.parametrize("package", ["cf_gateway_core", *sorted(CHAT_IMPORTS)])
def test_every_exported_name_resolves_both_ways_in_a_fresh_interpreter(package: str) -> None:
    code = (
        "import importlib, json\n"
        f"import {package} as p\n"
        "listed = set(dir(p))\n"
        "problems = []\n"
        "for name in p.__all__:\n"
        "    if name not in listed:\n"
        "        problems.append(('not in dir()', name))\n"
        "    scope = {}\n"
        f"    exec(f'from {package} import {{name}} as value', scope)\n"
        "    value = getattr(p, name)\n"
        "    if scope['value'] is not value:\n"
        "        problems.append(('two objects', name))\n"
        "    home = getattr(value, '__module__', None)\n"
        "    if isinstance(value, type) and getattr(importlib.import_module(home), name) "
        "is not value:\n"
        "        problems.append(('not its module attribute', name))\n"
        "star = {}\n"
        f"exec('from {package} import *', star)\n"
        "missing = sorted(set(p.__all__) - set(star))\n"
        "print(json.dumps([problems, missing, len(p.__all__)]))\n"
    )
    problems, missing, count = json.loads(_run(code))
    assert problems == []
    assert missing == []
    assert count > 3


def test_submodules_stay_reachable_as_attributes_of_the_package() -> None:
    # The README names cf_gateway_core.profiles.known_models(); the package used to import every
    # module, so cf_gateway_core.<module>.<name> worked after a bare import and still does.
    code = (
        "import cf_gateway_core as c\n"
        "print(c.profiles.known_models('text-to-image')[0].startswith('@cf/'), "
        "c.errors.GatewayError is c.GatewayError, c.media.DEFAULT_TTS_MODEL, "
        "c.testing.FakeGateway.__name__)\n"
    )
    assert _run(code).split() == ["True", "True", "@cf/myshell-ai/melotts", "FakeGateway"]


@pytest.mark.parametrize("package", ["cf_gateway_core", *sorted(CHAT_IMPORTS)])
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    code = (
        f"import {package} as p\n"
        "try:\n    p.NoSuchName\nexcept AttributeError as exc:\n    print(exc)\n"
        "try:\n"
        f"    from {package} import NoSuchName\n"
        "except ImportError as exc:\n    print('import error')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.splitlines() == [
        f"module '{package}' has no attribute 'NoSuchName'",
        "import error",
    ]


def test_values_pickle_and_copy_when_only_the_package_was_imported() -> None:
    # The value is pickled in one fresh interpreter and loaded in another that imported nothing
    # but the package: unpickling finds each class in its own module.
    code = (
        "import copy, pickle, sys\n"
        "import cf_gateway_core as c\n"
        "request = c.ChatRequest(model='openai/gpt-5.5', messages=(c.Message.user('hi'),))\n"
        "score = c.RerankScore(index=0, score=0.5)\n"
        "assert copy.deepcopy(request) == request and copy.copy(score) == score\n"
        "sys.stdout.write(pickle.dumps((request, score, c.GatewayOptions(cache_ttl=60))).hex())\n"
    )
    blob = _run(code)
    load = (
        "import pickle, sys\n"
        "import cf_gateway_core\n"
        f"request, score, options = pickle.loads(bytes.fromhex('{blob}'))\n"
        "print(type(request).__module__, request.messages[0].parts[0].text, "
        "type(score).__module__, options.cache_ttl)\n"
    )
    assert _run(load).split() == [
        "cf_gateway_core.messages",
        "hi",
        "cf_gateway_core.media",
        "60",
    ]


@pytest.mark.parametrize("package", sorted(CHAT_IMPORTS))
def test_gateway_options_field_takes_options_or_a_mapping_and_refuses_other_types(
    package: str,
) -> None:
    # The field is declared without a pydantic schema of GatewayOptions (import cost); what it
    # accepts and refuses is the README's promise, the same in both adapters.
    from collections import OrderedDict

    from cf_gateway_core import GatewayConfigError, GatewayOptions

    if package == "langchain_cf_gateway":
        from langchain_cf_gateway import ChatCloudflareAIGateway as Chat
    else:
        from llamaindex_cf_gateway import CloudflareAIGateway as Chat  # type: ignore[assignment]
    settings = {"model": "openai/gpt-5.5", "account_id": "acct", "api_token": "tok"}
    for given in (GatewayOptions(cache_ttl=60), {"cache_ttl": 60}, OrderedDict(cache_ttl=60)):
        chat = Chat(**settings, gateway_options=given)
        assert GatewayOptions.coerce(chat.gateway_options) == GatewayOptions(cache_ttl=60)
    for wrong in ("cache_ttl=60", 60, [("cache_ttl", 60)]):
        with pytest.raises(GatewayConfigError, match="gateway_options must be a GatewayOptions"):
            Chat(**settings, gateway_options=wrong)
    with pytest.raises(GatewayConfigError, match="unknown gateway_options key"):
        Chat(**settings, gateway_options={"cache_tll": 60})
