"""The loop that ends calls which must end (``application.hangups``).

Woken by Postgres when a hang-up is recorded (NOTIFY on commit), and otherwise at the
next retry time or every ``sweep_seconds``, whichever is sooner; the rows, not the
wake-ups, are the truth, so a missed notification only delays a hang-up to the sweep.
"""

from __future__ import annotations

import asyncio
import contextlib

from ringbook.logging import get_logger

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.hangups import hang_up_due, seconds_to_next_hangup
from call_orchestrator.application.ports import UnitOfWork
from call_orchestrator.entrypoints.wakeups import LOOP_ERRORS, Wakeups

log = get_logger(__name__)


class HangupLoop:
    def __init__(self, *, uow: UnitOfWork, dsn: str, schema: str, ctx: Orchestration,
                 sweep_seconds: float = 5.0, batch: int = 20) -> None:
        self._uow, self._dsn, self._schema, self._ctx = uow, dsn, schema, ctx
        self._sweep, self._batch = sweep_seconds, batch
        self._wakeups = Wakeups(dsn=dsn, schema=schema, topic="hangups")

    async def run(self) -> None:
        try:
            while True:
                self._wakeups.wake.clear()
                try:
                    await self._wakeups.listen()
                    if await hang_up_due(self._uow, self._ctx, self._batch) >= self._batch:
                        continue
                    wait = await seconds_to_next_hangup(self._uow, self._ctx, self._sweep)
                except LOOP_ERRORS as exc:
                    log.warning("hangup_loop_error", error=repr(exc))
                    wait = 1.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeups.wake.wait(), wait)
        finally:
            await self._wakeups.close()
