"""Dead letters: events a consumer gave up on, kept to be listed, fixed and replayed.

A letter names its message (stream, sequence, subject, payload) and, when the payload
is an envelope, the event (id, aggregate, aggregate id, version), so that an in-order
consumer can go past the version it holds (``ringbook.store.sequencing``).

Content failures are counted here too (``delivery_failures``), per message: JetStream's
delivery count grows during outages as well, so it cannot be what dead-letters an event.
The count is written in its own transaction after the handler's rolled back, and the
letter that ends it is written in the same transaction that deletes the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from ringbook.events import Envelope
from ringbook.store.database import Conn

REASON_LIMIT = 4000


@dataclass(frozen=True)
class Message:
    """Where a message sits in its stream, as the consumer received it."""

    consumer: str
    stream: str
    stream_seq: int
    subject: str
    payload: bytes
    deliveries: int


async def count_failure(conn: Conn, message: Message, error: str) -> int:
    """One more content failure of ``message``; returns how many there have been."""
    failures: int = await conn.fetchval(
        "insert into delivery_failures (consumer, stream, stream_seq, failures, last_error)"
        " values ($1, $2, $3, 1, $4) on conflict (consumer, stream, stream_seq) do update"
        " set failures = delivery_failures.failures + 1, last_error = excluded.last_error,"
        " last_failed_at = now() returning failures",
        message.consumer, message.stream, message.stream_seq, error[:REASON_LIMIT],
    )
    return failures


async def clear_failures(conn: Conn, message: Message) -> None:
    await conn.execute(
        "delete from delivery_failures where consumer = $1 and stream = $2 and stream_seq = $3",
        message.consumer, message.stream, message.stream_seq,
    )


async def record(conn: Conn, message: Message, event: Envelope | None, reason: str) -> int:
    """Write (or rewrite) the letter of ``message``; its failure count ends with it."""
    await clear_failures(conn, message)
    letter_id: int = await conn.fetchval(
        "insert into dead_letters (consumer, stream, stream_seq, subject, payload, reason,"
        " event_id, aggregate, aggregate_id, version, deliveries)"
        " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " on conflict (consumer, stream, stream_seq) do update"
        " set reason = excluded.reason, failed_at = now(), status = 'dead',"
        " deliveries = excluded.deliveries returning id",
        message.consumer, message.stream, message.stream_seq, message.subject,
        message.payload, reason[:REASON_LIMIT],
        event.id if event else None, event.aggregate if event else None,
        event.aggregate_id if event else None, event.version if event else None,
        message.deliveries,
    )
    return letter_id


async def is_dead(conn: Conn, message: Message) -> bool:
    """True if this message already has a letter (its ``term`` may have been lost)."""
    found = await conn.fetchval(
        "select true from dead_letters where consumer = $1 and stream = $2 and stream_seq = $3",
        message.consumer, message.stream, message.stream_seq,
    )
    return bool(found)


async def dead_versions(
    conn: Conn, consumer: str, event: Envelope, after: int
) -> set[int]:
    """The versions of ``event``'s aggregate between ``after`` and ``event.version``
    (both excluded) that this consumer dead-lettered."""
    rows = await conn.fetch(
        "select distinct version from dead_letters where consumer = $1 and aggregate_id = $2"
        " and version > $3 and version < $4",
        consumer, event.aggregate_id, after, event.version,
    )
    return {int(r["version"]) for r in rows}


# -- replay ---------------------------------------------------------------------------


async def request_replay(
    conn: Conn,
    *,
    ids: Sequence[int] = (),
    consumer: str | None = None,
    aggregate_id: str | None = None,
) -> list[int]:
    """Mark dead letters for replay (by id, or every dead one matching the filters);
    returns the ids marked. Only 'dead' letters are marked: one replay at a time."""
    rows = await conn.fetch(
        "update dead_letters set status = 'replay', replay_requested_at = now()"
        " where status = 'dead'"
        " and (cardinality($1::bigint[]) = 0 or id = any($1::bigint[]))"
        " and ($2::text is null or consumer = $2)"
        " and ($3::uuid is null or aggregate_id = $3::uuid)"
        " returning id",
        list(ids), consumer, aggregate_id,
    )
    return sorted(int(r["id"]) for r in rows)


async def claim_replay(conn: Conn, consumer: str, letter_id: int) -> asyncpg.Record | None:
    """Lock one letter asked for replay (skipped if another replica holds it)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "select id, stream, stream_seq, subject, payload, deliveries from dead_letters"
        " where id = $1 and consumer = $2 and status = 'replay' for update skip locked",
        letter_id, consumer,
    )
    return row


async def replays_pending(pool: asyncpg.Pool, consumer: str, limit: int) -> list[int]:
    rows = await pool.fetch(
        "select id from dead_letters where consumer = $1 and status = 'replay'"
        " order by id limit $2",
        consumer, limit,
    )
    return [int(r["id"]) for r in rows]


async def replayed(conn: Conn, letter_id: int) -> None:
    await conn.execute(
        "update dead_letters set status = 'replayed', replayed_at = now(),"
        " replays = replays + 1 where id = $1",
        letter_id,
    )


async def replay_failed(conn: Conn, letter_id: int, reason: str) -> None:
    await conn.execute(
        "update dead_letters set status = 'dead', failed_at = now(), replays = replays + 1,"
        " reason = $2 where id = $1",
        letter_id, f"replay failed: {reason}"[:REASON_LIMIT],
    )
