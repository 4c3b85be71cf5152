"""The SIMULATED LLM (Responses API) driven by the official ``openai`` SDK: structured
outputs parse unchanged, its word-list rules in three languages, generic schema filling,
and the real API's auth and error shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import Enum
from typing import Any, Literal

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from pydantic import BaseModel
from ringbook_simulators.responses import LlmState, read
from ringbook_simulators.responses.testing import running_llm


class Analysis(BaseModel):
    summary: str
    sentiment: Literal["POSITIVE", "NEGATIVE", "NEUTRAL"]
    success: bool


class Stage(Enum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class Contact(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class Lead(BaseModel):
    contact: Contact
    stage: Stage
    interest_score: int
    follow_up_draft: str
    topics: list[str]


@pytest.fixture
async def llm() -> AsyncIterator[tuple[str, LlmState, AsyncOpenAI]]:
    state = LlmState()
    async with running_llm(state) as base_url:
        client = AsyncOpenAI(base_url=base_url, api_key="any-key", max_retries=0)
        yield base_url, state, client
        await client.close()


async def parse(client: AsyncOpenAI, text: str) -> Analysis:
    response = await client.responses.parse(model="gpt-4o-mini", instructions="Analyse.",
                                            input=[{"role": "user", "content": text}],
                                            text_format=Analysis)
    assert response.output_parsed is not None
    return response.output_parsed


async def test_parse_with_a_pydantic_model_works_unchanged(
    llm: tuple[str, LlmState, AsyncOpenAI],
) -> None:
    _, state, client = llm
    response = await client.responses.parse(
        model="gpt-4o-mini", instructions="Analyse the call.",
        input="Agent: Hello!\nCaller: Hi, I need a cleaning on Monday. Thanks, great!\n"
              "Agent: Booked for Monday 10:00.\nOutcome: booked",
        text_format=Analysis)
    assert response.status == "completed" and response.object == "response"
    assert response.model == "gpt-4o-mini"
    assert response.output_parsed == Analysis(
        summary="Hi, I need a cleaning on Monday. Thanks, great. Outcome: booked; the caller "
                "got what they called for.",
        sentiment="POSITIVE", success=True)
    assert response.usage is not None and response.usage.total_tokens > 0
    # What the SDK sent is the strict json_schema format the real API takes.
    sent = state.requests[0]["text"]["format"]
    assert (sent["type"], sent["name"], sent["strict"]) == ("json_schema", "Analysis", True)


@pytest.mark.parametrize(("text", "sentiment", "success"), [
    ("Caller: terrible, I am very disappointed\nOutcome: no_availability", "NEGATIVE", False),
    ("Caller: grazie, perfetto! La visita è prenotata", "POSITIVE", True),
    ("Caller: Danke, super. Der Termin ist gebucht.", "POSITIVE", True),
    ("Caller: Das ist schlecht, ich bin enttäuscht. Nicht gebucht.", "NEGATIVE", False),
    ("Caller: What are your opening hours?\nAgent: Nine to five.", "NEUTRAL", False),
])
async def test_sentiment_and_success_follow_the_word_lists(
    llm: tuple[str, LlmState, AsyncOpenAI], text: str, sentiment: str, success: bool,
) -> None:
    analysis = await parse(llm[2], text)
    assert (analysis.sentiment, analysis.success) == (sentiment, success)


def test_only_the_callers_lines_set_the_sentiment() -> None:
    reading = read("Agent: great, wonderful, perfect!\nCaller: this is bad.")
    assert reading.caller_lines == ("this is bad.",)
    assert reading.sentiment == "NEGATIVE"


async def test_any_schema_is_filled_with_names_enums_and_drafts(
    llm: tuple[str, LlmState, AsyncOpenAI],
) -> None:
    _, _, client = llm
    response = await client.responses.parse(
        model="gpt-4o-mini",
        input="Caller: Hello, my name is Anna Weber, anna@example.com, +49 170 1234567. "
              "Thanks, I am very interested, this sounds hot.\nAgent: Wonderful.",
        text_format=Lead)
    lead = response.output_parsed
    assert lead is not None
    assert lead.contact == Contact(name="Anna Weber", email="anna@example.com",
                                   phone="+49 170 1234567")
    assert lead.stage is Stage.HOT  # the enum value the text names
    assert lead.interest_score == 80  # a score from a POSITIVE caller
    assert lead.follow_up_draft.startswith("Hello Anna Weber, thank you for your call.")
    assert len(lead.topics) == 1


async def test_create_with_a_raw_json_schema_and_plain_text(
    llm: tuple[str, LlmState, AsyncOpenAI],
) -> None:
    _, _, client = llm
    schema = {"type": "object", "additionalProperties": False,
              "properties": {"sentiment": {"type": "string",
                                           "enum": ["POSITIVE", "NEGATIVE", "NEUTRAL"]},
                             "caller_name": {"type": ["string", "null"]}},
              "required": ["sentiment", "caller_name"]}
    response = await client.responses.create(
        model="gpt-4o-mini", input="Caller: Mi chiamo Giulia, il servizio è pessimo",
        text={"format": {"type": "json_schema", "name": "x", "strict": True,
                         "schema": schema}})
    assert response.output_text == '{"sentiment":"NEGATIVE","caller_name":"Giulia"}'
    plain = await client.responses.create(model="gpt-4o-mini", input="Caller: hello")
    assert plain.output_text.startswith("hello. Outcome: not booked")


async def test_auth_and_bad_bodies_answer_the_apis_errors(
    llm: tuple[str, LlmState, AsyncOpenAI],
) -> None:
    base_url, state, client = llm
    no_schema: Any = {"format": {"type": "json_schema", "name": "x"}}
    with pytest.raises(openai.BadRequestError) as bad:
        await client.responses.create(model="gpt-4o-mini", input="x", text=no_schema)
    assert bad.value.body == {"message": "Missing required parameter: 'text.format.schema'.",
                              "type": "invalid_request_error", "param": "text.format.schema",
                              "code": None}
    async with httpx.AsyncClient(base_url=base_url) as http:
        no_key = await http.post("/responses", json={"model": "m", "input": "x"})
        assert no_key.status_code == 401
        assert no_key.json()["error"]["type"] == "invalid_request_error"
        auth = {"Authorization": "Bearer k"}
        for body, param in (({"input": "x"}, "model"), ({"model": "m"}, "input"),
                            ({"model": "m", "input": 3}, "input"),
                            ({"model": "m", "input": [{"role": "user"}]}, "input[0].content")):
            answer = await http.post("/responses", json=body, headers=auth)
            assert answer.status_code == 400, body
            assert answer.json()["error"]["param"] == param
        not_json = await http.post("/responses", content=b"{", headers=auth)
        assert not_json.status_code == 400
        assert (await http.get(base_url.removesuffix("/v1") + "/health")).json()["status"] == "ok"
    assert state.requests == []  # nothing bad was answered as if it were good


@pytest.mark.parametrize(("status", "error"), [(500, openai.InternalServerError),
                                               (429, openai.RateLimitError)])
async def test_fail_first_answers_errors_then_recovers(
    llm: tuple[str, LlmState, AsyncOpenAI], status: int, error: type[Exception],
) -> None:
    _, state, client = llm
    state.fail_first, state.fail_status = 2, status
    for _ in range(2):
        with pytest.raises(error):
            await parse(client, "Caller: hello")
    assert (await parse(client, "Caller: thanks")).sentiment == "POSITIVE"
    assert state.failed == 2
