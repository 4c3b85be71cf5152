"""Who and what a call is: the verified grant of its stream token (minted by
call-orchestrator for this one call) and, for outbound calls, the request as our
projection has it. Never the ``start`` message's own parameters: anyone can write those."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ringbook.stream_tokens import CallDirection, StreamGrant

OUTBOUND = CallDirection.OUTBOUND.value
INBOUND = CallDirection.INBOUND.value


@dataclass
class CallFacts:
    call_sid: str | None = None
    direction: str = INBOUND
    request_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    attempt: int = 1
    german: bool = False  # the callee's language, known once the session is briefed
    # Inbound: the business number the caller dialled (E.164), which picks who answers.
    line: str | None = None
    # Inbound: who calls (E.164) when known; the booking functions book for this number.
    caller: str | None = None

    @property
    def outbound(self) -> bool:
        return self.direction == OUTBOUND

    @classmethod
    def from_grant(cls, grant: StreamGrant) -> CallFacts:
        return cls(
            call_sid=grant.call_sid,
            direction=grant.direction.value,
            request_id=grant.request_id,
            tenant_id=grant.tenant_id,
            attempt=grant.attempt,
            line=grant.line,
            caller=grant.caller,
        )
