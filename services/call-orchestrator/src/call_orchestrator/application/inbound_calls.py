"""Answering an inbound call (seed 004's incoming-call webhook).

An inbound call gets the same call job and call events as an outbound one, so the
timeline, analytics and the media-bridge treat both alike: the call's session id is
the job's request id (and the correlation id of every event and of the conversation),
its single attempt is number 1 and already ``connected`` (Twilio asks for TwiML only
once the call is up), and ``call_started`` then ``call_connected`` are emitted at once.
Later status callbacks (``completed``, ...) find that attempt by its CallSid and go
through the same ``apply_carrier_status`` as an outbound call's.

The call belongs to the tenant that owns the number called (``To``): a phone number or
client configured in catalog-service, looked up in this service's projection of it.
A number nobody configured belongs to the default inbound tenant (``INBOUND_TENANT_ID``).

Twilio retries the webhook when our answer is slow or lost, so everything happens in
ONE transaction keyed by the CallSid: the first delivery claims the sid in
``inbound_calls`` and creates job, attempt and events; a retry (even a concurrent one,
which waits on the claim's unique key) finds the claim and gets the same session back,
with nothing emitted twice, and the tenant it was first given.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ringbook.contracts.calls import INBOUND_CALL, CallConnected, CallStarted
from ringbook.logging import get_logger
from ringbook.phone import InvalidPhoneNumber, to_e164

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.ports import Transaction, UnitOfWork
from call_orchestrator.domain.attempts import AttemptState
from call_orchestrator.domain.inbound_calls import INBOUND_ATTEMPT, InboundSession, IncomingCall
from call_orchestrator.domain.jobs import Job, JobState

# The call and its session are domain records; the webhook reads them from here too.
__all__ = [
    "INBOUND_ATTEMPT", "InboundSession", "IncomingCall", "answer_inbound_call", "business_line",
    "caller_number",
]

log = get_logger(__name__)


def caller_number(raw: str) -> str:
    """The caller's number in E.164; a withheld or odd caller id ("anonymous",
    "client:alice") is kept as sent, because the call must be answered regardless."""
    try:
        return to_e164(raw, field="From")
    except InvalidPhoneNumber as exc:
        log.info("inbound_caller_id_not_e164", reason=exc.reason)
        return raw.strip()


def business_line(raw: str) -> str | None:
    """The number called, in E.164; None when the carrier sent none usable (the call is
    then the default tenant's, and names no line)."""
    try:
        return to_e164(raw, field="To")
    except InvalidPhoneNumber as exc:
        log.info("inbound_line_not_e164", reason=exc.reason)
        return None


async def answer_inbound_call(
    uow: UnitOfWork,
    ctx: Orchestration,
    call: IncomingCall,
    *,
    default_tenant_id: uuid.UUID,
    assistant: str,
) -> InboundSession:
    """Give the call its session (creating job, attempt and events the first time), of
    the tenant that owns the number called, else of ``default_tenant_id``."""
    customer_phone = caller_number(call.from_number)
    line = business_line(call.to_number)
    async with uow.transaction() as tx:
        now = ctx.clock.now()
        owner = await tx.catalog.owner_of(line) if line is not None else None
        tenant_id = owner.tenant_id if owner is not None else default_tenant_id
        session = InboundSession(call.call_sid, uuid.uuid4(), tenant_id, customer_phone,
                                 line or call.to_number, assistant, created=True)
        if not await tx.inbound.claim(session, now):
            return await _existing(tx, call.call_sid)
        await _start_session(tx, ctx, call, now, session)
    log.info("inbound_call_answered", call_sid=call.call_sid, line=line,
             session_id=str(session.session_id), tenant_id=str(tenant_id),
             line_owner=f"{owner.kind}:{owner.owner_id}" if owner else None)
    return session


async def _existing(tx: Transaction, call_sid: str) -> InboundSession:
    session = await tx.inbound.session(call_sid)
    if session is None:  # pragma: no cover - the conflicting claim committed before we read
        raise RuntimeError(f"inbound call {call_sid} vanished")
    log.info("inbound_call_retried", call_sid=call_sid, session_id=str(session.session_id))
    return session


async def _start_session(tx: Transaction, ctx: Orchestration, call: IncomingCall,
                         now: datetime, session: InboundSession) -> None:
    session_id, customer_phone = session.session_id, session.customer_phone
    job = Job(
        request_id=session_id, tenant_id=session.tenant_id, number_to_call=customer_phone,
        timezone=ctx.timezone_for(customer_phone).key,
        request={"direction": "inbound", "call_sid": call.call_sid, "from": customer_phone,
                 "to": session.to_number, "from_country": call.from_country,
                 "from_city": call.from_city, "assistant": session.assistant},
        state=JobState.ACTIVE, version=0, aggregate=INBOUND_CALL,
    )
    if not await tx.jobs.add(job):  # pragma: no cover - a fresh uuid4
        raise RuntimeError(f"session {session_id} already exists")
    attempt = await tx.attempts.add(session_id, INBOUND_ATTEMPT, now)
    if attempt is None:  # pragma: no cover - the job was created just now
        raise RuntimeError(f"session {session_id} already has an attempt")
    await tx.attempts.update(attempt.id, AttemptState.CONNECTED, now, call.call_sid)
    await tx.jobs.append(job, job.new_events(ctx.clock, [
        CallStarted(attempt=INBOUND_ATTEMPT, call_sid=call.call_sid, number=customer_phone,
                    line=business_line(call.to_number)),
        CallConnected(attempt=INBOUND_ATTEMPT, call_sid=call.call_sid),
    ]))
