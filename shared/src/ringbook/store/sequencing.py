"""Applying one aggregate's events strictly in version order (G8).

JetStream delivers a stream in order, but a ``nak`` with delay lets later messages
overtake an earlier one. A projection that must not skip a step calls ``in_order`` in its
handler's transaction: version ``last + 1`` proceeds (and is recorded), an older version
has already been applied and is skipped, and a gap means an earlier event is still on
its way, so the handler asks to be redelivered later.
"""

from __future__ import annotations

from ringbook.bus.worker import RetryLater
from ringbook.events import Envelope
from ringbook.store.database import Conn


async def in_order(conn: Conn, consumer: str, event: Envelope) -> bool:
    """True if ``event`` is the next version of its aggregate for this consumer."""
    last = await conn.fetchval(
        "select last_version from aggregate_positions"
        " where consumer = $1 and aggregate_id = $2 for update",
        consumer,
        event.aggregate_id,
    )
    last = int(last or 0)
    if event.version <= last:
        return False
    if event.version > last + 1:
        raise RetryLater(
            f"{event.aggregate}/{event.aggregate_id}: have v{last}, got v{event.version}",
            delay=0.5,
        )
    await conn.execute(
        "insert into aggregate_positions (consumer, aggregate_id, last_version)"
        " values ($1, $2, $3) on conflict (consumer, aggregate_id)"
        " do update set last_version = excluded.last_version",
        consumer,
        event.aggregate_id,
        event.version,
    )
    return True
