"""The call log's events: on the ANALYTICS stream, round-tripping through the catalogue,
and one stable log id per carrier call sid."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from ringbook.clock import FakeClock
from ringbook.contracts.call_log import (
    CALL_ANALYSIS,
    LOGGED_CALL,
    CallAnalyzed,
    CallLogged,
    call_analysis_id,
    call_log_id,
)
from ringbook.contracts.catalogue import parse_envelope
from ringbook.contracts.streams import ALL_STREAMS, ANALYTICS
from ringbook.events import new_event

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
CLOCK = FakeClock(datetime(2026, 12, 4, 10, 0, tzinfo=UTC))


def test_a_call_sid_always_names_the_same_row_and_two_sids_never_one() -> None:
    assert call_log_id("CA0001") == call_log_id("CA0001")
    assert call_log_id("CA0001") != call_log_id("CA0002")


def test_a_logged_call_round_trips_on_the_analytics_stream() -> None:
    logged = CallLogged(tenant_id=TENANT, client_id=uuid.uuid4(), api_key_id=uuid.uuid4(),
                        caller_phone="+15550200", duration_seconds=45.5, stt_latency_ms=150,
                        sentiment="POSITIVE", transcript="Customer: Hello")
    event = new_event(logged, aggregate_id=uuid.uuid4(), version=1, tenant_id=TENANT,
                      correlation_id=uuid.uuid4(), clock=CLOCK)
    assert event.aggregate == LOGGED_CALL
    assert event.subject.startswith(f"ringbook.{ANALYTICS.context}.{LOGGED_CALL}.")
    assert ANALYTICS in ALL_STREAMS
    assert parse_envelope(event.to_json()) == event


def test_an_analysis_round_trips_with_its_extraction() -> None:
    call_id = call_log_id("CA0001")
    analyzed = CallAnalyzed(tenant_id=TENANT, call_id=call_id, summary="Booked at ten.",
                            sentiment="NEUTRAL", success=True,
                            extraction={"party_size": 2, "name": "Giulia"}, model="gpt-4o-mini")
    event = new_event(analyzed, aggregate_id=call_analysis_id(call_id), version=1, tenant_id=TENANT,
                      correlation_id=call_id, clock=CLOCK)
    assert event.aggregate == CALL_ANALYSIS
    assert parse_envelope(event.to_json()).data == analyzed


@pytest.mark.parametrize("bad", [{"sentiment": "HAPPY"}, {"duration_seconds": -1},
                                 {"stt_latency_ms": -5}])
def test_a_logged_call_refuses_what_seed_002_does_not_allow(bad: dict[str, object]) -> None:
    body = {"tenant_id": TENANT, "client_id": uuid.uuid4(), "api_key_id": uuid.uuid4(),
            "duration_seconds": 1.0, **bad}
    with pytest.raises(ValidationError):
        CallLogged.model_validate(body)
