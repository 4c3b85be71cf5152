"""An outbound call was answered: may it talk?

Outbound calls are created with a TwiML URL (``/webhook/outbound-call?attempt_id=``), not
with inline TwiML, because the stream token must name the call sid and that is known
only once the carrier has the call. Twilio asks the URL when the callee picks up. By
then the request may have been canceled, the attempt given up (its callback missed,
reconciled as failed) or the request booked by another attempt: such a call is hung up
before anybody speaks. Otherwise the answer is the stream, with a token for exactly
this call (call sid, tenant, request, attempt).

The job and attempt rows are read under the same locks, in the same order (job, then
attempt), as the dialer and the cancel take: a cancel committed before this read is
seen here, and one committed after it finds the call live and hangs it up itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from call_orchestrator.application.ports import UnitOfWork
from call_orchestrator.domain.jobs import JobState


@dataclass(frozen=True)
class OutboundStream:
    """The call may talk: stream it, with a token minted for these facts."""

    call_sid: str
    tenant_id: uuid.UUID
    request_id: uuid.UUID
    attempt: int


@dataclass(frozen=True)
class HangUp:
    """The call must not talk; ``reason`` is for the log."""

    reason: str


async def answer_outbound_call(
    uow: UnitOfWork, *, attempt_id: uuid.UUID, call_sid: str
) -> OutboundStream | HangUp:
    async with uow.transaction() as tx:
        request_id = await tx.attempts.request_of(attempt_id)
        if request_id is None:
            return HangUp("unknown attempt")
        job = await tx.jobs.lock(request_id)
        attempt = await tx.attempts.lock(attempt_id)
        if job is None or attempt is None:  # deleted meanwhile: a dial never sent
            return HangUp("unknown attempt")
        if job.state is not JobState.ACTIVE:
            return HangUp(f"request {job.state.value}")
        if attempt.state.finished:
            return HangUp(f"attempt {attempt.state.value}")
        if attempt.call_sid is not None and attempt.call_sid != call_sid:
            # Signed by Twilio for this URL, yet another call: never give it this token.
            return HangUp("another call's attempt")
        return OutboundStream(call_sid=call_sid, tenant_id=job.tenant_id,
                              request_id=job.request_id, attempt=attempt.attempt)
