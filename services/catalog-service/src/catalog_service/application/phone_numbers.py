"""Phone numbers a business owns (seed 001's ``phone_numbers``), and who answers them.

A number routes to exactly one business across all tenants: its phone number (or a
client, seed 002) claims it in the transaction of its first event, and a second claim
fails there (NumberTaken, whatever the race). With a carrier behind the catalog
(``NumberProvisioning``), adding a number first imports it from the carrier account,
which then sends the number's calls to call-orchestrator; that request is made before
the transaction, never inside it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.catalog import (
    PhoneNumberAdded,
    PhoneNumberReleased,
    PhoneNumberState,
    PhoneNumberUpdated,
)
from ringbook.ids import new_id

from catalog_service.application.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ProvisioningFailed,
)
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import (
    CatalogTransaction,
    NumberNotInAccount,
    NumberProvisioning,
    NumberTaken,
    ProvisioningUnavailable,
    UnitOfWork,
)
from catalog_service.domain.numbers import country_of
from catalog_service.domain.records import PhoneNumberRecord

PHONE_NUMBER = "Phone number"


def taken(number: str) -> Conflict:
    return Conflict(f"The number {number} is already taken (by a phone number or a client)")


@dataclass(frozen=True)
class Answerer:
    """Who answers a number's calls: one of the tenant's assistants, or the default
    receptionist (``assistant_id`` None)."""

    assistant_id: uuid.UUID | None

    @property
    def kind(self) -> str:
        return "default_receptionist" if self.assistant_id is None else "assistant"


def answered_by(record: PhoneNumberRecord) -> Answerer:
    return Answerer(record.state.assistant_id)


async def _own_assistant(tx: CatalogTransaction, tenant_id: uuid.UUID,
                         assistant_id: uuid.UUID | None) -> None:
    if assistant_id is None:
        return
    # Locked (share): the assistant cannot be deleted until this number's event commits,
    # so its deletion always sees the numbers it answers.
    if await tx.assistants.get(tenant_id, assistant_id, lock="share") is None:
        raise InvalidInput("assistant_id", f"no assistant {assistant_id} of yours")


async def get_number(uow: UnitOfWork, tenant_id: uuid.UUID, number_id: uuid.UUID
                     ) -> PhoneNumberRecord:
    async with uow.transaction() as tx:
        record = await tx.numbers.get(tenant_id, number_id)
    if record is None:
        raise NotFound(PHONE_NUMBER)
    return record


async def list_numbers(uow: UnitOfWork, tenant_id: uuid.UUID) -> list[PhoneNumberRecord]:
    async with uow.transaction() as tx:
        return await tx.numbers.all(tenant_id)


async def add_number(uow: UnitOfWork, clock: Clock, provisioning: NumberProvisioning,
                     tenant_id: uuid.UUID, fields: dict[str, Any]) -> PhoneNumberRecord:
    """``fields``: PhoneNumberState's, validated (``phone_number`` in E.164)."""
    number: str = fields["phone_number"]
    async with uow.transaction() as tx:
        if await tx.is_claimed(number):  # spare the carrier a request that cannot succeed
            raise taken(number)
        await _own_assistant(tx, tenant_id, fields.get("assistant_id"))
    try:
        imported = await provisioning.import_number(number)
    except NumberNotInAccount as exc:
        raise InvalidInput("phone_number", str(exc)) from None
    except ProvisioningUnavailable as exc:
        raise ProvisioningFailed(str(exc)) from None
    state = PhoneNumberState.model_validate({
        "friendly_name": imported.friendly_name,
        "capabilities": imported.capabilities,
        "country": country_of(number),
        **{k: v for k, v in fields.items() if v is not None},
        "provider": imported.provider,
        "provider_sid": imported.provider_sid,
    })
    number_id = new_id()
    async with uow.transaction() as tx:
        await _own_assistant(tx, tenant_id, state.assistant_id)
        batch = EventBatch(tenant_id, clock)
        batch.add(number_id, PhoneNumberAdded(**state.model_dump()), after=0)
        try:
            await tx.record(batch.events)
        except NumberTaken:
            raise taken(number) from None
        record = await tx.numbers.get(tenant_id, number_id)
    assert record is not None
    return record


async def update_number(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                        number_id: uuid.UUID, changes: dict[str, Any]) -> PhoneNumberRecord:
    """Change the given fields (``assistant_id`` None: the default receptionist answers).
    Optimistic: loses to a concurrent writer."""
    async with uow.transaction() as tx:
        if "assistant_id" in changes:
            await _own_assistant(tx, tenant_id, changes["assistant_id"])
        record = await tx.numbers.get(tenant_id, number_id)
        if record is None:
            raise NotFound(PHONE_NUMBER)
        state = PhoneNumberState.model_validate({**record.state.model_dump(), **changes})
        if state != record.state:
            batch = EventBatch(tenant_id, clock)
            batch.add(number_id, PhoneNumberUpdated(**state.model_dump()), after=record.version)
            await tx.record(batch.events)
            record = await tx.numbers.get(tenant_id, number_id)
    assert record is not None
    return record


async def release_number(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                         number_id: uuid.UUID) -> PhoneNumberRecord:
    """The number leaves the catalog and its claim is freed."""
    async with uow.transaction() as tx:
        record = await tx.numbers.get(tenant_id, number_id, lock="update")
        if record is None:
            raise NotFound(PHONE_NUMBER)
        batch = EventBatch(tenant_id, clock)
        batch.add(number_id, PhoneNumberReleased(phone_number=record.state.phone_number),
                  after=record.version)
        await tx.record(batch.events)
    return record
