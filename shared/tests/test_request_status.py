"""The one status table of seed 000: legal moves, refused moves, never backwards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ringbook.clock import FakeClock
from ringbook.contracts.calls import (
    BookingConfirmed,
    BookingInProgress,
    CallCompleted,
    CallConnected,
    CallFailed,
    CallStarted,
    Scheduled,
)
from ringbook.contracts.request_status import (
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    RequestStatus,
    next_status,
)
from ringbook.contracts.requests import RequestCanceled, RequestReceived, UserProfile
from ringbook.events import Envelope, EventData, new_event

S = RequestStatus
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
RECEIVED = RequestReceived(user_id=uuid.uuid4(), title="t", description="d",
                           callback_number="+491701234567", number_to_call="+49305550100",
                           preferred_time="p", user_profile=UserProfile())
EVENTS: list[EventData] = [
    Scheduled(run_at=NOW, timezone="Europe/Berlin"),
    CallStarted(attempt=1, call_sid="CA1", number="+49305550100"),
    CallConnected(attempt=1, call_sid="CA1"),
    CallFailed(attempt=1, call_sid="CA1", reason="busy", retry_at=NOW, timezone="UTC"),
    CallFailed(attempt=3, call_sid="CA1", reason="busy", retry_at=None, timezone="UTC"),
    CallCompleted(attempt=1, call_sid="CA1", duration_seconds=3, outcome="ended"),
    BookingInProgress(attempt=1, details="Mo 10:00"),
    BookingConfirmed(attempt=1, summary="Mo 10:00 bei Dr. Müller"),
    RequestCanceled(),
]


def event(data: EventData) -> Envelope:
    return new_event(data, aggregate_id=uuid.uuid4(), version=1, tenant_id=uuid.uuid4(),
                     correlation_id=uuid.uuid4(), clock=FakeClock(NOW))


def test_every_status_has_a_row_and_terminals_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(RequestStatus)
    assert len(RequestStatus) == 8
    for status in TERMINAL:
        assert TRANSITIONS[status] == frozenset()


def test_happy_path() -> None:
    status = next_status(None, event(RECEIVED))
    assert status is S.QUEUED
    for data, expected in [(EVENTS[1], S.CALLING), (EVENTS[2], S.IN_PROGRESS),
                           (EVENTS[6], None), (EVENTS[7], S.BOOKED)]:
        moved = next_status(status, event(data))
        assert moved == expected
        status = moved or status
    assert status is S.BOOKED


def test_failed_attempt_waits_and_the_last_one_fails() -> None:
    assert next_status(S.CALLING, event(EVENTS[3])) is S.WAITING_FOR_CALLBACK
    assert next_status(S.CALLING, event(EVENTS[4])) is S.FAILED
    assert next_status(S.WAITING_FOR_CALLBACK, event(EVENTS[1])) is S.CALLING


def test_completed_call_changes_no_status() -> None:
    assert next_status(S.IN_PROGRESS, event(EVENTS[5])) is None


def test_late_call_after_cancel_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="canceled -> calling"):
        next_status(S.CANCELED, event(EVENTS[1]))


def test_first_event_must_be_received() -> None:
    with pytest.raises(IllegalTransition):
        next_status(None, event(EVENTS[1]))


RANK = {S.QUEUED: 0, S.OUTSIDE_BUSINESS_HOURS: 1, S.CALLING: 2, S.WAITING_FOR_CALLBACK: 2,
        S.IN_PROGRESS: 3, S.BOOKED: 4, S.FAILED: 4, S.CANCELED: 4}


@given(st.lists(st.sampled_from(EVENTS), max_size=30))
def test_any_event_sequence_moves_only_along_the_table(sequence: list[EventData]) -> None:
    status = S.QUEUED
    for data in sequence:
        try:
            moved = next_status(status, event(data))
        except IllegalTransition:
            continue  # refused, status unchanged
        if moved is not None:
            assert moved in TRANSITIONS[status]
            # Only a retry loop (waiting -> calling) may revisit a rank; never below it,
            # except a retry deferred to the callee's next opening.
            assert RANK[moved] >= RANK[status] or (
                status is S.IN_PROGRESS and moved is S.WAITING_FOR_CALLBACK) or (
                status is S.WAITING_FOR_CALLBACK and moved is S.OUTSIDE_BUSINESS_HOURS)
            status = moved
    assert status in RequestStatus


FIRST_DIAL_FAILED_WITH_RETRY = CallFailed(attempt=1, call_sid=None, reason="never confirmed",
                                          retry_at=NOW, timezone="UTC")


@pytest.mark.parametrize("before", [S.QUEUED, S.OUTSIDE_BUSINESS_HOURS])
def test_a_first_dial_that_fails_with_a_retry_waits(before: RequestStatus) -> None:
    # A dial can fail before any call_started (the carrier never confirmed it): the
    # timeline then says "retrying at ...", and the status must say the same.
    assert next_status(before, event(FIRST_DIAL_FAILED_WITH_RETRY)) is S.WAITING_FOR_CALLBACK


@pytest.mark.parametrize("before", [S.QUEUED, S.OUTSIDE_BUSINESS_HOURS])
def test_a_first_dial_that_fails_for_good_fails(before: RequestStatus) -> None:
    assert next_status(before, event(EVENTS[4])) is S.FAILED
