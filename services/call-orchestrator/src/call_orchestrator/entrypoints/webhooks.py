"""Twilio webhooks. Every request's ``X-Twilio-Signature`` is checked against the URL
Twilio was given (PUBLIC_BASE_URL + path + query), never the URL we happen to see
behind a proxy, and with the auth token of the account."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from ringbook.logging import correlation
from ringbook.web.errors import ApiError

from call_orchestrator.adapters.twilio_signature import is_valid_twilio_signature
from call_orchestrator.application.carrier_status import (
    UnknownAttempt,
    apply_carrier_status,
    attempt_of_call,
)
from call_orchestrator.entrypoints.dependencies import OrchestratorDep, get_twilio_webhook_auth

router = APIRouter(tags=["twilio"])


async def signed_form(request: Request) -> dict[str, str]:
    """The webhook's form parameters, once its signature is found valid (else 403)."""
    auth = await get_twilio_webhook_auth(request)
    form = await request.form()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    url = auth.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not is_valid_twilio_signature(auth.auth_token, url, params,
                                     request.headers.get("x-twilio-signature")):
        raise ApiError(403, "Invalid Twilio signature")
    return params


@router.post("/webhook/call-status", status_code=200)
async def call_status(request: Request, orchestrator: OrchestratorDep,
                      attempt_id: uuid.UUID | None = None) -> Response:
    """Twilio's status callback (seed 004's call-status). An outbound attempt's callback
    URL names the attempt (``?attempt_id=``); an inbound call's (configured on the
    number) does not, so its attempt is found by the CallSid."""
    params = await signed_form(request)
    call_sid, status = params.get("CallSid"), params.get("CallStatus")
    if not call_sid or not status:
        raise ApiError(400, "CallSid and CallStatus are required")
    try:
        duration = float(params.get("CallDuration") or 0)
    except ValueError:
        raise ApiError(400, "CallDuration must be a number") from None
    if attempt_id is None:
        attempt_id = await attempt_of_call(orchestrator.uow, call_sid)
        if attempt_id is None:
            raise ApiError(404, "Unknown call")
    with correlation(None, call_sid=call_sid, attempt_id=str(attempt_id)):
        try:
            await apply_carrier_status(
                orchestrator.uow, orchestrator.ctx,
                attempt_id=attempt_id, call_sid=call_sid, call_status=status,
                duration_seconds=duration,
            )
        except UnknownAttempt:
            raise ApiError(404, "Unknown call attempt") from None
    return Response(status_code=200)
