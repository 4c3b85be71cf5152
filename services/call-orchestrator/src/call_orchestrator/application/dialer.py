"""The dialer: turns due timers into carrier calls, at most once per attempt (G4).

For each due timer, one transaction deletes the timer (SKIP LOCKED, so replicas never
share one) and commits the attempt row; only then is the carrier asked to dial. A crash
after the commit leaves an attempt in ``dialing``: it is reconciled by the carrier's
callback (which carries the attempt id) or failed after ``reconcile_seconds``; it is
never dialed again. A crash before the commit leaves the timer, and nothing was dialed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta

import asyncpg
from ringbook.contracts.calls import CallStarted
from ringbook.logging import correlation, get_logger
from ringbook.tasks import TaskSupervisor

from call_orchestrator.adapters import job_repository as repo
from call_orchestrator.application.call_results import conclude_unreported
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.failures import fail_unconfirmed, record_failure
from call_orchestrator.application.telephony import CallRejected, PlaceCall, TelephonyUnavailable
from call_orchestrator.domain.attempts import AttemptState

log = get_logger(__name__)
NOT_SENT_BACKOFF = timedelta(seconds=15)


class Dialer:
    def __init__(self, *, pool: asyncpg.Pool, dsn: str, schema: str, ctx: Orchestration,
                 sweep_seconds: float = 5.0, batch: int = 20) -> None:
        self._pool, self._dsn, self._schema, self._ctx = pool, dsn, schema, ctx
        self._sweep, self._batch = sweep_seconds, batch
        self._wake = asyncio.Event()
        self._calls = TaskSupervisor()

    async def run(self) -> None:
        listener = await asyncpg.connect(self._dsn, server_settings={"search_path": self._schema})
        await listener.add_listener(f"ringbook_timers_{self._schema}", lambda *_: self._wake.set())
        try:
            while True:
                self._wake.clear()
                try:
                    taken = await self.tick()
                    await self.reconcile()
                    await self.conclude_unreported()
                    if taken >= self._batch:
                        continue
                    wait = await self._seconds_to_next_due()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("dialer_error", error=repr(exc))
                    wait = 1.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            await self._calls.stop()
            await listener.close()

    async def _seconds_to_next_due(self) -> float:
        due = await repo.next_due(self._pool)  # type: ignore[arg-type]
        if due is None:
            return self._sweep
        return max(0.0, min(self._sweep, (due - self._ctx.clock.now()).total_seconds()))

    async def tick(self) -> int:
        """Claim due timers, commit their attempts, and start dialing them."""
        now = self._ctx.clock.now()
        claimed: list[tuple[repo.Job, repo.Attempt]] = []
        async with self._pool.acquire() as conn, conn.transaction():
            for request_id, attempt_no in await repo.take_due_timers(conn, now, self._batch):
                job = await repo.lock_job(conn, request_id)
                if job is None or job.state != "active":
                    continue
                attempt = await repo.insert_attempt(conn, request_id, attempt_no, now)
                if attempt is not None:
                    claimed.append((job, attempt))
        for job, attempt in claimed:
            self._calls.spawn(f"dial:{attempt.id}", self.dial(job, attempt))
        return len(claimed)

    async def dial(self, job: repo.Job, attempt: repo.Attempt) -> None:
        ctx = self._ctx
        with correlation(str(job.request_id), attempt=attempt.attempt):
            call = PlaceCall(
                to=job.number_to_call,
                from_=ctx.from_number,
                answer_url=ctx.answer_url(attempt.id),
                status_callback_url=ctx.status_callback_url(attempt.id),
            )
            try:
                sid = await ctx.telephony.place_call(call)
            except CallRejected as exc:
                await self._rejected(job.request_id, attempt, str(exc))
            except TelephonyUnavailable as exc:
                if exc.request_may_have_been_sent:
                    # Unknown outcome: the callback or the reconcile sweep settles it.
                    log.warning("dial_outcome_unknown", error=str(exc))
                else:
                    await self._not_sent(job.request_id, attempt, str(exc))
            else:
                await self._placed(job.request_id, attempt, sid)

    async def _placed(self, request_id: uuid.UUID, attempt: repo.Attempt, sid: str) -> None:
        ctx = self._ctx
        async with self._pool.acquire() as conn, conn.transaction():
            job = await repo.lock_job(conn, request_id)
            current = await repo.lock_attempt(conn, attempt.id)
            if job is None or current is None or current.state is not AttemptState.DIALING:
                return  # a callback got here first and adopted the sid
            await repo.update_attempt(conn, attempt.id, AttemptState.PLACED, ctx.clock.now(), sid)
            await repo.emit(conn, job, ctx.clock, CallStarted(
                attempt=attempt.attempt, call_sid=sid, number=job.number_to_call))
            canceled = job.state == "canceled"
        if canceled:
            await ctx.telephony.hang_up(sid)

    async def _rejected(self, request_id: uuid.UUID, attempt: repo.Attempt, reason: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            job = await repo.lock_job(conn, request_id)
            if job is None:
                return
            await repo.update_attempt(conn, attempt.id, AttemptState.FAILED, self._ctx.clock.now())
            await record_failure(conn, self._ctx, job, attempt=attempt.attempt, call_sid=None,
                                 reason=f"carrier rejected the call: {reason}", retryable=False)

    async def _not_sent(self, request_id: uuid.UUID, attempt: repo.Attempt, reason: str) -> None:
        """The carrier never saw the request: nobody was called, so the same attempt
        number may be tried again shortly (no attempt is burned by our own outage)."""
        log.warning("dial_not_sent", error=reason)
        async with self._pool.acquire() as conn, conn.transaction():
            job = await repo.lock_job(conn, request_id)
            if job is None or job.state != "active":
                return
            await conn.execute("delete from call_attempts where id = $1 and state = 'dialing'",
                               attempt.id)
            await repo.set_timer(conn, request_id, attempt.attempt,
                                 self._ctx.clock.now() + NOT_SENT_BACKOFF)

    async def conclude_unreported(self) -> None:
        async with self._pool.acquire() as conn:
            await conclude_unreported(conn, self._ctx, self._ctx.clock.now(), self._batch)

    async def reconcile(self) -> None:
        cutoff = self._ctx.clock.now() - timedelta(seconds=self._ctx.reconcile_seconds)
        async with self._pool.acquire() as conn:
            stale = await repo.stale_dialing_attempts(conn, cutoff)
            for attempt_id, request_id in stale:
                async with conn.transaction():
                    await fail_unconfirmed(conn, self._ctx, attempt_id, request_id)
