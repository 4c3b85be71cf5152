"""SQL for the request_facts projection and the requests_per_day view.

Every function takes the caller's connection: the projection's writes run inside the
pull worker's transaction, next to its inbox claim, so a fact and the record that its
event was applied commit together or not at all.
"""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
from ringbook.contracts.request_status import RequestStatus
from ringbook.events import Envelope
from ringbook.store import sequencing
from ringbook.store.database import Conn

from analytics_service.domain.request_fact import RequestFact


async def insert(conn: Conn, fact: RequestFact) -> bool:
    """Insert a new fact; False if the request is already projected (a replay)."""
    inserted = await conn.fetchval(
        "insert into request_facts (request_id, tenant_id, day, status)"
        " values ($1, $2, $3, $4) on conflict (request_id) do nothing returning true",
        fact.request_id,
        fact.tenant_id,
        fact.day,
        fact.status.value,
    )
    return bool(inserted)


async def get_for_update(conn: Conn, request_id: uuid.UUID) -> RequestFact | None:
    """The fact, row-locked: the REQUESTS and CALLS consumers may both move one request's
    status at the same moment, and the lock makes the second read the first one's result."""
    row = await conn.fetchrow(
        "select request_id, tenant_id, day, status from request_facts"
        " where request_id = $1 for update",
        request_id,
    )
    if row is None:
        return None
    return RequestFact(
        request_id=row["request_id"],
        tenant_id=row["tenant_id"],
        day=row["day"],
        status=RequestStatus(row["status"]),
    )


async def update_status(conn: Conn, fact: RequestFact) -> None:
    await conn.execute(
        "update request_facts set status = $2, updated_at = now() where request_id = $1",
        fact.request_id,
        fact.status.value,
    )


async def requests_per_day(
    conn: Conn | asyncpg.Pool, *, tenant_id: uuid.UUID, since: date
) -> list[tuple[date, str, int]]:
    """Rows of the analysts' view for one tenant from ``since`` on, newest day first."""
    rows = await conn.fetch(
        "select day, status, requests from requests_per_day"
        " where tenant_id = $1 and day >= $2 order by day desc, status",
        tenant_id,
        since,
    )
    return [(r["day"], r["status"], int(r["requests"])) for r in rows]


class PgFactsTransaction:
    """The projection's port (``application.ports.FactsTransaction``) on the pull
    worker's connection."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def insert(self, fact: RequestFact) -> bool:
        return await insert(self._conn, fact)

    async def get_for_update(self, request_id: uuid.UUID) -> RequestFact | None:
        return await get_for_update(self._conn, request_id)

    async def update_status(self, fact: RequestFact) -> None:
        await update_status(self._conn, fact)

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        return await sequencing.in_order(self._conn, consumer, event)
