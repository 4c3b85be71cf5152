"""Use cases for business hours: what the internal API does, independent of HTTP."""

from __future__ import annotations

import uuid

from catalog_service.application.ports import BusinessHoursRepository
from catalog_service.domain.business_hours import BusinessHours, business_hours, e164


class NumberOwnedByAnotherTenant(Exception):
    pass


async def hours_for(repository: BusinessHoursRepository, number: str) -> BusinessHours | None:
    """The stored hours of ``number`` (any E.164 spelling), or None.

    Raises InvalidBusinessHours for a number that is not E.164."""
    return await repository.get(e164(number))


async def set_hours(
    repository: BusinessHoursRepository,
    *,
    number: str,
    tenant_id: uuid.UUID,
    weekly_hours: str,
    timezone: str | None,
) -> BusinessHours:
    """Validate, then store; a bad input stores nothing."""
    hours = business_hours(number, tenant_id, weekly_hours, timezone)
    if not await repository.upsert(hours):
        raise NumberOwnedByAnotherTenant(hours.number)
    return hours
