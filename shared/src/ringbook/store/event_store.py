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


_COLUMNS = ("id", "aggregate", "aggregate_id", "version", "type", "tenant_id", "occurred_at",
            "correlation_id", "causation_id", "data")
_TYPES = ("uuid", "text", "uuid", "integer", "text", "uuid", "timestamptz", "uuid", "uuid",
          "jsonb")


def append_one_ctes(first: int, *, unless_exists: str) -> str:
    """The append of ONE event as two CTEs, for a writer that stores its event together
    with rows of its own in a single statement (one round trip, its own commit).

    ``stored`` inserts the event row and returns its ``id``; ``queued`` inserts its
    outbox row. Both are skipped when the query ``unless_exists`` (an earlier CTE of the
    caller's, by name) has a row, so a caller's "already stored" check and the append
    are one statement. Parameters ``$first`` to ``$first + 11`` are
    ``append_params(event)``. The outbox rule holds as for :func:`append`: the two rows
    are one statement, so they commit together or not at all."""
    params = [f"${first + i}::{kind}" for i, kind in enumerate(_TYPES)]
    return (
        f"stored as (insert into events ({', '.join(_COLUMNS)})"
        f" select {', '.join(params)} where not exists (select from {unless_exists})"
        f" returning id),"
        f" queued as (insert into outbox (event_id, subject, payload)"
        f" select id, ${first + 10}::text, ${first + 11}::bytea from stored)"
    )


def append_params(event: Envelope) -> tuple[object, ...]:
    """The parameters of :func:`append_one_ctes` for ``event``."""
    return _row(event)


def conflict_of(events: Sequence[Envelope], exc: asyncpg.UniqueViolationError) -> (
        ConcurrencyConflict | None):
    """The ConcurrencyConflict a unique violation means, or None if it is another key."""
    if exc.constraint_name != "events_aggregate_id_version_key":
        return None
    clash = _clash(events, exc)
    return ConcurrencyConflict(clash.aggregate_id, clash.version)


async def append(conn: Conn, events: Sequence[Envelope]) -> None:
    """Append events (in the caller's transaction) and queue them for publishing.

    Many events go as one ``executemany``, which asyncpg pipelines: a 5,000-lead import
    costs a few round trips, not 5,000. A version taken already fails the whole call,
    and the caller's transaction with it, exactly as one event would."""
    rows = [_row(event) for event in events]
    try:
        if len(rows) == 1:
            await conn.execute(_APPEND, *rows[0])
        elif rows:
            await conn.executemany(_APPEND, rows)
    except asyncpg.UniqueViolationError as exc:
        conflict = conflict_of(events, exc)
        if conflict is not None:
            raise conflict from exc
        raise


def _row(event: Envelope) -> tuple[object, ...]:
    return (event.id, event.aggregate, event.aggregate_id, event.version, event.type,
            event.tenant_id, event.occurred_at, event.correlation_id, event.causation_id,
            orjson.dumps(event.data.model_dump(mode="json")).decode(), event.subject,
            event.to_json())


def _clash(events: Sequence[Envelope], exc: asyncpg.UniqueViolationError) -> Envelope:
    # Postgres names the duplicate key in the detail: "Key (aggregate_id, version)=(…, 3)".
    detail = str(getattr(exc, "detail", "") or "")
    for event in events:
        if f"({event.aggregate_id}, {event.version})" in detail:
            return event
    return events[0]


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
