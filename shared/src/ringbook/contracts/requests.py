"""Events of the ``requests`` context, owned by request-service (aggregate ``request``)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from ringbook.contracts.catalogue import register
from ringbook.contracts.streams import REQUESTS
from ringbook.events import EventData

AGGREGATE = "request"


class UserProfile(BaseModel):
    """On whose behalf we call (seed 000's ``user_profile``); every field optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str | None = None
    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


class RequestReceived(EventData):
    user_id: uuid.UUID
    title: str
    description: str
    callback_number: str  # E.164
    number_to_call: str  # E.164
    preferred_time: str
    user_profile: UserProfile

    def message(self) -> str:
        return f"Request received: {self.title}"


class RequestCanceled(EventData):
    reason: str | None = None

    def message(self) -> str:
        return "Request canceled by the user" + (f": {self.reason}" if self.reason else "")


register("request_received", aggregate=AGGREGATE, stream=REQUESTS, model=RequestReceived)
register("request_canceled", aggregate=AGGREGATE, stream=REQUESTS, model=RequestCanceled)
