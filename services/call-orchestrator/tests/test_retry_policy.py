from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from call_orchestrator.domain.retry_policy import RetryPolicy
from hypothesis import given, settings
from hypothesis import strategies as st
from ringbook.weekly_hours import WeeklyHours

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = WeeklyHours.parse("mon-fri 08:00-18:00")
POLICY = RetryPolicy(max_attempts=3, delay=timedelta(minutes=10))


def berlin(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("max_attempts", "delay"),
    [(0, timedelta(minutes=1)), (-1, timedelta(0)), (1, timedelta(seconds=-1))],
)
def test_policy_is_validated(max_attempts: int, delay: timedelta) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=max_attempts, delay=delay)


def test_zero_delay_and_single_attempt_are_valid() -> None:
    policy = RetryPolicy(max_attempts=1, delay=timedelta(0))
    failed_at = berlin("2026-06-10 10:00")
    assert (
        policy.next_attempt_at(failed_attempt=1, failed_at=failed_at, hours=OFFICE, tz=BERLIN)
        is None
    )


@pytest.mark.parametrize("failed_attempt", [3, 4])
def test_exhausted_attempts_give_none(failed_attempt: int) -> None:
    failed_at = berlin("2026-06-10 10:00")
    retry = POLICY.next_attempt_at(
        failed_attempt=failed_attempt, failed_at=failed_at, hours=OFFICE, tz=BERLIN
    )
    assert retry is None


def test_attempts_are_one_based() -> None:
    with pytest.raises(ValueError, match="1-based"):
        POLICY.next_attempt_at(
            failed_attempt=0, failed_at=berlin("2026-06-10 10:00"), hours=OFFICE, tz=BERLIN
        )


def test_retry_inside_hours_waits_exactly_the_delay() -> None:
    failed_at = berlin("2026-06-10 10:00")
    retry = POLICY.next_attempt_at(failed_attempt=1, failed_at=failed_at, hours=OFFICE, tz=BERLIN)
    assert retry == berlin("2026-06-10 10:10")
    assert retry is not None and retry.tzinfo is UTC


def test_failure_just_before_friday_close_retries_monday_morning() -> None:
    failed_at = berlin("2026-06-12 17:55")  # Friday
    retry = POLICY.next_attempt_at(failed_attempt=2, failed_at=failed_at, hours=OFFICE, tz=BERLIN)
    assert retry == berlin("2026-06-15 08:00")


def test_delay_is_real_time_across_spring_forward() -> None:
    # 01:30 CET plus one real hour is 03:30 CEST, not the non-existent wall time 02:30.
    policy = RetryPolicy(max_attempts=2, delay=timedelta(hours=1))
    failed_at = berlin("2026-03-29 01:30")
    hours = WeeklyHours.parse("always")
    retry = policy.next_attempt_at(failed_attempt=1, failed_at=failed_at, hours=hours, tz=BERLIN)
    assert retry == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert retry - failed_at == timedelta(hours=1)
    assert retry.astimezone(BERLIN).isoformat() == "2026-03-29T03:30:00+02:00"


def test_naive_failure_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        POLICY.next_attempt_at(
            failed_attempt=1, failed_at=datetime(2026, 6, 10, 10), hours=OFFICE, tz=BERLIN
        )


SPECS = [
    "always",
    "mon-fri 08:00-18:00",
    "mon-fri 08:00-12:00,13:00-18:00; sat 09:00-13:00",
    "sun 02:30-04:00",
    "tue,thu 23:45-24:00; wed 00:00-00:15",
]
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 5),
    delay=st.timedeltas(timedelta(0), timedelta(days=3)),
)


@settings(max_examples=200, deadline=None)
@given(
    policy=policies,
    failed_attempt=st.integers(1, 6),
    failed_at=st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 31), timezones=st.just(UTC)),
    spec_and_zone=st.tuples(st.sampled_from(SPECS), st.sampled_from(ZONES)),
)
def test_retry_is_spaced_by_the_delay_and_inside_hours(
    policy: RetryPolicy, failed_attempt: int, failed_at: datetime, spec_and_zone: tuple[str, str]
) -> None:
    hours, tz = WeeklyHours.parse(spec_and_zone[0]), ZoneInfo(spec_and_zone[1])
    # Express the failure in the callee's zone so that delay arithmetic must not be wall-clock.
    local_failure = failed_at.astimezone(tz)
    retry = policy.next_attempt_at(
        failed_attempt=failed_attempt, failed_at=local_failure, hours=hours, tz=tz
    )
    if failed_attempt >= policy.max_attempts:
        assert retry is None
        return
    assert retry is not None
    assert retry >= failed_at + policy.delay
    assert hours.is_open(retry, tz)
