"""Validation rules for business hours (pure)."""

from __future__ import annotations

import uuid

import pytest
from catalog_service.domain.business_hours import (
    InvalidBusinessHours,
    business_hours,
    e164,
    iana_zone,
    weekly_hours_text,
)


def test_numbers_are_normalized_to_e164() -> None:
    assert e164("+4930123456") == "+4930123456"
    assert e164("+49 30 123456") == "+4930123456"
    assert e164("+1 (212) 555-0100") == "+12125550100"


@pytest.mark.parametrize(
    "raw", ["", "030 123456", "+49", "+999123456", "hello", "+4930123456x9x", "+4930l23456"]
)
def test_bad_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidBusinessHours):
        e164(raw)


def test_time_zones_must_be_iana_keys() -> None:
    assert iana_zone("Europe/Berlin") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "europe/berlin", "../../etc/passwd", "", "CEST"):
        with pytest.raises(InvalidBusinessHours):
            iana_zone(bad)


def test_weekly_hours_are_bounded_non_empty_text() -> None:
    assert weekly_hours_text("  mon-fri 08:00-18:00 ") == "mon-fri 08:00-18:00"
    assert weekly_hours_text("x" * 500) == "x" * 500
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(InvalidBusinessHours):
            weekly_hours_text(bad)


def test_business_hours_validates_every_field() -> None:
    tenant = uuid.uuid4()
    hours = business_hours("+49 30 123456", tenant, "mon-fri 08:00-18:00", None)
    assert (hours.number, hours.timezone) == ("+4930123456", None)
    with pytest.raises(InvalidBusinessHours):
        business_hours("+4930123456", tenant, "mon-fri 08:00-18:00", "Nowhere/City")
