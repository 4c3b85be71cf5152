"""A call request (seed 000) as the gateway accepts, stores and shows it."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from ringbook.contracts.request_status import TERMINAL, RequestStatus
from ringbook.contracts.requests import RequestReceived, UserProfile


@dataclass(frozen=True)
class Owner:
    """Whose request it is. Every read filters on both ids: another tenant's request
    is indistinguishable from one that does not exist."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID


@dataclass(frozen=True)
class CallRequest:
    """A validated submission: strings trimmed and bounded, phone numbers in E.164."""

    request_id: uuid.UUID
    user_id: uuid.UUID
    title: str
    description: str
    callback_number: str
    number_to_call: str
    preferred_time: str
    user_profile: UserProfile

    def received(self) -> RequestReceived:
        return RequestReceived(
            user_id=self.user_id,
            title=self.title,
            description=self.description,
            callback_number=self.callback_number,
            number_to_call=self.number_to_call,
            preferred_time=self.preferred_time,
            user_profile=self.user_profile,
        )

    def fingerprint(self) -> str:
        """sha256 of the normalized body. A client retrying after a lost response sends
        the same body (perhaps spelled differently: ``+49 30 5550100`` and
        ``+49305550100`` are one number), which must be recognised as the same request;
        any real difference must not."""
        body = {"request_id": str(self.request_id), **self.received().model_dump(mode="json")}
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class RequestRecord:
    """One row of the requests read model."""

    request_id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    title: str
    description: str
    callback_number: str
    number_to_call: str
    preferred_time: str
    status: RequestStatus
    summary: str | None
    body_hash: str
    created_at: datetime
    updated_at: datetime

    def owned_by(self, owner: Owner) -> bool:
        return self.tenant_id == owner.tenant_id and self.user_id == owner.user_id

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a request's story; ``seq`` orders a request's entries in commit
    order and is the SSE event id a reconnecting client resumes from."""

    seq: int
    type: str
    message: str
    status: RequestStatus
    occurred_at: datetime
