"""Answering an inbound call (seed 004's incoming-call webhook).

An inbound call gets the same call job and call events as an outbound one, so the
timeline, analytics and the media-bridge treat both alike: the call's session id is
the job's request id (and the correlation id of every event and of the conversation),
its single attempt is number 1 and already ``connected`` (Twilio asks for TwiML only
once the call is up), and ``call_started`` then ``call_connected`` are emitted at once.
Later status callbacks (``completed``, ...) find that attempt by its CallSid and go
through the same ``apply_carrier_status`` as an outbound call's.

Twilio retries the webhook when our answer is slow or lost, so everything happens in
ONE transaction keyed by the CallSid: the first delivery claims the sid in
``inbound_calls`` and creates job, attempt and events; a retry (even a concurrent one,
which waits on the claim's unique key) finds the claim and gets the same session back,
with nothing emitted twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from ringbook.contracts.calls import INBOUND_CALL, CallConnected, CallStarted
from ringbook.logging import get_logger
from ringbook.phone import InvalidPhoneNumber, to_e164
from ringbook.store.database import Conn

from call_orchestrator.adapters import job_repository as repo
from call_orchestrator.application.context import Orchestration
from call_orchestrator.domain.attempts import AttemptState

log = get_logger(__name__)

INBOUND_ATTEMPT = 1


@dataclass(frozen=True)
class IncomingCall:
    """What Twilio tells us about a call that comes in."""

    call_sid: str
    from_number: str  # as Twilio sent it
    to_number: str
    call_status: str = ""
    from_country: str = ""
    from_city: str = ""


@dataclass(frozen=True)
class InboundSession:
    """The session an inbound call was given (the same for every retry of its webhook)."""

    call_sid: str
    session_id: uuid.UUID
    tenant_id: uuid.UUID
    customer_phone: str
    to_number: str
    assistant: str
    created: bool  # False when this delivery was a retry


def caller_number(raw: str) -> str:
    """The caller's number in E.164; a withheld or odd caller id ("anonymous",
    "client:alice") is kept as sent, because the call must be answered regardless."""
    try:
        return to_e164(raw, field="From")
    except InvalidPhoneNumber as exc:
        log.info("inbound_caller_id_not_e164", reason=exc.reason)
        return raw.strip()


async def answer_inbound_call(
    pool: asyncpg.Pool,
    ctx: Orchestration,
    call: IncomingCall,
    *,
    tenant_id: uuid.UUID,
    assistant: str,
) -> InboundSession:
    """Give the call its session (creating job, attempt and events the first time)."""
    customer_phone = caller_number(call.from_number)
    async with pool.acquire() as conn, conn.transaction():
        now = ctx.clock.now()
        session_id = uuid.uuid4()
        claimed = await conn.fetchval(
            "insert into inbound_calls (call_sid, session_id, tenant_id, from_number,"
            " to_number, assistant, created_at) values ($1, $2, $3, $4, $5, $6, $7)"
            " on conflict (call_sid) do nothing returning true",
            call.call_sid, session_id, tenant_id, customer_phone, call.to_number,
            assistant, now,
        )
        if not claimed:
            return await _existing(conn, call.call_sid)
        await _start_session(conn, ctx, call, now, session_id=session_id, tenant_id=tenant_id,
                             customer_phone=customer_phone, assistant=assistant)
    log.info("inbound_call_answered", call_sid=call.call_sid, session_id=str(session_id))
    return InboundSession(call.call_sid, session_id, tenant_id, customer_phone,
                          call.to_number, assistant, created=True)


async def _existing(conn: Conn, call_sid: str) -> InboundSession:
    row = await conn.fetchrow("select * from inbound_calls where call_sid = $1", call_sid)
    if row is None:  # pragma: no cover - the conflicting claim committed before we read
        raise RuntimeError(f"inbound call {call_sid} vanished")
    log.info("inbound_call_retried", call_sid=call_sid, session_id=str(row["session_id"]))
    return InboundSession(call_sid, row["session_id"], row["tenant_id"], row["from_number"],
                          row["to_number"], row["assistant"], created=False)


async def _start_session(
    conn: Conn, ctx: Orchestration, call: IncomingCall, now: datetime, *,
    session_id: uuid.UUID, tenant_id: uuid.UUID, customer_phone: str, assistant: str,
) -> None:
    job = repo.Job(
        request_id=session_id, tenant_id=tenant_id, number_to_call=customer_phone,
        timezone=ctx.timezone_for(customer_phone).key,
        request={"direction": "inbound", "call_sid": call.call_sid, "from": customer_phone,
                 "to": call.to_number, "from_country": call.from_country,
                 "from_city": call.from_city, "assistant": assistant},
        state="active", version=0, aggregate=INBOUND_CALL,
    )
    if not await repo.create_job(conn, job):  # pragma: no cover - a fresh uuid4
        raise RuntimeError(f"session {session_id} already exists")
    attempt = await repo.insert_attempt(conn, session_id, INBOUND_ATTEMPT, now)
    if attempt is None:  # pragma: no cover - the job was created just now
        raise RuntimeError(f"session {session_id} already has an attempt")
    await repo.update_attempt(conn, attempt.id, AttemptState.CONNECTED, now, call.call_sid)
    await repo.emit(
        conn, job, ctx.clock,
        CallStarted(attempt=INBOUND_ATTEMPT, call_sid=call.call_sid, number=customer_phone),
        CallConnected(attempt=INBOUND_ATTEMPT, call_sid=call.call_sid),
    )
