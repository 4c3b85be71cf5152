"""The dialer: turns due timers into carrier calls, at most once per attempt (G4).

For each due timer, one transaction locks the job, deletes the timer and commits the
attempt row; only then is the carrier asked to dial. A crash after the commit leaves an
attempt in ``dialing``: it is reconciled by the carrier's callback (which carries the
attempt id) or failed after ``reconcile_seconds``; it is never dialed again. A crash
before the commit leaves the timer, and nothing was dialed.

What is dialed, and when, is decided at the moment of dialing (G6), not when the timer
was set: a callee closed by now is moved to its next opening; dials are paced by the
carrier's calls-per-second bucket (one row shared by every replica, locked for the
claim) and limited per tenant in live calls; due calls are taken round-robin across
tenants (``domain.dial_pacing``). Lock order: the bucket, then each job (skipped when
busy, so a claim never waits on a cancel or a callback), then its timer.

Live attempts whose callbacks stopped coming are looked up at the carrier
(``carrier_reconcile``) in the same sweep. The loop that runs ticks and sweeps, woken
by Postgres when a timer is set, is ``entrypoints.dialer_loop``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from ringbook.contracts.calls import CallStarted
from ringbook.logging import correlation, get_logger
from ringbook.tasks import TaskSupervisor

from call_orchestrator.application.call_results import conclude_unreported
from call_orchestrator.application.carrier_reconcile import CarrierChecks, check_with_carrier
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.failures import fail_unconfirmed, record_failure
from call_orchestrator.application.hangups import hang_up_later
from call_orchestrator.application.opening_hours import defer_until_open
from call_orchestrator.application.ports import Transaction, UnitOfWork
from call_orchestrator.application.telephony import CallRejected, PlaceCall, TelephonyUnavailable
from call_orchestrator.domain.attempts import Attempt, AttemptState
from call_orchestrator.domain.dial_pacing import DialLimits, DueCall, fair_order
from call_orchestrator.domain.jobs import Job

log = get_logger(__name__)
NOT_SENT_BACKOFF = timedelta(seconds=15)
# A due job held by another transaction (a callback, a cancel) is tried again this soon.
CONTENDED_RETRY_SECONDS = 0.25


@dataclass(frozen=True)
class TickResult:
    dialed: int
    # Until the calls-per-second bucket allows the next dial (zero: it allows one now).
    next_token_in: timedelta
    # A due job was busy in another transaction and was left for the next tick.
    contended: bool = False


class Dialer:
    def __init__(self, *, uow: UnitOfWork, ctx: Orchestration, batch: int = 20,
                 limits: DialLimits | None = None, checks: CarrierChecks | None = None) -> None:
        self._uow, self._ctx, self.batch = uow, ctx, batch
        self._limits = limits or DialLimits()
        self._checks = checks or CarrierChecks()
        self._calls = TaskSupervisor()

    @property
    def dials_in_flight(self) -> list[str]:
        """Calls claimed whose carrier request has not finished yet."""
        return self._calls.running

    async def stop(self) -> None:
        """Cancel the dials still in flight and wait for them to end (an attempt cut
        off mid-dial stays ``dialing`` and is reconciled like any crash's)."""
        await self._calls.stop()

    async def sweep(self) -> None:
        """What no event wakes us for: attempts never confirmed, live attempts without
        news, ended calls whose conversation never reported."""
        await self.reconcile()
        await self.check_with_carrier()
        await self.conclude_unreported()

    async def seconds_to_wake(self, result: TickResult, ceiling: float) -> float:
        """The next timer to fall due, or the next token if dials wait on the rate; timers
        already due that wait on a tenant's limit are woken by a call ending (a trigger
        on the attempts' state notifies the same channel) or by the sweep (``ceiling``)."""
        now = self._ctx.clock.now()
        async with self._uow.transaction() as tx:
            due = await tx.timers.next_due_after(now)
        wait = ceiling if due is None else min(ceiling, (due - now).total_seconds())
        if result.next_token_in > timedelta(0):
            wait = min(wait, result.next_token_in.total_seconds())
        if result.contended:
            wait = min(wait, CONTENDED_RETRY_SECONDS)
        return max(0.0, wait)

    async def tick(self) -> TickResult:
        """Claim the due timers the limits allow now, commit their attempts, and start
        dialing them."""
        now = self._ctx.clock.now()
        rate = self._limits.rate
        claimed: list[tuple[Job, Attempt]] = []
        contended = False
        async with self._uow.transaction() as tx:
            bucket = await tx.pacing.lock_bucket(rate, now)
            budget = min(self.batch, rate.available(bucket, now))
            if budget > 0:
                for due in await self._fair_due(tx, now, budget):
                    if len(claimed) == budget:
                        break
                    job = await tx.jobs.try_lock(due.request_id)
                    if job is None:
                        contended = True
                        continue
                    attempt = await self._claim(tx, job, now)
                    if attempt is not None:
                        claimed.append((job, attempt))
                bucket = rate.spend(bucket, now, len(claimed))
                await tx.pacing.save_bucket(bucket)
        for job, attempt in claimed:
            self._calls.spawn(f"dial:{attempt.id}", self.dial(job, attempt))
        return TickResult(len(claimed), rate.next_token_in(bucket, now), contended)

    async def _fair_due(self, tx: Transaction, now: datetime, budget: int) -> list[DueCall]:
        """Due calls in round-robin order across tenants, within each tenant's headroom."""
        max_live = self._limits.tenant_max_live
        # No tenant can take more than its limit or the whole budget: read no more.
        due = await tx.pacing.due_by_tenant(now, min(max_live, budget))
        tenants = {call.tenant_id for call in due}
        if not tenants:
            return []
        return fair_order(due, max_live=max_live,
                          live=await tx.pacing.live_by_tenant(tenants),
                          last_turn=await tx.pacing.last_turns(tenants))

    async def _claim(self, tx: Transaction, job: Job, now: datetime) -> Attempt | None:
        """With the job locked: take its due timer and commit the attempt to dial."""
        attempt_no = await tx.timers.take_due(job.request_id, now)
        if attempt_no is None or not job.active:
            return None  # taken or dropped meanwhile, or the leftover of a finished job
        if await defer_until_open(tx, self._ctx, job, attempt_no, now):
            return None
        attempt = await tx.attempts.add(job.request_id, attempt_no, now)
        if attempt is not None:
            await tx.pacing.take_turn(job.tenant_id)
        return attempt

    async def dial(self, job: Job, attempt: Attempt) -> None:
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

    async def _placed(self, request_id: uuid.UUID, attempt: Attempt, sid: str) -> None:
        ctx = self._ctx
        async with self._uow.transaction() as tx:
            job = await tx.jobs.lock(request_id)
            current = await tx.attempts.lock(attempt.id)
            if job is None or current is None:
                return
            if current.state is AttemptState.FAILED and current.call_sid is None:
                # Given up before the carrier named the call: it must not ring on.
                await tx.attempts.update(attempt.id, current.state, ctx.clock.now(), sid)
                await hang_up_later(tx, ctx, call_sid=sid, request_id=request_id,
                                    reason="attempt given up")
                return
            if current.state is not AttemptState.DIALING:
                return  # a callback got here first and adopted the sid
            await tx.attempts.update(attempt.id, AttemptState.PLACED, ctx.clock.now(), sid)
            started = CallStarted(attempt=attempt.attempt, call_sid=sid,
                                  number=job.number_to_call)
            await tx.jobs.append(job, job.new_events(ctx.clock, [started]))
            if not job.active:  # canceled (or booked) while this call was dialing
                await hang_up_later(tx, ctx, call_sid=sid, request_id=request_id,
                                    reason=f"request {job.state}")

    async def _rejected(self, request_id: uuid.UUID, attempt: Attempt, reason: str) -> None:
        async with self._uow.transaction() as tx:
            job = await tx.jobs.lock(request_id)
            if job is None:
                return
            await tx.attempts.update(attempt.id, AttemptState.FAILED, self._ctx.clock.now())
            await record_failure(tx, self._ctx, job, attempt=attempt.attempt, call_sid=None,
                                 reason=f"carrier rejected the call: {reason}", retryable=False)

    async def _not_sent(self, request_id: uuid.UUID, attempt: Attempt, reason: str) -> None:
        """The carrier never saw the request: nobody was called, so the same attempt
        number may be tried again shortly (no attempt is burned by our own outage)."""
        log.warning("dial_not_sent", error=reason)
        async with self._uow.transaction() as tx:
            job = await tx.jobs.lock(request_id)
            if job is None or not job.active:
                return
            await tx.attempts.discard_unsent(attempt.id)
            await tx.timers.set(request_id, attempt.attempt,
                                self._ctx.clock.now() + NOT_SENT_BACKOFF)

    async def conclude_unreported(self) -> None:
        await conclude_unreported(self._uow, self._ctx, self._ctx.clock.now(), self.batch)

    async def check_with_carrier(self) -> int:
        return await check_with_carrier(self._uow, self._ctx, self._checks,
                                        self._ctx.clock.now(), self.batch)

    async def reconcile(self) -> None:
        cutoff = self._ctx.clock.now() - timedelta(seconds=self._ctx.reconcile_seconds)
        async with self._uow.transaction() as tx:
            stale = await tx.attempts.stale_dialing(cutoff)
        for attempt_id, request_id in stale:
            async with self._uow.transaction() as tx:
                await fail_unconfirmed(tx, self._ctx, attempt_id, request_id)
