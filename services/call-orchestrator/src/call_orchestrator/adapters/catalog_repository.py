"""The orchestrator's projection of catalog-service's configuration in Postgres
(``catalog_numbers`` and ``business_hours``, migration 0006)."""

from __future__ import annotations

import uuid
from datetime import datetime

from ringbook.events import Envelope
from ringbook.store import sequencing
from ringbook.store.database import Conn

from call_orchestrator.domain.catalog import ConfiguredHours, NumberOwner, OwnerKind


class PgCatalogProjection:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        return await sequencing.in_order(self._conn, consumer, event)

    async def put_number(self, owner: NumberOwner, phone_number: str,
                         as_of: datetime) -> None:
        # One row per owner: a snapshot naming another number moves the row. The
        # tenant check keeps one tenant's event off another tenant's row.
        await self._conn.execute(
            "insert into catalog_numbers (kind, owner_id, tenant_id, phone_number, as_of)"
            " values ($1, $2, $3, $4, $5) on conflict (kind, owner_id) do update"
            " set phone_number = excluded.phone_number, as_of = excluded.as_of"
            " where catalog_numbers.tenant_id = excluded.tenant_id",
            owner.kind, owner.owner_id, owner.tenant_id, phone_number, as_of,
        )

    async def drop_number(self, tenant_id: uuid.UUID, kind: OwnerKind,
                          owner_id: uuid.UUID) -> None:
        await self._conn.execute(
            "delete from catalog_numbers where kind = $1 and owner_id = $2 and tenant_id = $3",
            kind, owner_id, tenant_id,
        )

    async def owner_of(self, phone_number: str) -> NumberOwner | None:
        # Two rows name one number only while the older owner's move is on its way:
        # the most recent snapshot is the owner (the kind and id only break a tie).
        row = await self._conn.fetchrow(
            "select tenant_id, kind, owner_id from catalog_numbers where phone_number = $1"
            " order by as_of desc, kind, owner_id limit 1",
            phone_number,
        )
        if row is None:
            return None
        return NumberOwner(row["tenant_id"], row["kind"], row["owner_id"])

    async def set_hours(self, tenant_id: uuid.UUID, number: str,
                        hours: ConfiguredHours) -> None:
        await self._conn.execute(
            "insert into business_hours (tenant_id, number, weekly_hours, timezone)"
            " values ($1, $2, $3, $4) on conflict (tenant_id, number) do update"
            " set weekly_hours = excluded.weekly_hours, timezone = excluded.timezone",
            tenant_id, number, hours.weekly_hours, hours.timezone,
        )

    async def clear_hours(self, tenant_id: uuid.UUID, number: str) -> None:
        await self._conn.execute(
            "delete from business_hours where tenant_id = $1 and number = $2",
            tenant_id, number,
        )

    async def hours_for(self, tenant_id: uuid.UUID, number: str) -> ConfiguredHours | None:
        row = await self._conn.fetchrow(
            "select weekly_hours, timezone from business_hours"
            " where tenant_id = $1 and number = $2",
            tenant_id, number,
        )
        return ConfiguredHours(row["weekly_hours"], row["timezone"]) if row else None
