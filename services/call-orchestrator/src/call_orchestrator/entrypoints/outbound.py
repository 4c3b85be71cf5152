"""Twilio's answer webhook of our outbound calls: ``POST /webhook/outbound-call``.

The dialer creates each call with ``Url=<PUBLIC_BASE_URL>/webhook/outbound-call?
attempt_id=<attempt>``; Twilio posts here (signed, with the CallSid) when the callee
answers and runs the TwiML we answer: the media stream with a stream token minted for
this call, or ``<Hangup/>`` when the call must not talk
(:mod:`call_orchestrator.application.outbound_answer`).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from ringbook.logging import correlation, get_logger
from ringbook.stream_tokens import TOKEN_PARAMETER, CallDirection
from ringbook.web.errors import ApiError

from call_orchestrator.adapters.twiml import hangup_twiml, stream_twiml
from call_orchestrator.application.outbound_answer import HangUp, answer_outbound_call
from call_orchestrator.entrypoints.dependencies import OrchestratorDep, StreamTokensDep
from call_orchestrator.entrypoints.webhooks import signed_form

ANSWER_PATH = "/webhook/outbound-call"

router = APIRouter(tags=["twilio"])
log = get_logger(__name__)


@router.post(ANSWER_PATH, status_code=200)
async def outbound_call_answered(
    request: Request, attempt_id: uuid.UUID, orchestrator: OrchestratorDep,
    tokens: StreamTokensDep,
) -> Response:
    params = await signed_form(request)
    call_sid = params.get("CallSid", "").strip()
    if not call_sid:
        raise ApiError(400, "CallSid is required")
    with correlation(None, call_sid=call_sid, attempt_id=str(attempt_id)):
        answer = await answer_outbound_call(
            orchestrator.uow, attempt_id=attempt_id, call_sid=call_sid
        )
        if isinstance(answer, HangUp):
            log.info("outbound_call_hung_up_at_answer", reason=answer.reason)
            return Response(content=hangup_twiml(), media_type="text/xml")
        token = tokens.mint(call_sid=answer.call_sid, tenant_id=answer.tenant_id,
                            request_id=answer.request_id, attempt=answer.attempt,
                            direction=CallDirection.OUTBOUND)
        log.info("outbound_call_streamed", request_id=str(answer.request_id),
                 attempt=answer.attempt)
    twiml = stream_twiml(orchestrator.ctx.media_stream_url, {TOKEN_PARAMETER: token})
    return Response(content=twiml, media_type="text/xml")
