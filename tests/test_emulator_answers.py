"""The emulator answers as a model would (docs/gateway-2026.md, "The emulator"): forced tool
choice and JSON schemas also after a tool result, JSON mode with the keys the prompt asks for,
structured fields filled from the prompt — through LangChain and LlamaIndex."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from llama_index.core import PromptTemplate
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from cf_gateway_core import ResponseFormat
from cf_gateway_core.testing import FakeGateway
from langchain_cf_gateway import ChatCloudflareAIGateway
from llamaindex_cf_gateway import CloudflareAIGateway

JOKE_PROMPT = (
    "Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys. "
    "Return nothing other than JSON."
)
# (model, endpoint): every API the emulator answers chat on.
ROUTES = [
    ("openai/gpt-5.5", "auto"),
    ("anthropic/claude-sonnet-4.5", "auto"),
    ("openai/gpt-5.5", "responses"),
    ("@cf/meta/llama-3.1-8b-instruct", "run"),
]


class City(BaseModel):
    """A city and the country it is in."""

    name: str
    country: str


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


def langchain(model: str, endpoint: str) -> ChatCloudflareAIGateway:
    fake = FakeGateway()
    return ChatCloudflareAIGateway(
        model=model, endpoint=endpoint, account_id="a", api_token="t", http_client=fake.client()
    )


def llamaindex(model: str, endpoint: str) -> CloudflareAIGateway:
    fake = FakeGateway()
    return CloudflareAIGateway(
        model=model, endpoint=endpoint, account_id="a", api_token="t", http_client=fake.client()
    )


# ----------------------------------------------------------------- structured answers


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_langchain_structured_output_fills_fields_from_the_prompt(
    model: str, endpoint: str, method: Any
) -> None:
    llm = langchain(model, endpoint).with_structured_output(City, method=method)
    assert llm.invoke("Lisbon is the capital of Portugal") == City(
        name="Lisbon", country="Portugal"
    )


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_llamaindex_structured_predict_fills_fields_from_the_prompt(
    model: str, endpoint: str
) -> None:
    llm = llamaindex(model, endpoint)
    city = llm.structured_predict(
        City, PromptTemplate("{text}"), text="Lisbon is the capital of Portugal"
    )
    assert city == City(name="Lisbon", country="Portugal")


class Trip(BaseModel):
    """A trip: where from, where to, how long."""

    origin: str
    destination: str
    days: int


class Film(BaseModel):
    """A film and its year."""

    title: str
    year: int


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_place_and_title_fields_take_the_prompts_proper_nouns(model: str, endpoint: str) -> None:
    # origin/destination/title are name-like: a proper noun each, not the whole prompt.
    lc = langchain(model, endpoint)
    trip = lc.with_structured_output(Trip).invoke("Fly from Berlin to Tokyo for 12 days.")
    assert trip == Trip(origin="Berlin", destination="Tokyo", days=12)
    film = llamaindex(model, endpoint).structured_predict(
        Film, PromptTemplate("{text}"), text="Inception came out in 2010."
    )
    assert film == Film(title="Inception", year=2010)


class Person(BaseModel):
    """A person and where they live."""

    name: str
    city: str


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_a_name_field_takes_the_subject_of_the_sentence(model: str, endpoint: str) -> None:
    lc = langchain(model, endpoint).with_structured_output(Person)
    told = "Anna lives in Berlin with her friend Tom."
    assert lc.invoke(told) == Person(name="Anna", city="Berlin")
    # A request's opening verb is not a name; what follows the colon is the subject.
    asked = "Extract the person: Marie Curie moved to Paris."
    assert lc.invoke(asked) == Person(name="Marie Curie", city="Paris")


# ----------------------------------------------------------------- JSON mode without a schema


@pytest.mark.parametrize(("model", "endpoint"), [r for r in ROUTES if "anthropic" not in r[0]])
def test_langchain_json_mode_answers_with_the_keys_the_prompt_asks_for(
    model: str, endpoint: str
) -> None:
    schema = {"title": "Joke", "type": "object", "properties": {}}
    result = langchain(model, endpoint).with_structured_output(schema, method="json_mode")
    answer = result.invoke(JOKE_PROMPT)
    # Short values on the prompt's topic, not the prompt pasted into every key.
    assert answer == {"setup": "a setup about cats", "punchline": "a punchline about cats"}


@pytest.mark.parametrize(("model", "endpoint"), [r for r in ROUTES if "anthropic" not in r[0]])
def test_json_mode_finds_keys_named_without_quotes(model: str, endpoint: str) -> None:
    schema = {"title": "Book", "type": "object", "properties": {}}
    result = langchain(model, endpoint).with_structured_output(schema, method="json_mode")
    answer = result.invoke("Give me a JSON object with the title and author of a book about Paris.")
    assert answer == {"title": "Paris", "author": "an author about Paris"}


def test_llamaindex_json_mode_answers_with_the_keys_the_prompt_asks_for() -> None:
    llm = llamaindex("openai/gpt-5.5", "auto")
    reply = llm.chat(
        [
            ChatMessage(
                role="user",
                content="Give me a JSON object with keys name and age for Alice, who is 30.",
            )
        ],
        response_format=ResponseFormat(type="json_object"),
    )
    import json

    assert json.loads(str(reply.message.content)) == {"name": "Alice", "age": 30}


# ----------------------------------------------------------------- forced tools after a result


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_langchain_forced_tool_choice_holds_after_a_tool_result(model: str, endpoint: str) -> None:
    llm = langchain(model, endpoint)
    first = llm.bind_tools([get_weather]).invoke("Use get_weather for Paris")
    history = [
        HumanMessage("Use get_weather for Paris"),
        first,
        ToolMessage("Sunny in Paris", tool_call_id=first.tool_calls[0]["id"]),
    ]
    forced = llm.bind_tools([get_weather], tool_choice="any").invoke(history)
    assert forced.tool_calls and forced.tool_calls[0]["name"] == "get_weather"
    free = llm.bind_tools([get_weather]).invoke(history)
    assert not free.tool_calls and "Sunny in Paris" in free.content


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_langchain_json_schema_holds_after_a_tool_result(model: str, endpoint: str) -> None:
    llm = langchain(model, endpoint)
    first = llm.bind_tools([get_weather]).invoke("Use get_weather for Lisbon")
    history = [
        HumanMessage("Use get_weather for Lisbon"),
        first,
        ToolMessage("Lisbon is the capital of Portugal", tool_call_id=first.tool_calls[0]["id"]),
    ]
    structured = llm.with_structured_output(City, method="json_schema").invoke(history)
    assert structured == City(name="Lisbon", country="Portugal")


@pytest.mark.parametrize(("model", "endpoint"), ROUTES)
def test_llamaindex_tool_required_holds_after_a_tool_result(model: str, endpoint: str) -> None:
    llm = llamaindex(model, endpoint)
    tool = FunctionTool.from_defaults(fn=get_weather)
    user = ChatMessage(role="user", content="Use get_weather for Paris")
    first = llm.chat_with_tools([tool], chat_history=[user])
    call = llm.get_tool_calls_from_response(first)[0]
    result = ChatMessage(
        role="tool", content="Sunny in Paris", additional_kwargs={"tool_call_id": call.tool_id}
    )
    history = [user, first.message, result]
    forced = llm.chat_with_tools([tool], chat_history=history, tool_required=True)
    assert llm.get_tool_calls_from_response(forced)[0].tool_name == "get_weather"
    free = llm.chat_with_tools([tool], chat_history=history)
    assert "Sunny in Paris" in str(free.message.content)
