"""Append-only event store with optimistic concurrency and a transactional outbox.

``append`` runs inside the caller's transaction and writes, for each event, the event
row and its outbox row in one statement. Both commit together or not at all, which is
the whole point: an event is never published without being stored (the relay reads only
committed outbox rows), and never stored without being published (the relay keeps
trying until NATS acknowledges).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import orjson

from ringbook.contracts.catalogue import parse_envelope
from ringbook.events import Envelope
from ringbook.store.database import Conn


class ConcurrencyConflict(Exception):
    """Another writer appended this aggregate version first."""

    def __init__(self, aggregate_id: uuid.UUID, version: int) -> None:
        super().__init__(f"version {version} of {aggregate_id} already exists")
        self.aggregate_id, self.version = aggregate_id, version


_APPEND = """
with stored as (
    insert into events (id, aggregate, aggregate_id, version, type, tenant_id,
                        occurred_at, correlation_id, causation_id, data)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
    returning id
)
insert into outbox (event_id, subject, payload)
select id, $11, $12 from stored
"""


async def append(conn: Conn, events: Sequence[Envelope]) -> None:
    """Append events (in the caller's transaction) and queue them for publishing."""
    for event in events:
        payload = event.to_json()
        try:
            await conn.execute(
                _APPEND,
                event.id,
                event.aggregate,
                event.aggregate_id,
                event.version,
                event.type,
                event.tenant_id,
                event.occurred_at,
                event.correlation_id,
                event.causation_id,
                orjson.dumps(event.data.model_dump(mode="json")).decode(),
                event.subject,
                payload,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_aggregate_id_version_key":
                raise ConcurrencyConflict(event.aggregate_id, event.version) from exc
            raise


async def load(conn: Conn, aggregate_id: uuid.UUID) -> list[Envelope]:
    rows = await conn.fetch(
        "select payload from outbox o join events e on e.id = o.event_id"
        " where e.aggregate_id = $1 order by e.version",
        aggregate_id,
    )
    return [parse_envelope(bytes(r["payload"])) for r in rows]


async def current_version(conn: Conn, aggregate_id: uuid.UUID) -> int:
    version = await conn.fetchval(
        "select coalesce(max(version), 0) from events where aggregate_id = $1", aggregate_id
    )
    return int(version)
