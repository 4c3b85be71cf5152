"""The orchestrator's store in Postgres, as the application's ports see it.

``PgTransaction`` works on a connection already inside a transaction: the unit of
work's own, or the pull worker's, whose transaction also holds the event's inbox claim
(so a handler's writes commit with that claim or not at all).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from ringbook.store.database import Conn

from call_orchestrator.adapters.attempt_repository import PgCallAttempts
from call_orchestrator.adapters.catalog_repository import PgCatalogProjection
from call_orchestrator.adapters.dial_pacing_repository import PgDialPacing
from call_orchestrator.adapters.hangup_repository import PgPendingHangups
from call_orchestrator.adapters.inbound_call_repository import PgInboundCalls
from call_orchestrator.adapters.job_repository import PgCallJobs, PgCallTimers


class PgTransaction:
    def __init__(self, conn: Conn) -> None:
        self.jobs = PgCallJobs(conn)
        self.timers = PgCallTimers(conn)
        self.attempts = PgCallAttempts(conn)
        self.pacing = PgDialPacing(conn)
        self.hangups = PgPendingHangups(conn)
        self.inbound = PgInboundCalls(conn)
        self.catalog = PgCatalogProjection(conn)


class PgUnitOfWork:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTransaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PgTransaction(conn)
