"""The ``openai`` SDK adapter of the CallAnalyzer port against the SIMULATED LLM on a
real socket: the Responses API with a strict json_schema, the answer checked, and every
failure of the model turned into AnalyzerFailed (the job's retry, not the SDK's)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from analytics_service.adapters.openai_call_analyzer import OpenAICallAnalyzer
from analytics_service.application.analysis_ports import AnalyzerFailed
from analytics_service.domain.call_analysis import SCHEMA_NAME, ExtractionField, render_transcript
from ringbook_devtools.processes import free_port
from ringbook_simulators.responses import LlmState
from ringbook_simulators.responses.testing import running_llm

TRANSCRIPT = render_transcript([
    ("agent", "Good morning, Studio Bella, how can I help?"),
    ("callee", "Hi, my name is Giulia Rossi. I'd like a massage for 2 people, thanks!"),
    ("agent", "Booked for tomorrow at ten."),
    ("callee", "Perfect, grazie!"),
])


@pytest.fixture
async def simulated() -> AsyncIterator[tuple[LlmState, OpenAICallAnalyzer]]:
    state = LlmState()
    async with running_llm(state) as base_url:
        analyzer = OpenAICallAnalyzer(api_key="simulated", model="gpt-4o-mini",
                                      base_url=base_url, timeout_seconds=5)
        yield state, analyzer
        await analyzer.close()


async def test_analyses_a_call_with_structured_outputs(
    simulated: tuple[LlmState, OpenAICallAnalyzer],
) -> None:
    state, analyzer = simulated
    fields = (ExtractionField("caller_name"), ExtractionField("party_size", "integer"),
              ExtractionField("wants_newsletter", "boolean"))
    analysis = await analyzer.analyse(TRANSCRIPT, ["Outcome: booked"], fields)
    assert analysis.sentiment == "POSITIVE" and analysis.success is True
    assert analysis.summary == ("Hi, my name is Giulia Rossi. I'd like a massage for 2 "
                                "people, thanks. Outcome: booked; the caller got what they "
                                "called for.")
    assert analysis.extraction == {"caller_name": "Giulia Rossi", "party_size": 2,
                                   "wants_newsletter": True}
    sent = state.requests[0]
    assert sent["model"] == "gpt-4o-mini" and sent["store"] is False
    assert sent["text"]["format"]["name"] == SCHEMA_NAME
    assert sent["text"]["format"]["strict"] is True
    assert "Caller: Perfect, grazie!" in sent["input"]
    assert analyzer.model == "gpt-4o-mini"


@pytest.mark.parametrize("status", [500, 429])
async def test_an_error_status_is_one_failed_attempt(
    simulated: tuple[LlmState, OpenAICallAnalyzer], status: int,
) -> None:
    state, analyzer = simulated
    state.fail_first, state.fail_status = 1, status
    with pytest.raises(AnalyzerFailed, match=f"answered {status}"):
        await analyzer.analyse(TRANSCRIPT, [], ())
    assert state.failed == 1  # the SDK did not retry by itself
    assert (await analyzer.analyse(TRANSCRIPT, [], ())).sentiment == "POSITIVE"


async def test_an_unreachable_model_is_a_failed_attempt() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"  # a free port: nothing listens there
    analyzer = OpenAICallAnalyzer(api_key="k", model="m", base_url=base_url,
                                  timeout_seconds=2)
    with pytest.raises(AnalyzerFailed, match="unreachable"):
        await analyzer.analyse(TRANSCRIPT, [], ())
    await analyzer.close()
