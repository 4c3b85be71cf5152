"""Calls that must end, ended by the carrier after the decision has committed.

A live call of a canceled request, or of an attempt already given up (or of a request
booked meanwhile), must be hung up as soon as its sid is known: by the cancel when the
sid is known then, otherwise by whoever learns it later (the dial's answer, a status
callback). That decision is a row (``hang_up_later``) in the deciding transaction, never
a carrier request inside it: a carrier that answers 429 or 5xx, or not at all, would
otherwise roll the cancel back (and after ``max_deliver`` dead-letter it while the
call goes on). ``hang_up_due`` asks the carrier after the commit, and again with a
growing backoff while it fails; hanging up is idempotent, so a retry after a lost
answer is harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
from ringbook.logging import correlation, get_logger
from ringbook.store.database import Conn

from call_orchestrator.adapters import hangup_repository as pending
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.telephony import CallRejected, TelephonyUnavailable

log = get_logger(__name__)
FIRST_RETRY = timedelta(seconds=1)
LONGEST_RETRY = timedelta(seconds=60)
# A carrier call lasts at most 4 hours (Twilio's limit): a hang-up still failing after
# that has nothing left to end.
GIVE_UP_AFTER = timedelta(hours=4)


def retry_after(tries: int) -> timedelta:
    """The wait after the ``tries``-th failed request: 1 s, doubling, at most 60 s."""
    doubled: timedelta = FIRST_RETRY * 2 ** min(max(tries - 1, 0), 16)
    return min(doubled, LONGEST_RETRY)


async def hang_up_later(conn: Conn, ctx: Orchestration, *, call_sid: str,
                        request_id: uuid.UUID, reason: str) -> None:
    """Record, in the caller's transaction, that this call must end."""
    await pending.add(conn, call_sid=call_sid, request_id=request_id, reason=reason,
                      now=ctx.clock.now())
    log.info("hangup_pending", call_sid=call_sid, request_id=str(request_id), reason=reason)


async def hang_up_due(pool: asyncpg.Pool, ctx: Orchestration, limit: int = 20) -> int:
    """Ask the carrier to end every call whose hang-up is due; returns how many."""
    now = ctx.clock.now()
    async with pool.acquire() as conn, conn.transaction():
        # Committed before the carrier is asked: its next retry is already scheduled.
        claimed = await pending.claim_due(conn, now, limit, retry_after)
    # Each waits for its own answer; one failing (its row is due again after the
    # backoff) never cuts the others short.
    outcomes = await asyncio.gather(*(_hang_up(pool, ctx, h) for h in claimed),
                                    return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return len(claimed)


async def _hang_up(pool: asyncpg.Pool, ctx: Orchestration, hangup: pending.PendingHangup
                   ) -> None:
    with correlation(str(hangup.request_id), call_sid=hangup.call_sid):
        try:
            await ctx.telephony.hang_up(hangup.call_sid)
        except TelephonyUnavailable as exc:
            if ctx.clock.now() - hangup.created_at < GIVE_UP_AFTER:
                log.warning("hangup_failed", error=str(exc), tries=hangup.tries,
                            retry_in=retry_after(hangup.tries).total_seconds())
                async with pool.acquire() as conn:
                    await pending.failed(conn, hangup.call_sid, str(exc))
                return
            log.error("hangup_given_up", error=str(exc), tries=hangup.tries)
        except CallRejected as exc:
            # Refused for good (the carrier does not know the call): nothing to retry.
            log.error("hangup_refused", error=str(exc), tries=hangup.tries)
        else:
            log.info("hangup_done", reason=hangup.reason, tries=hangup.tries)
        async with pool.acquire() as conn:
            await pending.done(conn, hangup.call_sid)


async def seconds_to_next_hangup(pool: asyncpg.Pool, ctx: Orchestration,
                                 ceiling: float) -> float:
    async with pool.acquire() as conn:
        due = await pending.next_due(conn)
    if due is None:
        return ceiling
    return max(0.0, min(ceiling, (due - ctx.clock.now()).total_seconds()))
