"""What businesses configured in catalog-service, as the orchestrator uses it.

Two facts, kept in the orchestrator's own projection of the CATALOG stream: who owns a
business number (an inbound call to it belongs to that tenant), and a tenant's opening
hours for a number it calls (its outbound calls obey them instead of the defaults).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo

from ringbook.weekly_hours import WeeklyHours

OwnerKind = Literal["phone_number", "client"]
# The owners' kinds are the catalog's aggregate names (ringbook.contracts.catalog).
PHONE_NUMBER: Final = "phone_number"
CLIENT: Final = "client"


@dataclass(frozen=True)
class NumberOwner:
    """The tenant's phone number or client a business number belongs to."""

    tenant_id: uuid.UUID
    kind: OwnerKind
    owner_id: uuid.UUID


@dataclass(frozen=True)
class ConfiguredHours:
    """A tenant's hours for one number: ``weekly_hours`` in ``ringbook.weekly_hours``'
    text format; ``timezone`` None (or empty): the number's own zone."""

    weekly_hours: str
    timezone: str | None = None

    def check(self) -> None:
        """Raise ValueError (naming the problem) unless both parts can be obeyed."""
        WeeklyHours.parse(self.weekly_hours)
        if self.timezone:
            try:
                ZoneInfo(self.timezone)
            except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
                raise ValueError(f"unknown time zone {self.timezone!r}") from exc


@dataclass(frozen=True)
class CalleeHours:
    """The hours a call to one number obeys, in the zone they are meant in."""

    hours: WeeklyHours
    zone: ZoneInfo

    def next_opening(self, at: datetime) -> datetime:
        return self.hours.next_opening(at, self.zone)


def callee_hours(configured: ConfiguredHours | None, *, default: WeeklyHours,
                 number_zone: ZoneInfo) -> CalleeHours:
    """The tenant's hours for the number if it set any (in their zone, else the
    number's), otherwise the default hours in the number's zone."""
    if configured is None:
        return CalleeHours(default, number_zone)
    zone = ZoneInfo(configured.timezone) if configured.timezone else number_zone
    return CalleeHours(WeeklyHours.parse(configured.weekly_hours), zone)
