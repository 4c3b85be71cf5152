"""The pure rules of slots: parsing a schedule, a day's slots with its exception, the
nearest free slots, the message table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from catalog_service.domain.booking_messages import language_of, say
from catalog_service.domain.slots import (
    InvalidSchedule,
    nearest_free,
    parse_date,
    parse_time,
    schedule_from_body,
)

BODY = {"timezone": "Pacific/Auckland", "weekly": [
    {"weekday": "Monday", "start": "14:00", "end": "16:00", "capacity": 3},
    {"weekday": 0, "start": "10:00", "end": "12:00", "capacity": 14}],
    "exceptions": [{"date": "2026-02-09", "closed": True},
                   {"date": "2026-02-16", "capacity": 0}]}


def test_a_days_slots_follow_its_exception() -> None:
    schedule = schedule_from_body(BODY)
    assert schedule.reference_prefix == "SPA"
    assert schedule.slots_on(date(2026, 2, 2)) == [(time(10), time(12), 14),
                                                   (time(14), time(16), 3)]
    assert schedule.slots_on(date(2026, 2, 3)) == []
    assert schedule.slots_on(date(2026, 2, 9)) == []
    assert [c for _, _, c in schedule.slots_on(date(2026, 2, 16))] == [0, 0]


def test_today_is_the_businesss() -> None:
    schedule = schedule_from_body(BODY)
    # 12:00 UTC on the 1st is already the 2nd in Auckland
    assert schedule.today(datetime(2026, 2, 1, 12, tzinfo=UTC)) == date(2026, 2, 2)


def test_nearest_free_is_same_day_first_by_distance() -> None:
    day, nxt = date(2026, 2, 2), date(2026, 2, 3)
    candidates = [(day, time(10), time(12), 0), (day, time(12), time(14), 2),
                  (day, time(16), time(18), 1), (day, time(8), time(10), 5),
                  (nxt, time(14), time(16), 9)]
    assert [(d, t) for d, t, _, _ in nearest_free(candidates, day, time(14))] == [
        (day, time(12)), (day, time(16)), (day, time(8))]
    assert nearest_free(candidates, day, time(10), limit=5)[-1][0] == nxt


@pytest.mark.parametrize(("text", "parsed"), [
    ("10:00", time(10)), ("09:30:00", time(9, 30)), (" 23:59 ", time(23, 59)),
    ("24:00", None), ("9:00", None), ("10:00:30", None), (1000, None), (None, None)])
def test_times(text: object, parsed: time | None) -> None:
    assert parse_time(text) == parsed


def test_dates() -> None:
    assert parse_date("2026-02-02") == date(2026, 2, 2)
    assert parse_date("2026-02-30") is None and parse_date("2026-2-2") is None


def test_a_reference_prefix_and_a_slot_at_midnight() -> None:
    with pytest.raises(InvalidSchedule) as refused:
        schedule_from_body({**BODY, "weekly": [
            {"weekday": 6, "start": "22:00", "end": "00:00", "capacity": 1}]})
    assert refused.value.field == "weekly[0]"
    assert schedule_from_body({**BODY, "reference_prefix": "BEAUTY"}).reference_prefix == \
        "BEAUTY"


def test_messages() -> None:
    assert language_of("it-IT") == "it" and language_of("de_CH") == "de"
    assert language_of(None) == language_of("fr") == "en"
    assert say("cancelled", "de", reference="SPA-000001") == \
        "Die Buchung SPA-000001 ist storniert."
