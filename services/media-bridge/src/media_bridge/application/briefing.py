"""What the model is told at the start of a call (``session.update``): instructions and
tools for the call's direction. An outbound call is briefed from its request, as our
``call_requests`` projection has it; the receptionist's come from settings."""

from __future__ import annotations

import asyncio

from ringbook.logging import get_logger

from media_bridge.application.ports import ConversationStore
from media_bridge.domain.booking_call import (
    CallRequest,
    SessionSpec,
    fallback_outbound_session,
    inbound_session,
    outbound_session,
)
from media_bridge.domain.call_facts import CallFacts

log = get_logger(__name__)

# How long an outbound call waits for its request to reach our projection: the
# request_received event and Twilio's start race on a fresh request.
REQUEST_LOOKUP_SECONDS = 1.0
LOOKUP_POLL_SECONDS = 0.1


async def session_spec(
    facts: CallFacts,
    store: ConversationStore,
    receptionist_instructions: str,
) -> SessionSpec:
    """The call's briefing; sets ``facts.german`` (the callee's language) on the way."""
    if not facts.outbound:
        return inbound_session(receptionist_instructions)
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
