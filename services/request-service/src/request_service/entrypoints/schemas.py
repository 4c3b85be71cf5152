"""The HTTP shapes of the gateway (seed 000 and seed 002), as pydantic models.

Every string is bounded: an unbounded field is a way to fill our database and every
consumer's memory with one request. Times are ISO 8601 with an explicit offset
(``2026-11-23T09:00:00+00:00``); phone numbers are answered in E.164.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from ringbook.contracts.request_status import RequestStatus
from ringbook.contracts.requests import UserProfile
from ringbook.phone import InvalidPhoneNumber, to_e164

from request_service.domain import users

IsoDatetime = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]


def _text(max_length: int, *, min_length: int = 1) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# ---------------------------------------------------------------- auth (seed 002)


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, Field(max_length=users.MAX_EMAIL_LENGTH)]
    # Passwords are never trimmed: a trailing space is part of what the user chose.
    password: Annotated[
        str, Field(min_length=users.MIN_PASSWORD_LENGTH, max_length=users.MAX_PASSWORD_LENGTH)
    ]
    name: Annotated[str, _text(users.MAX_NAME_LENGTH)]


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not EmailStr: a malformed address simply matches no account (401, like any other).
    email: Annotated[str, _text(users.MAX_EMAIL_LENGTH)]
    password: Annotated[str, Field(min_length=1, max_length=users.MAX_PASSWORD_LENGTH)]


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str


class UserDetailOut(UserOut):
    created_at: IsoDatetime


class SessionOut(BaseModel):
    token: str
    user: UserOut


class MeOut(BaseModel):
    user: UserDetailOut


# ----------------------------------------------------- process-request (seed 000)


class UserProfileIn(BaseModel):
    """Seed 000's ``user_profile``: on whose behalf we call; every field optional."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, _text(200, min_length=0)] | None = None
    street: Annotated[str, _text(200, min_length=0)] | None = None
    house_number: Annotated[str, _text(20, min_length=0)] | None = None
    postal_code: Annotated[str, _text(20, min_length=0)] | None = None
    city: Annotated[str, _text(200, min_length=0)] | None = None
    country: Annotated[str, _text(100, min_length=0)] | None = None

    def to_contract(self) -> UserProfile:
        return UserProfile(**self.model_dump())


class ProcessRequestBody(BaseModel):
    """Seed 000's body. ``number_to_call`` is nullable in the seed, but a request with
    nobody to call cannot be carried out, so it is required here (422 when missing)."""

    model_config = ConfigDict(extra="forbid")

    request_id: uuid.UUID
    user_id: uuid.UUID
    title: Annotated[str, _text(200)]
    description: Annotated[str, _text(4000, min_length=0)]
    callback_number: Annotated[str, Field(max_length=64)]
    number_to_call: Annotated[str, Field(max_length=64)]
    preferred_time: Annotated[str, _text(200)]
    user_profile: UserProfileIn

    @field_validator("callback_number", "number_to_call")
    @classmethod
    def _e164(cls, value: str, info: ValidationInfo) -> str:
        field = info.field_name or "phone"
        try:
            return to_e164(value, field=field)
        except InvalidPhoneNumber as exc:
            # A custom error keeps the message exactly the reason ("… is not a valid
            # phone number for Germany (+49)"), without pydantic's "Value error, ".
            raise PydanticCustomError("phone_number", "{reason}", {"reason": exc.reason}) from None


class AcceptedOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    request_id: uuid.UUID
    message: str


class SeedErrorOut(BaseModel):
    """Seed 000's error body, used by ``POST /api/process-request`` only."""

    status: Literal["error"] = "error"
    request_id: str | None
    error: str


# ------------------------------------------------------------------- reads


class TimelineOut(BaseModel):
    type: str
    message: str
    created_at: IsoDatetime


class RequestSummaryOut(BaseModel):
    request_id: uuid.UUID
    status: RequestStatus
    title: str
    description: str
    number_to_call: str
    callback_number: str
    preferred_time: str
    summary: str | None
    created_at: IsoDatetime
    updated_at: IsoDatetime


class RequestOut(RequestSummaryOut):
    timeline: list[TimelineOut]


class RequestPageOut(BaseModel):
    requests: list[RequestSummaryOut]
    total: int
    limit: int
    offset: int


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, _text(500)] | None = None


class CancelAcceptedOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    request_id: uuid.UUID
    message: str
    request_status: RequestStatus
