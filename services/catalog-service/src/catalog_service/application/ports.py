"""What the catalog's use cases need from their store, as protocols; the asyncpg
adapter in ``catalog_service.adapters`` implements them."""

from __future__ import annotations

from typing import Protocol

from catalog_service.domain.business_hours import BusinessHours


class BusinessHoursRepository(Protocol):
    async def get(self, number: str) -> BusinessHours | None:
        """The stored hours of an E.164 number, or None."""
        ...

    async def upsert(self, hours: BusinessHours) -> bool:
        """Insert or replace the hours of a number; False (and nothing written) when
        the number already belongs to another tenant."""
        ...
