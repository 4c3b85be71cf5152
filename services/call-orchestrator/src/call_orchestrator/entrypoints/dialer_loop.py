"""The loop that runs the dialer (``application.dialer``): a tick, then the sweep, then
a wait.

Woken by Postgres when a timer is set or a live call ends (NOTIFY on commit, one
channel per schema), and otherwise at the next timer, the next token of the rate, or
every ``sweep_seconds``, whichever is sooner; the rows, not the wake-ups, are the truth,
so a missed notification only delays a dial to the sweep. A database error, the
connection lost under a transaction included (Postgres restarted), skips the round and
is retried a second later, with the LISTEN connection reopened: the loop itself never
ends but by cancellation, and then it cancels the dials still in flight and waits for
them before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib

from ringbook.logging import get_logger

from call_orchestrator.application.dialer import Dialer
from call_orchestrator.entrypoints.wakeups import LOOP_ERRORS, Wakeups

log = get_logger(__name__)


class DialerLoop:
    def __init__(self, dialer: Dialer, *, dsn: str, schema: str,
                 sweep_seconds: float = 5.0) -> None:
        self._dialer, self._dsn, self._schema = dialer, dsn, schema
        self._sweep = sweep_seconds
        self._wakeups = Wakeups(dsn=dsn, schema=schema, topic="timers")

    async def run(self) -> None:
        dialer = self._dialer
        try:
            while True:
                self._wakeups.wake.clear()
                try:
                    await self._wakeups.listen()
                    result = await dialer.tick()
                    await dialer.sweep()
                    if result.dialed >= dialer.batch:
                        continue  # a full batch: more may be due right now
                    wait = await dialer.seconds_to_wake(result, self._sweep)
                except LOOP_ERRORS as exc:
                    log.warning("dialer_error", error=repr(exc))
                    wait = 1.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeups.wake.wait(), wait)
        finally:
            await dialer.stop()
            await self._wakeups.close()
