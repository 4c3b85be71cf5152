"""An inbound call, as the carrier announces it, and the session it is given.

An inbound call has no request behind it, so it gets a session of its own: the session
id plays the request id's part (the call job's id, the correlation id of every event of
the call and of its conversation), so the timeline, analytics and media-bridge treat an
inbound call like an outbound one. The carrier may announce the same call more than
once (it retries a slow webhook); every announcement of one CallSid gets the same
session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

# An inbound call has exactly one attempt: the call that came in.
INBOUND_ATTEMPT = 1


@dataclass(frozen=True)
class IncomingCall:
    """What Twilio tells us about a call that comes in."""

    call_sid: str
    from_number: str  # as Twilio sent it
    to_number: str
    call_status: str = ""
    from_country: str = ""
    from_city: str = ""


@dataclass(frozen=True)
class InboundSession:
    """The session an inbound call was given (the same for every retry of its webhook)."""

    call_sid: str
    session_id: uuid.UUID
    tenant_id: uuid.UUID
    customer_phone: str
    to_number: str
    assistant: str
    created: bool  # False when this delivery was a retry
