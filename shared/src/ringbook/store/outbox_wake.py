"""Waking the outbox relay after a commit that did not NOTIFY.

Why a writer would not NOTIFY: Postgres serializes the commits of notifying transactions
(``PreCommit_Notify`` takes a database-wide lock that is held until the commit, its WAL
flush included, is done), so under load every accept would fsync alone instead of
sharing a flush with its neighbours. A service whose pool sets ``ringbook.outbox_notify``
to ``off`` (platform migration 0004) calls :meth:`OutboxWaker.written` after each such
commit instead:

- when this process's relay leads, it is woken in process: no round trip at all;
- otherwise the leader is another replica, and it gets one NOTIFY, sent in its own tiny
  transaction by a single task. Commits that arrive while one is in flight are covered by
  the next, so there is never more than one notifying transaction of ours at a time.

Nothing is lost if a wake is (a NOTIFY that fails, a leader that changes in between): the
leader sweeps the outbox every ``safety_interval`` whatever happens, so a wake only
decides how soon an event is published, never whether it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from ringbook.logging import get_logger

log = get_logger(__name__)


class OutboxWaker:
    def __init__(self, *, pool: asyncpg.Pool, schema: str,
                 leading_relay: Callable[[], Callable[[], None] | None]) -> None:
        self._pool = pool
        self._channel = f"ringbook_outbox_{schema}"
        # The wake of this process's relay while it leads, else None.
        self._leading_relay = leading_relay
        self._pending = asyncio.Event()
        self.notified = 0  # NOTIFYs sent for other replicas' leaders

    def written(self) -> None:
        """Outbox rows were committed: have the leading relay publish them soon."""
        wake = self._leading_relay()
        if wake is not None:
            wake()
        else:
            self._pending.set()

    async def run(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()
            try:
                await self._pool.execute("select pg_notify($1, '')", self._channel)
                self.notified += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the leader's sweep publishes it regardless
                log.warning("outbox_wake_failed", error=repr(exc))
                await asyncio.sleep(0.2)
