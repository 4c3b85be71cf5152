"""The lock that lets a rebuild hold a consumer's live workers for its final swap.

Every live transaction of a consumer (the pull worker's, the dead-letter replayer's)
takes this lock SHARED as its first statement, so live workers never wait on each
other. A rebuild takes it EXCLUSIVE for every consumer it rebuilds, in the transaction
that swaps the tables: that waits for the transactions already running to commit (their
events are then in the stream before the rebuild reads its tail) and holds new ones
before they read or write anything, so no event is applied to the old tables after the
rebuild's last one. Both are transaction-level locks, released by commit or rollback,
so a crashed rebuild never leaves the workers held.

The two-key form of the advisory lock is a key space of its own: the single-key locks
of migrations and the outbox relay can never collide with it. The schema is part of the
key because advisory locks are database-wide and every service shares the database.
"""

from __future__ import annotations

from collections.abc import Iterable

from ringbook.store.database import Conn

_SPACE = "ringbook-rebuild"


async def hold_shared(conn: Conn, consumer: str) -> None:
    """Called first in a live worker's transaction: waits only while a swap runs."""
    await conn.execute(
        "select pg_advisory_xact_lock_shared("
        "hashtext($1), hashtext(current_schema() || ':' || $2))",
        _SPACE,
        consumer,
    )


async def hold_exclusive(conn: Conn, schema: str, consumers: Iterable[str]) -> None:
    """Called in the swap's transaction; sorted, so two rebuilds could never deadlock."""
    for consumer in sorted(set(consumers)):
        await conn.execute(
            "select pg_advisory_xact_lock(hashtext($1), hashtext($2 || ':' || $3))",
            _SPACE,
            schema,
            consumer,
        )
