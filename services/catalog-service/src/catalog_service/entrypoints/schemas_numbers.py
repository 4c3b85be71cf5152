"""Request and response bodies of ``/api/phone-numbers`` (seed 001), ``/api/clients``
(seed 002) and ``/api/business-hours``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from catalog_service.application.phone_numbers import answered_by
from catalog_service.domain.records import ClientRecord, HoursRecord, PhoneNumberRecord
from catalog_service.entrypoints.fields import (
    Body,
    CountryCode,
    CurrencyCode,
    JsonObject,
    Label,
    LongText,
    Name,
    PhoneNumber,
    TimeZone,
    WeeklyHours,
    refuse_null,
)

NumberStatus = Literal["active", "inactive"]


class PhoneNumberChange(Body):
    """PUT: the fields given change; ``assistant_id`` null hands the number to the default
    receptionist. The number itself and its provider cannot change."""

    friendly_name: Label | None = None
    capabilities: JsonObject | None = None
    country: CountryCode | None = None
    region: Label | None = None
    locality: Label | None = None
    monthly_price: Annotated[float, Field(ge=0, le=100_000)] | None = None
    currency: CurrencyCode | None = None
    configuration: JsonObject | None = None
    status: NumberStatus | None = None
    usage: JsonObject | None = None
    assistant_id: uuid.UUID | None = None

    _not_null = field_validator(
        "capabilities", "configuration", "status", "usage")(refuse_null)


class PhoneNumberCreate(PhoneNumberChange):
    """POST: the number, in E.164 or any spelling with its country code."""

    phone_number: PhoneNumber


class AnsweredByOut(BaseModel):
    kind: Literal["assistant", "default_receptionist"]
    id: uuid.UUID | None = None


class PhoneNumberOut(BaseModel):
    id: uuid.UUID
    phone_number: str
    friendly_name: str | None
    capabilities: dict[str, Any]
    country: str | None
    region: str | None
    locality: str | None
    provider: str
    provider_sid: str | None
    monthly_price: float | None
    currency: str | None
    configuration: dict[str, Any]
    status: str
    usage: dict[str, Any]
    assistant_id: uuid.UUID | None
    answered_by: AnsweredByOut
    owner_id: uuid.UUID
    purchased_at: datetime
    last_used: datetime | None = Field(None, description="not tracked yet: always null")
    updated_at: datetime

    @classmethod
    def of(cls, record: PhoneNumberRecord) -> PhoneNumberOut:
        who = answered_by(record)
        return cls(
            id=record.id, owner_id=record.tenant_id, purchased_at=record.created_at,
            updated_at=record.updated_at, **record.state.model_dump(),
            answered_by=AnsweredByOut(kind=who.kind, id=who.assistant_id),
        )


class PhoneNumberReleasedOut(BaseModel):
    id: uuid.UUID
    phone_number: str
    deleted: Literal[True] = True


# --- seed 002's clients ------------------------------------------------------------------


class ClientChange(Body):
    name: Name | None = None
    phone_number: PhoneNumber | None = None
    profession: Label | None = None
    voice_id: Label | None = None
    voice_name: Label | None = None
    system_prompt: LongText | None = None
    is_active: bool | None = None

    _not_null = field_validator("name", "phone_number", "is_active")(refuse_null)


class ClientCreate(ClientChange):
    name: Name
    phone_number: PhoneNumber


class ClientOut(BaseModel):
    id: uuid.UUID
    name: str
    phone_number: str
    profession: str | None
    voice_id: str | None
    voice_name: str | None
    system_prompt: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ClientRecord) -> ClientOut:
        return cls(id=record.id, created_at=record.created_at, updated_at=record.updated_at,
                   **record.state.model_dump())


class ClientEnvelope(BaseModel):
    client: ClientOut


class ClientsEnvelope(BaseModel):
    clients: list[ClientOut]


class ClientDeletedOut(BaseModel):
    message: Literal["Client deleted"] = "Client deleted"


# --- business hours ----------------------------------------------------------------------


class HoursBody(Body):
    """``weekly_hours`` as call-orchestrator reads it (``mon-fri 08:00-18:00``, several
    windows ``08:00-12:00,13:00-18:00``, clauses joined by ``;``, or ``always``);
    ``timezone`` an IANA zone, or null to derive it from the number."""

    weekly_hours: WeeklyHours
    timezone: TimeZone | None = None


class HoursOut(BaseModel):
    number: str
    weekly_hours: str
    timezone: str | None
    updated_at: datetime

    @classmethod
    def of(cls, record: HoursRecord) -> HoursOut:
        return cls(number=record.number, weekly_hours=record.weekly_hours,
                   timezone=record.timezone, updated_at=record.updated_at)


class HoursClearedOut(BaseModel):
    number: str
    cleared: Literal[True] = True
