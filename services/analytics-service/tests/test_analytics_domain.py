"""The projection's pure rules: day bucketing, status moves, per-day breakdown."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from analytics_service.domain.daily_counts import first_day, per_day
from analytics_service.domain.request_fact import RequestFact, advance, fact_from_received
from ringbook.clock import FakeClock
from ringbook.contracts.calls import CallFailed, CallStarted
from ringbook.contracts.request_status import IllegalTransition, RequestStatus
from ringbook.contracts.requests import RequestCanceled, RequestReceived, UserProfile
from ringbook.events import Envelope, EventData, new_event

CLOCK = FakeClock(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
REQUEST = uuid.uuid4()
TENANT = uuid.uuid4()


def event(data: EventData, at: datetime | None = None, version: int = 1) -> Envelope:
    return new_event(
        data,
        aggregate_id=REQUEST,
        version=version,
        tenant_id=TENANT,
        correlation_id=REQUEST,
        clock=CLOCK,
        occurred_at=at,
    )


def received(at: datetime | None = None) -> Envelope:
    return event(
        RequestReceived(
            user_id=uuid.uuid4(),
            title="t",
            description="d",
            callback_number="+4930123456",
            number_to_call="+4930654321",
            preferred_time="any",
            user_profile=UserProfile(),
        ),
        at,
    )


def test_a_received_request_is_queued_on_its_utc_day() -> None:
    # 00:30 on the 16th in Auckland (+13:00) is still the 15th in UTC.
    auckland = timezone(timedelta(hours=13))
    fact = fact_from_received(received(datetime(2026, 1, 16, 0, 30, tzinfo=auckland)))
    assert fact == RequestFact(REQUEST, TENANT, date(2026, 1, 15), RequestStatus.QUEUED)


def test_only_request_received_starts_a_fact() -> None:
    with pytest.raises(TypeError):
        fact_from_received(event(RequestCanceled()))


def test_events_move_the_status_along_the_contract() -> None:
    fact = fact_from_received(received())
    calling = advance(fact, event(CallStarted(attempt=1, call_sid="CA1", number="+4930")))
    assert calling is not None and calling.status is RequestStatus.CALLING
    retry = event(
        CallFailed(attempt=1, call_sid="CA1", reason="busy", retry_at=CLOCK.now(), timezone="UTC")
    )
    waiting = advance(calling, retry)
    assert waiting is not None and waiting.status is RequestStatus.WAITING_FOR_CALLBACK
    # Re-entering the same status is "no change", not an error.
    assert advance(waiting, retry) is None


def test_an_illegal_transition_is_refused() -> None:
    canceled = advance(fact_from_received(received()), event(RequestCanceled()))
    assert canceled is not None and canceled.status is RequestStatus.CANCELED
    with pytest.raises(IllegalTransition):
        advance(canceled, event(CallStarted(attempt=1, call_sid="CA1", number="+4930")))


def test_first_day_of_a_window_includes_today() -> None:
    today = date(2026, 3, 1)
    assert first_day(today, 1) == today
    assert first_day(today, 30) == date(2026, 1, 31)
    for bad in (0, 367):
        with pytest.raises(ValueError):
            first_day(today, bad)


def test_per_day_fills_every_status_and_sorts_newest_first() -> None:
    d1, d2 = date(2026, 1, 14), date(2026, 1, 15)
    days = per_day([(d1, "queued", 2), (d2, "booked", 1), (d1, "failed", 1)])
    assert [d.day for d in days] == [d2, d1]
    assert days[1].total == 3
    assert days[1].by_status == {
        **dict.fromkeys(RequestStatus, 0),
        RequestStatus.QUEUED: 2,
        RequestStatus.FAILED: 1,
    }
    assert list(days[0].by_status) == list(RequestStatus)
    assert per_day([]) == []
