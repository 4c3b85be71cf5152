"""SQL for business_hours_overrides."""

from __future__ import annotations

import asyncpg

from catalog_service.domain.business_hours import BusinessHours


class PgBusinessHoursRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, number: str) -> BusinessHours | None:
        row = await self._pool.fetchrow(
            "select number_e164, tenant_id, weekly_hours, timezone"
            " from business_hours_overrides where number_e164 = $1",
            number,
        )
        if row is None:
            return None
        return BusinessHours(
            number=row["number_e164"],
            tenant_id=row["tenant_id"],
            weekly_hours=row["weekly_hours"],
            timezone=row["timezone"],
        )

    async def upsert(self, hours: BusinessHours) -> bool:
        """Insert or replace the hours of a number; False (and nothing written) when the
        number already belongs to another tenant.

        One statement, so two concurrent writers cannot both "check then write": the
        conditional ``do update ... where`` is evaluated under the row lock.
        """
        written = await self._pool.fetchval(
            "insert into business_hours_overrides (number_e164, tenant_id, weekly_hours,"
            " timezone) values ($1, $2, $3, $4)"
            " on conflict (number_e164) do update"
            " set weekly_hours = excluded.weekly_hours, timezone = excluded.timezone,"
            "     updated_at = now()"
            " where business_hours_overrides.tenant_id = excluded.tenant_id"
            " returning true",
            hours.number,
            hours.tenant_id,
            hours.weekly_hours,
            hours.timezone,
        )
        return bool(written)
