"""Twilio's "A call comes in" webhook: answer with TwiML that greets the caller and
connects the call's audio to media-bridge (seed 004's ``/webhook/incoming-call``).

The signature is checked like every Twilio webhook's (``signed_form``). The stream's
only ``<Parameter>`` is a stream token minted for this call (its call sid, the tenant
owning the number called, the session id as its request, attempt 1, direction
inbound, and the line: the number called, in E.164, which picks the assistant that
answers): media-bridge admits the stream with it and believes nothing else the stream
says, and the session
id makes the conversation's events correlate with the call job's, exactly as for an
outbound call. A retried webhook gets a fresh token for the same session: whichever
answer Twilio runs, its stream opens once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from ringbook.logging import correlation
from ringbook.stream_tokens import TOKEN_PARAMETER, CallDirection, StreamTokens
from ringbook.web.errors import ApiError
from ringbook.web.rate_limits import RateLimitExceeded, RateLimits
from ringbook.web.state import wired

from call_orchestrator.adapters.twiml import Greeting, stream_twiml
from call_orchestrator.application.inbound_calls import (
    INBOUND_ATTEMPT,
    InboundSession,
    IncomingCall,
    answer_inbound_call,
    business_line,
)
from call_orchestrator.entrypoints.dependencies import OrchestratorDep, StreamTokensDep
from call_orchestrator.entrypoints.webhooks import signed_form
from call_orchestrator.settings import INCOMING_CALLS, OrchestratorSettings

router = APIRouter(tags=["twilio"])


@dataclass(frozen=True)
class InboundConfig:
    # The tenant of calls to a number no tenant configured in catalog-service.
    default_tenant_id: uuid.UUID
    assistant: str
    greeting: str
    voice: str
    language: str
    media_stream_url: str
    # Incoming calls per business number (the number called).
    limits: RateLimits

    @classmethod
    def from_settings(cls, settings: OrchestratorSettings) -> InboundConfig:
        return cls(
            default_tenant_id=settings.inbound_tenant_id,
            assistant=settings.inbound_assistant,
            greeting=settings.inbound_greeting,
            voice=settings.inbound_voice,
            language=settings.inbound_language,
            media_stream_url=settings.media_stream_url,
            limits=RateLimits({INCOMING_CALLS: settings.incoming_call_rate_limit}),
        )


async def get_inbound_config(request: Request) -> InboundConfig:
    return wired(request, "inbound", InboundConfig)


InboundConfigDep = Annotated[InboundConfig, Depends(get_inbound_config)]


def inbound_twiml(config: InboundConfig, session: InboundSession, tokens: StreamTokens) -> str:
    """``<Response><Say/><Connect><Stream url><Parameter stream_token/></Stream></Connect>
    </Response>``."""
    token = tokens.mint(call_sid=session.call_sid, tenant_id=session.tenant_id,
                        request_id=session.session_id, attempt=INBOUND_ATTEMPT,
                        direction=CallDirection.INBOUND, line=business_line(session.to_number),
                        caller=business_line(session.customer_phone))
    greeting = Greeting(config.greeting, config.voice, config.language)
    return stream_twiml(config.media_stream_url, {TOKEN_PARAMETER: token}, greeting)


@router.post("/webhook/incoming-call", status_code=200)
async def incoming_call(request: Request, orchestrator: OrchestratorDep,
                        config: InboundConfigDep, tokens: StreamTokensDep) -> Response:
    params = await signed_form(request)
    call_sid, caller = params.get("CallSid", "").strip(), params.get("From", "").strip()
    if not call_sid or not caller:
        raise ApiError(400, "CallSid and From are required")
    to_number = params.get("To", "").strip()
    try:
        # After the signature: an unsigned flood must not use up a business's calls.
        config.limits.hit(INCOMING_CALLS, business_line(to_number) or to_number)
    except RateLimitExceeded as exc:
        raise exc.as_api_error() from None
    call = IncomingCall(
        call_sid=call_sid, from_number=caller, to_number=to_number,
        call_status=params.get("CallStatus", ""), from_country=params.get("FromCountry", ""),
        from_city=params.get("FromCity", ""),
    )
    with correlation(None, call_sid=call_sid):
        session = await answer_inbound_call(
            orchestrator.uow, orchestrator.ctx, call,
            default_tenant_id=config.default_tenant_id, assistant=config.assistant,
        )
    twiml = inbound_twiml(config, session, tokens)
    return Response(content=twiml, media_type="text/xml")
