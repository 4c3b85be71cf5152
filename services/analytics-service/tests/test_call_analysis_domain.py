"""Post-call analysis, the pure part: the transcript the LLM reads, the strict schema it
answers in, the check of its answer, the retry policy and which events ask for a job."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from analytics_service.application.post_call_analysis import job_for
from analytics_service.domain.call_analysis import (
    MAX_TRANSCRIPT_CHARS,
    ExtractionField,
    InvalidAnalysis,
    output_schema,
    parse_analysis,
    render_input,
    render_transcript,
)
from ringbook.backoff import BackoffPolicy
from ringbook.bus.worker import PoisonEvent
from ringbook.clock import FakeClock
from ringbook.contracts.call_log import CallLogged, call_log_id
from ringbook.contracts.calls import (
    CONVERSATION,
    INBOUND_CALL,
    CallCompleted,
    TranscriptLine,
)
from ringbook.events import Envelope, EventData, new_event

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TENANT = uuid.uuid4()
FIELDS = (ExtractionField("caller_name", "string", "who called"),
          ExtractionField("party_size", "integer"))


def test_transcript_reads_as_labelled_lines() -> None:
    text = render_transcript([("agent", "Hello,  Praxis   Müller"), ("callee", "Hi!\nI need"),
                              ("agent", "   ")])
    assert text == "Agent: Hello, Praxis Müller\nCaller: Hi! I need"
    assert render_input(text, ["Outcome: booked"]).endswith("Outcome facts:\nOutcome: booked")
    huge = render_input("Caller: " + "blah " * 50_000 + "the end", [])
    assert len(huge) < MAX_TRANSCRIPT_CHARS + 200
    assert "[… transcript cut …]" in huge and "the end\n" in huge


def test_schema_is_strict_with_nullable_extraction_fields() -> None:
    schema = output_schema(FIELDS)
    assert schema["required"] == ["summary", "sentiment", "success", "extraction"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["sentiment"]["enum"] == ["POSITIVE", "NEGATIVE", "NEUTRAL"]
    extraction = schema["properties"]["extraction"]
    assert extraction["required"] == ["caller_name", "party_size"]
    assert extraction["properties"]["party_size"]["type"] == ["integer", "null"]
    assert output_schema(())["required"] == ["summary", "sentiment", "success"]


def test_a_good_answer_is_kept() -> None:
    analysis = parse_analysis({"summary": " Booked Monday. ", "sentiment": "POSITIVE",
                               "success": True,
                               "extraction": {"caller_name": "Anna", "party_size": None}},
                              FIELDS)
    assert (analysis.summary, analysis.sentiment, analysis.success) == (
        "Booked Monday.", "POSITIVE", True)
    assert analysis.extraction == {"caller_name": "Anna", "party_size": None}


@pytest.mark.parametrize("answer", [
    [],
    {"summary": "", "sentiment": "POSITIVE", "success": True},
    {"summary": "x", "sentiment": "HAPPY", "success": True},
    {"summary": "x", "sentiment": "NEUTRAL", "success": "yes"},
    {"summary": "x", "sentiment": "NEUTRAL", "success": True, "extraction": []},
    {"summary": "x", "sentiment": "NEUTRAL", "success": True,
     "extraction": {"caller_name": 3, "party_size": 2}},
    {"summary": "x", "sentiment": "NEUTRAL", "success": True,
     "extraction": {"caller_name": "A", "party_size": True}},
])
def test_a_bad_answer_is_refused(answer: object) -> None:
    with pytest.raises(InvalidAnalysis):
        parse_analysis(answer, FIELDS)


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    policy = BackoffPolicy(base_seconds=10, max_delay_seconds=60, max_attempts=5)
    delays = [policy.after_failure(n, NOW) for n in range(1, 6)]
    assert delays[:4] == [NOW + timedelta(seconds=s) for s in (10, 20, 40, 60)]
    assert delays[4] is None  # the fifth failure was the last attempt


def event(data: EventData, aggregate: str, tenant: uuid.UUID = TENANT) -> Envelope:
    return new_event(data, aggregate_id=uuid.uuid4(), version=3, tenant_id=tenant,
                     correlation_id=uuid.uuid4(), clock=FakeClock(NOW), aggregate=aggregate)


def completed(*lines: TranscriptLine) -> CallCompleted:
    return CallCompleted(attempt=1, call_sid="CA42", duration_seconds=61.4, outcome="booked",
                         transcript=lines)


LINE = TranscriptLine(speaker="callee", text="Hi, I need a cleaning", at_ms=900)


def test_a_conversation_with_a_transcript_asks_for_one_job_keyed_by_its_call() -> None:
    for aggregate in (CONVERSATION, INBOUND_CALL):
        envelope = event(completed(LINE), aggregate)
        job = job_for(envelope)
        assert job is not None
        assert job.call_id == call_log_id("CA42") and job.tenant_id == TENANT
        assert job.transcript == "Caller: Hi, I need a cleaning"
        assert job.hints[0] == "Outcome: booked"
        assert job.source_event_id == envelope.id
    assert job_for(event(completed(), CONVERSATION)) is None


def logged(tenant: uuid.UUID, transcript: str | None) -> CallLogged:
    return CallLogged(tenant_id=tenant, client_id=uuid.uuid4(), api_key_id=uuid.uuid4(),
                      duration_seconds=30, transcript=transcript, notes="VIP")


def test_a_logged_call_is_keyed_by_its_aggregate_and_stays_in_its_tenant() -> None:
    envelope = event(logged(TENANT, "Caller: thanks"), "logged_call")
    job = job_for(envelope)
    assert job is not None and job.call_id == envelope.aggregate_id
    assert "Agent's notes: VIP" in job.hints
    assert job_for(event(logged(TENANT, "  "), "logged_call")) is None
    with pytest.raises(PoisonEvent):
        job_for(event(logged(uuid.uuid4(), "Caller: hi"), "logged_call"))
