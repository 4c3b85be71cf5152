"""Twilio webhooks. Every request's ``X-Twilio-Signature`` is checked against the URL
Twilio was given (PUBLIC_BASE_URL + path + query), never the URL we happen to see
behind a proxy, and with the auth token of the account."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from ringbook.logging import correlation
from ringbook.web.errors import ApiError

from call_orchestrator.adapters import job_repository as repo
from call_orchestrator.adapters.twilio_signature import is_valid_twilio_signature
from call_orchestrator.application.carrier_status import UnknownAttempt, apply_carrier_status

router = APIRouter(tags=["twilio"])


async def signed_form(request: Request) -> dict[str, str]:
    state = request.app.state
    form = await request.form()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    url = state.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not is_valid_twilio_signature(state.twilio_auth_token, url, params,
                                     request.headers.get("x-twilio-signature")):
        raise ApiError(403, "Invalid Twilio signature")
    return params


@router.post("/webhook/call-status", status_code=200)
async def call_status(request: Request, attempt_id: uuid.UUID | None = None) -> Response:
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
    pool = request.app.state.runtime.pool
    if attempt_id is None:
        async with pool.acquire() as conn:
            attempt_id = await repo.find_attempt_by_sid(conn, call_sid)
        if attempt_id is None:
            raise ApiError(404, "Unknown call")
    with correlation(None, call_sid=call_sid, attempt_id=str(attempt_id)):
        try:
            await apply_carrier_status(
                pool, request.app.state.orchestration,
                attempt_id=attempt_id, call_sid=call_sid, call_status=status,
                duration_seconds=duration,
            )
        except UnknownAttempt:
            raise ApiError(404, "Unknown call attempt") from None
    return Response(status_code=200)
