"""What the orchestrator's background loops share: a LISTEN connection that reopens
itself, and the errors that skip a round instead of ending the loop.

A loop's rows are its truth and a NOTIFY only wakes it sooner, so a LISTEN connection
lost with Postgres (a restart, a failover) costs at most a sweep's delay: it is reopened
at the start of the next round, and until then the sweep alone wakes the loop.
"""

from __future__ import annotations

import asyncio

import asyncpg
from ringbook.store.database import connect
from ringbook.store.unavailable import CONNECTION_ERRORS

# Postgres gone or restarting, or an error of the statement itself: the round is
# skipped and retried, like any database hiccup; the loop never ends but by cancellation.
# InternalClientError is what asyncpg raises when the server shuts down under an open
# transaction: the statement fails, and the ROLLBACK on the way out finds the protocol
# still consuming that error ("cannot switch to state 15; another operation (2) is in
# progress"). It ended the dialer for good in the Postgres outage e2e test; the pool
# drops such a connection on release, so the next round gets a sound one.
LOOP_ERRORS: tuple[type[BaseException], ...] = (
    *CONNECTION_ERRORS, asyncpg.PostgresError, asyncpg.InternalClientError)


class Wakeups:
    """``wake`` is set by every NOTIFY on ``ringbook_<topic>_<schema>``."""

    def __init__(self, *, dsn: str, schema: str, topic: str) -> None:
        self._dsn, self._schema = dsn, schema
        self._channel = f"ringbook_{topic}_{schema}"
        self.wake = asyncio.Event()
        self._conn: asyncpg.Connection | None = None

    async def listen(self) -> None:
        """(Re)open the LISTEN connection if it is not open."""
        if self._conn is not None and not self._conn.is_closed():
            return
        self._conn = await connect(self._dsn, schema=self._schema)
        await self._conn.add_listener(self._channel, lambda *_: self.wake.set())

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
