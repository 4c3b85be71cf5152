"""Twilio's "A call comes in" webhook: answer with TwiML that greets the caller and
connects the call's audio to media-bridge (seed 004's ``/webhook/incoming-call``).

The signature is checked like every Twilio webhook's (``signed_form``). The stream's
``<Parameter>``s tell media-bridge who is calling and which assistant answers; its
``request_id`` is the session id, so the conversation's events correlate with the
call job's, exactly as for an outbound call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from ringbook.logging import correlation
from ringbook.web.errors import ApiError
from ringbook.web.state import wired
from twilio.twiml.voice_response import Connect, VoiceResponse

from call_orchestrator.application.inbound_calls import (
    InboundSession,
    IncomingCall,
    answer_inbound_call,
)
from call_orchestrator.entrypoints.dependencies import OrchestratorDep
from call_orchestrator.entrypoints.webhooks import signed_form
from call_orchestrator.settings import OrchestratorSettings

router = APIRouter(tags=["twilio"])


@dataclass(frozen=True)
class InboundConfig:
    tenant_id: uuid.UUID
    assistant: str
    greeting: str
    voice: str
    language: str
    media_stream_url: str

    @classmethod
    def from_settings(cls, settings: OrchestratorSettings) -> InboundConfig:
        return cls(
            tenant_id=settings.inbound_tenant_id,
            assistant=settings.inbound_assistant,
            greeting=settings.inbound_greeting,
            voice=settings.inbound_voice,
            language=settings.inbound_language,
            media_stream_url=settings.media_stream_url,
        )


def get_inbound_config(request: Request) -> InboundConfig:
    return wired(request, "inbound", InboundConfig)


InboundConfigDep = Annotated[InboundConfig, Depends(get_inbound_config)]


def inbound_twiml(config: InboundConfig, session: InboundSession) -> str:
    """``<Response><Say/><Connect><Stream url><Parameter .../></Stream></Connect></Response>``."""
    response = VoiceResponse()
    response.say(config.greeting, voice=config.voice, language=config.language)
    connect = Connect()
    stream = connect.stream(url=config.media_stream_url)
    parameters = {
        "customer_phone": session.customer_phone,
        "call_sid": session.call_sid,
        "session_id": str(session.session_id),
        "direction": "inbound",
        "request_id": str(session.session_id),
        "assistant": session.assistant,
        "tenant_id": str(config.tenant_id),
    }
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    return str(response)


@router.post("/webhook/incoming-call", status_code=200)
async def incoming_call(request: Request, orchestrator: OrchestratorDep,
                        config: InboundConfigDep) -> Response:
    params = await signed_form(request)
    call_sid, caller = params.get("CallSid", "").strip(), params.get("From", "").strip()
    if not call_sid or not caller:
        raise ApiError(400, "CallSid and From are required")
    call = IncomingCall(
        call_sid=call_sid, from_number=caller, to_number=params.get("To", "").strip(),
        call_status=params.get("CallStatus", ""), from_country=params.get("FromCountry", ""),
        from_city=params.get("FromCity", ""),
    )
    with correlation(None, call_sid=call_sid):
        session = await answer_inbound_call(
            orchestrator.uow, orchestrator.ctx, call,
            tenant_id=config.tenant_id, assistant=config.assistant,
        )
    return Response(content=inbound_twiml(config, session), media_type="text/xml")
