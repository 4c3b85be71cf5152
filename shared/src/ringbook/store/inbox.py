"""Consumers' inbox: the ids of events a consumer has already applied.

Claiming an event id inserts a row in the handler's own transaction. If the handler's
transaction commits, the claim commits with it, so a redelivery of the same event finds
the row and is skipped; if it rolls back, so does the claim, and the redelivery is
handled afresh. That is what makes JetStream's at-least-once delivery apply each event
exactly once (G3), including duplicates older than the stream's de-dup window.
"""

from __future__ import annotations

import uuid

from ringbook.store.database import Conn


async def claim(conn: Conn, consumer: str, event_id: uuid.UUID) -> bool:
    """True if this consumer has not handled the event before (and now owns it)."""
    claimed = await conn.fetchval(
        "insert into inbox (consumer, event_id) values ($1, $2)"
        " on conflict do nothing returning true",
        consumer,
        event_id,
    )
    return bool(claimed)


async def claim_many(conn: Conn, consumer: str, event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """``claim`` for a batch in one statement: the ids not handled before (an id twice in
    ``event_ids`` is claimed once: the second row conflicts with the first)."""
    rows = await conn.fetch(
        "insert into inbox (consumer, event_id) select $1, unnest($2::uuid[])"
        " on conflict do nothing returning event_id",
        consumer,
        event_ids,
    )
    return {row["event_id"] for row in rows}


async def release(conn: Conn, consumer: str, event_ids: list[uuid.UUID]) -> None:
    """Undo claims made earlier in this same transaction (never a committed one: a
    committed claim is what turns a redelivery into a no-op)."""
    await conn.execute(
        "delete from inbox where consumer = $1 and event_id = any($2::uuid[])",
        consumer,
        event_ids,
    )
