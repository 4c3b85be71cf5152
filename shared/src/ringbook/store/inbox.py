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
