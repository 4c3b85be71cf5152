"""Who and what a call is: read from Twilio's ``start`` (the ``<Parameter>``s
call-orchestrator put into the TwiML) and, for outbound calls, from the request."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

OUTBOUND = "outbound"
INBOUND = "inbound"


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _attempt(value: str | None) -> int:
    try:
        return max(0, int(value or "1"))
    except ValueError:
        return 1


@dataclass
class CallFacts:
    call_sid: str | None = None
    direction: str = INBOUND
    request_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    attempt: int = 1
    german: bool = False  # the callee's language, known once the session is briefed

    @property
    def outbound(self) -> bool:
        return self.direction == OUTBOUND

    @classmethod
    def from_stream(cls, call_sid: str, params: Mapping[str, str]) -> CallFacts:
        """Parameters we cannot read (missing, not a UUID) stay unknown rather than
        failing the call: the caller is on the line either way."""
        return cls(
            call_sid=call_sid,
            direction=OUTBOUND if params.get("direction") == OUTBOUND else INBOUND,
            request_id=_uuid(params.get("request_id")),
            tenant_id=_uuid(params.get("tenant_id")),
            attempt=_attempt(params.get("attempt")),
        )
