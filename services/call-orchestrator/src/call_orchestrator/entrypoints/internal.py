"""Service-to-service endpoints (bearer INTERNAL_TOKEN): media-bridge asks us to end a
call through the one Telephony port, so only call-orchestrator talks to the carrier."""

from __future__ import annotations

import re

from fastapi import APIRouter, Response
from ringbook.logging import correlation
from ringbook.web.errors import ApiError
from ringbook.web.security import InternalCaller

from call_orchestrator.application.telephony import CallRejected, TelephonyUnavailable
from call_orchestrator.entrypoints.dependencies import OrchestratorDep

router = APIRouter(prefix="/internal", tags=["internal"])
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")


@router.post("/calls/{call_sid}/hangup", status_code=204)
async def hang_up(call_sid: str, orchestrator: OrchestratorDep, _: InternalCaller) -> Response:
    """End a live call; idempotent (an ended call answers 204 too)."""
    if not _CALL_SID.match(call_sid):
        raise ApiError(422, "call_sid must be a Twilio call sid (CA + 32 hex digits)")
    with correlation(None, call_sid=call_sid):
        try:
            await orchestrator.ctx.telephony.hang_up(call_sid)
        except CallRejected as exc:
            raise ApiError(404, "Unknown call", str(exc)) from None
        except TelephonyUnavailable as exc:
            raise ApiError(503, "Carrier unavailable", str(exc)) from None
    return Response(status_code=204)
