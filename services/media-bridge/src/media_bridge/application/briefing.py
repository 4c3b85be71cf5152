"""What the model is told at the start of a call (``session.update``): instructions and
tools for the call's direction.

An outbound call is briefed from its request, as our ``call_requests`` projection has
it. An inbound call is answered by whoever the business number the caller dialled (the
grant's ``line``) is configured for in our CATALOG projection: its assistant, its
client's receptionist, or (a number configured nowhere, no line, or a lookup that
fails or is late) the default receptionist of the settings: the call is answered
either way, and it never waits on catalog-service.

A business number that takes bookings (a slot schedule in our projection, of the call's
own tenant) adds the booking functions to whoever answers (``domain.booking_line``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from ringbook.clock import Clock
from ringbook.logging import get_logger
from ringbook.weekly_hours import callee_timezone

from media_bridge.application.assistant_tools import AssistantServices
from media_bridge.application.ports import ConversationStore
from media_bridge.domain.assistant_session import (
    AssistantProfile,
    ClientProfile,
    LineAnswer,
    assistant_session,
    client_session,
    wanted_voice,
)
from media_bridge.domain.booking_call import (
    CallRequest,
    SessionSpec,
    fallback_outbound_session,
    inbound_session,
    outbound_session,
)
from media_bridge.domain.booking_line import BookingLine, with_bookings
from media_bridge.domain.call_facts import CallFacts

log = get_logger(__name__)

# How long an outbound call waits for its request to reach our projection: the
# request_received event and Twilio's start race on a fresh request.
REQUEST_LOOKUP_SECONDS = 1.0
LOOKUP_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Briefing:
    spec: SessionSpec
    # The assistant answering an inbound call, whose tools the call runs; None otherwise.
    assistant: AssistantProfile | None = None
    # The bookings of the number called, whose functions the call runs; None: it takes none.
    booking: BookingLine | None = None


async def brief(
    facts: CallFacts,
    store: ConversationStore,
    receptionist_instructions: str,
    *,
    services: AssistantServices | None,
    clock: Clock,
) -> Briefing:
    """The call's briefing; sets ``facts.german`` (the callee's language) on the way."""
    if not facts.outbound:
        answer = await _answering(facts, services)
        briefing = _inbound(answer, facts, receptionist_instructions, clock)
        booking = await _booking_line(facts, services)
        if booking is None:
            return briefing
        log.info("inbound_takes_bookings", line=booking.number, caller_known=bool(facts.caller))
        return Briefing(with_bookings(briefing.spec, booking, clock.now(), facts.caller),
                        briefing.assistant, booking)
    return Briefing(await _outbound(facts, store))


def _inbound(answer: LineAnswer | None, facts: CallFacts, default: str,
             clock: Clock) -> Briefing:
    if answer is None:
        return Briefing(inbound_session(default))
    today = _local_today(facts.line, clock)
    if isinstance(answer, ClientProfile):
        spec = client_session(answer, today, default)
        log.info("inbound_answered_by_client", client_id=str(answer.client_id))
        result = Briefing(spec)
    else:
        spec = assistant_session(answer, today, default)
        log.info("inbound_answered_by_assistant", assistant_id=str(answer.assistant_id),
                 tools=[t.name for t in spec.tools], first_message=spec.first_message is not None)
        result = Briefing(spec, answer)
    wanted = wanted_voice(answer)
    if wanted and spec.voice is None:
        log.warning("voice_not_available", voice=wanted[:64],
                    reason="not an OpenAI Realtime voice; the default voice speaks")
    return result


async def _answering(facts: CallFacts, services: AssistantServices | None) -> LineAnswer | None:
    if services is None or not facts.line:
        return None
    try:
        async with asyncio.timeout(services.lookup_timeout_seconds):
            answer = await services.catalog.answering(facts.line)
    except Exception as exc:  # late or failed: the call is answered all the same
        log.error("line_lookup_failed", line=facts.line, error=repr(exc))
        return None
    if answer is not None and answer.tenant_id != facts.tenant_id:
        # The number's owner in our projection is not the call's tenant: one tenant's
        # assistant (and its tools' secrets) must never serve another tenant's call.
        log.error("line_tenant_mismatch", line=facts.line, call_tenant=str(facts.tenant_id),
                  line_tenant=str(answer.tenant_id))
        return None
    return answer


async def _booking_line(facts: CallFacts, services: AssistantServices | None
                        ) -> BookingLine | None:
    if services is None or services.bookings is None or not facts.line:
        return None
    try:
        async with asyncio.timeout(services.lookup_timeout_seconds):
            booking = await services.catalog.booking_line(facts.line)
    except Exception as exc:  # late or failed: the call is answered, without bookings
        log.error("booking_line_lookup_failed", line=facts.line, error=repr(exc))
        return None
    if booking is not None and booking.tenant_id != facts.tenant_id:
        # Another tenant's schedule on this number: its bookings are not this call's.
        log.error("booking_line_tenant_mismatch", line=facts.line,
                  call_tenant=str(facts.tenant_id), line_tenant=str(booking.tenant_id))
        return None
    return booking


def _local_today(line: str | None, clock: Clock) -> date:
    """Today where the business is (its number's zone), for the instructions."""
    return clock.now().astimezone(callee_timezone(line or "", "UTC")).date()


async def _outbound(facts: CallFacts, store: ConversationStore) -> SessionSpec:
    data = None
    if facts.request_id is not None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REQUEST_LOOKUP_SECONDS
        while True:
            try:
                data = await store.call_request(facts.request_id)
            except Exception as exc:
                log.error("call_request_lookup_failed", error=repr(exc))
            if data is not None or loop.time() >= deadline:
                break
            await asyncio.sleep(LOOKUP_POLL_SECONDS)
    if data is None:
        # Still worth the call: the agent introduces itself and asks to be called back.
        # The number called is not known here (only the request says it), so German,
        # the language of the practices Ringbook calls.
        log.warning("call_request_unknown", request_id=str(facts.request_id))
        facts.german = True
        return fallback_outbound_session(None, facts.german)
    request = CallRequest.from_event_data(data)
    facts.german = request.german
    return outbound_session(request)
