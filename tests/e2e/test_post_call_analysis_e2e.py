"""Post-call analysis with the whole system as processes (``LocalSystem``, as ``make
run`` starts it): somebody calls the business, the SIMULATED realtime model's
receptionist answers, and analytics-service's analysis of the call (by the SIMULATED
LLM, ``ringbook_simulators.responses``, reached through ``OPENAI_BASE_URL``) appears as
``call_analyzed`` on the ANALYTICS stream, keyed by the call's log id."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import nats
import pytest
from ringbook.bus.reading import subject_events
from ringbook.contracts.call_log import CALL_ANALYSIS, CallAnalyzed, call_analysis_id, call_log_id
from ringbook.contracts.streams import ANALYTICS
from ringbook.events import Envelope
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import running_system

pytestmark = pytest.mark.e2e
CALLER, OUR_NUMBER = "+49 170 1234567", "+49 30 5550000"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request)


@pytest.mark.timeout(300)  # the system's start, a whole call, then its analysis
async def test_an_inbound_call_is_analysed_by_the_simulated_llm(system: LocalSystem) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        health = await http.get(f"{system.url('llm')}/health")
        assert health.status_code == 200 and "SIMULATED" in health.json()["simulator"]
        response = await http.post(f"{system.url('carrier')}/simulate/incoming-call",
                                   json={"from": CALLER, "to": OUR_NUMBER})
        assert response.status_code == 201, response.text
        sid = response.json()["sid"]

    call_id = call_log_id(sid)
    nc = await nats.connect(system.nats_url)
    found: list[Envelope] = []

    async def analysed() -> bool:
        nonlocal found
        found = await subject_events(
            nc.jetstream(), ANALYTICS.subject_filter(aggregate=CALL_ANALYSIS),
            stream=ANALYTICS.name)
        return any(e.aggregate_id == call_analysis_id(call_id) for e in found)

    try:
        await eventually(analysed, 180, what=lambda: f"call_analyzed of {sid}: {found}",
                         poll=1.0)
    finally:
        await nc.close()
    (event,) = [e for e in found if e.aggregate_id == call_analysis_id(call_id)]
    assert isinstance(event.data, CallAnalyzed)
    # The receptionist script: the caller asks for the opening hours, thanks, hangs up.
    assert event.data.model == "gpt-4o-mini" and event.data.call_id == call_id
    assert event.data.sentiment == "POSITIVE"  # "Vielen Dank"
    assert "Outcome: ended" in event.data.summary
