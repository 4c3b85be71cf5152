"""The call log's pure rules: figures, transcripts, keys, and what each event patches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from analytics_service.domain.api_keys import is_well_formed, key_hash, new_key, shown_prefix
from analytics_service.domain.call_record import patch_from_call_event, transcript_text
from analytics_service.domain.figures import avg_sentiment, sentiment_counts, success_rate
from analytics_service.testing import CallFlow
from ringbook.clock import FakeClock
from ringbook.contracts.call_log import call_log_id
from ringbook.contracts.calls import CallFailed, TranscriptLine
from ringbook.events import new_event

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("successes", "known", "rate"), [
    (0, 0, 0.0), (1, 1, 100.0), (1, 3, 33.3), (2, 3, 66.7), (0, 5, 0.0)])
def test_success_rate_is_a_percent_of_known_successes(successes: int, known: int,
                                                      rate: float) -> None:
    assert success_rate(successes, known) == rate


@pytest.mark.parametrize(("counts", "label"), [
    ({}, None),
    ({"POSITIVE": 1}, "POSITIVE"),
    ({"POSITIVE": 2, "NEGATIVE": 1}, "NEUTRAL"),  # mean 1/3: not above a third
    ({"POSITIVE": 3, "NEGATIVE": 1}, "POSITIVE"),  # mean 1/2
    ({"NEGATIVE": 2, "NEUTRAL": 1}, "NEGATIVE"),
    ({"NEUTRAL": 4}, "NEUTRAL"),
])
def test_avg_sentiment_is_the_third_of_the_mean_score(counts: dict[str, int],
                                                      label: str | None) -> None:
    assert avg_sentiment(counts) == label


def test_sentiment_counts_has_every_key() -> None:
    assert sentiment_counts({"NEGATIVE": 2}) == {"POSITIVE": 0, "NEGATIVE": 2, "NEUTRAL": 0}


def test_a_transcript_reads_like_seed_002s() -> None:
    lines = [TranscriptLine(speaker="agent", text="Hi", at_ms=0),
             TranscriptLine(speaker="callee", text="Hello", at_ms=10)]
    assert transcript_text(lines) == "Agent: Hi\nCaller: Hello"


def test_keys_are_random_prefixed_and_hashed() -> None:
    a, b = new_key(), new_key()
    assert a != b and a.startswith("rbk_") and len(a) > 40
    assert is_well_formed(a) and not is_well_formed("garbage")
    assert key_hash(a) != key_hash(b) and len(key_hash(a)) == 32
    assert shown_prefix(a) == a[:10]


def test_every_writer_of_a_call_patches_one_row() -> None:
    clock = FakeClock(NOW)
    call = CallFlow(uuid.uuid4(), NOW, clock, inbound=True)
    patches = [patch_from_call_event(e) for e in
               (call.started(), call.connected(), call.conversation_completed(),
                call.carrier_completed())]
    assert {p.id for p in patches if p is not None} == {call_log_id(call.call_sid)}
    assert [p.outcome_authoritative for p in patches if p is not None] == [
        False, False, True, False]
    assert all(p is not None and p.direction == "inbound" for p in patches)


def test_a_failure_before_the_carrier_gave_a_sid_is_no_call() -> None:
    event = new_event(CallFailed(attempt=1, call_sid=None, reason="invalid number",
                                 retry_at=None, timezone="UTC"),
                      aggregate_id=uuid.uuid4(), version=1, tenant_id=uuid.uuid4(),
                      correlation_id=uuid.uuid4(), clock=FakeClock(NOW))
    assert patch_from_call_event(event) is None
