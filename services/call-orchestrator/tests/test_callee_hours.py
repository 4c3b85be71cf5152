"""Which hours a call obeys (``domain.catalog.callee_hours``): the tenant's own for the
number, in their zone or else the number's; otherwise the defaults in the number's."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from call_orchestrator.domain.catalog import ConfiguredHours, callee_hours
from ringbook.weekly_hours import WeeklyHours

DEFAULT = WeeklyHours.parse("mon-fri 08:00-18:00")
BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY_NOON_UTC = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_no_hours_of_the_tenant_are_the_defaults_in_the_numbers_zone() -> None:
    hours = callee_hours(None, default=DEFAULT, number_zone=BERLIN)
    assert (hours.hours, hours.zone) == (DEFAULT, BERLIN)
    assert hours.next_opening(SATURDAY_NOON_UTC) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("zone", [None, ""])
def test_the_tenants_hours_without_a_zone_are_meant_in_the_numbers(zone: str | None) -> None:
    configured = ConfiguredHours("Sat 14:00-16:00", zone)
    configured.check()
    hours = callee_hours(configured, default=DEFAULT, number_zone=BERLIN)
    assert hours.zone == BERLIN
    assert hours.next_opening(SATURDAY_NOON_UTC) == datetime(2026, 11, 21, 13, 0, tzinfo=UTC)


def test_the_tenants_zone_wins_over_the_numbers() -> None:
    configured = ConfiguredHours("sat 08:00-09:00", "America/New_York")
    hours = callee_hours(configured, default=DEFAULT, number_zone=BERLIN)
    assert hours.zone.key == "America/New_York"
    assert hours.next_opening(SATURDAY_NOON_UTC) == datetime(2026, 11, 21, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(("configured", "problem"), [
    (ConfiguredHours("mon 08:00-25:00"), "25:00"),
    (ConfiguredHours("mon 08:00-12:00", "Nowhere/Atlantis"), "Nowhere/Atlantis"),
])
def test_hours_that_cannot_be_obeyed_are_refused(configured: ConfiguredHours,
                                                 problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        configured.check()
