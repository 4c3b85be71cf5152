"""The catalog's use cases against the in-memory store (``catalog_service.testing``):
which events each command decides, and that a refused command records nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from catalog_service.application import assistant_links as links
from catalog_service.application import assistants, business_hours, clients, phone_numbers, tools
from catalog_service.application.errors import Conflict, InvalidInput, NotFound, UnknownIds
from catalog_service.application.ports import EndpointRefused, NumberNotInAccount, ProvisionedNumber
from catalog_service.application.tools import ToolDefinition, ToolSecrets
from catalog_service.domain.business_hours import BusinessHours
from catalog_service.domain.tool_secrets import MASK, BearerAuth
from catalog_service.testing.fake_store import FakeUnitOfWork
from cryptography.fernet import Fernet
from ringbook.clock import FakeClock
from ringbook.contracts.catalog import AssistantState, ClientState, PhoneNumberUpdated
from ringbook.secret_box import SecretBox
from ringbook.store.event_store import ConcurrencyConflict

CLOCK = FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
A, B = uuid.uuid4(), uuid.uuid4()
NUMBER = "+4930123456"


class AllowAll:
    def __init__(self) -> None:
        self.checked: list[str] = []

    async def check(self, url: str) -> None:
        self.checked.append(url)
        if "10.0.0.1" in url:
            raise EndpointRefused("the URL points at a private or local address")


class Simulated:
    async def import_number(self, number: str) -> ProvisionedNumber:
        if number == "+4930999999":
            raise NumberNotInAccount(f"{number} is not a number of the account")
        return ProvisionedNumber(provider="simulated")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def secrets() -> ToolSecrets:
    return ToolSecrets(SecretBox([Fernet.generate_key().decode()]))


def types(uow: FakeUnitOfWork) -> list[str]:
    return [e.type for e in uow.events]


async def make_tool(uow: FakeUnitOfWork, secrets: ToolSecrets, tenant: uuid.UUID = A,
                    name: str = "kalender") -> uuid.UUID:
    view = await tools.create_tool(uow, CLOCK, secrets, AllowAll(), tenant, definition=
                                   ToolDefinition(name=name, endpoint="https://api.calendar.com/v1"))
    return view.tool.id


async def test_create_assistant_with_links_numbers_its_events(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    tool = await make_tool(uow, secrets)
    view = await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="Bot"),
                                             tool_ids=[tool, tool])
    mine = [e for e in uow.events if e.aggregate_id == view.record.id]
    assert [(e.type, e.version) for e in mine] == [
        ("assistant_created", 1), ("assistant_tool_linked", 2)]
    assert len({e.correlation_id for e in mine}) == 1
    assert view.record.version == 2
    assert [t.id for t in view.links.tools] == [tool]


async def test_another_tenants_tool_cannot_be_linked_and_nothing_is_recorded(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    theirs = await make_tool(uow, secrets, tenant=B)
    before = len(uow.events)
    with pytest.raises(UnknownIds) as refused:
        await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="Bot"),
                                          tool_ids=[theirs])
    assert refused.value.field == "tool_ids" and refused.value.ids == [theirs]
    assert len(uow.events) == before and not uow.data.assistants
    mine = await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="Bot"))
    with pytest.raises(UnknownIds):
        await links.link_tools(uow, CLOCK, A, mine.record.id, [theirs])
    with pytest.raises(NotFound):
        await assistants.get_assistant(uow, B, mine.record.id)


async def test_update_changes_only_the_given_fields_and_replaces_the_links(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    one, two = await make_tool(uow, secrets, name="one"), await make_tool(uow, secrets, name="two")
    view = await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="Bot"),
                                             tool_ids=[one])
    updated = await assistants.update_assistant(uow, CLOCK, A, view.record.id,
                                                {"temperature": 1.2}, tool_ids=[two])
    assert updated.record.state.name == "Bot" and updated.record.state.temperature == 1.2
    assert [t.id for t in updated.links.tools] == [two]
    assert types(uow)[-3:] == ["assistant_updated", "assistant_tool_unlinked",
                               "assistant_tool_linked"]
    # Nothing changed: nothing appended.
    count = len(uow.events)
    await assistants.update_assistant(uow, CLOCK, A, view.record.id, {"temperature": 1.2})
    assert len(uow.events) == count


async def test_a_change_based_on_an_old_version_loses(uow: FakeUnitOfWork) -> None:
    view = await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="Bot"))
    stale = view.record
    await assistants.update_assistant(uow, CLOCK, A, stale.id, {"name": "First"})
    # A second writer that read the same version appends the same next version.
    uow.data.assistants[stale.id] = stale
    with pytest.raises(ConcurrencyConflict):
        await assistants.update_assistant(uow, CLOCK, A, stale.id, {"name": "Second"})
    assert [e.version for e in uow.events if e.aggregate_id == stale.id] == [1, 2]


async def test_deleting_an_assistant_hands_its_numbers_to_the_receptionist(
        uow: FakeUnitOfWork) -> None:
    view = await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="Bot"))
    number = await phone_numbers.add_number(uow, CLOCK, Simulated(), A, {
        "phone_number": NUMBER, "assistant_id": view.record.id})
    assert phone_numbers.answered_by(number).kind == "assistant"
    deletion = await assistants.delete_assistant(uow, CLOCK, A, view.record.id)
    assert deletion.released_numbers == [NUMBER]
    assert types(uow)[-2:] == ["phone_number_updated", "assistant_deleted"]
    handed = uow.events[-2]
    assert isinstance(handed.data, PhoneNumberUpdated) and handed.data.assistant_id is None
    assert handed.aggregate_id == number.id and handed.version == 2
    after = await phone_numbers.get_number(uow, A, number.id)
    assert phone_numbers.answered_by(after).kind == "default_receptionist"


async def test_deleting_a_tool_unlinks_it_from_each_assistant_first(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    tool = await make_tool(uow, secrets)
    first = await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="1"),
                                              tool_ids=[tool])
    second = await assistants.create_assistant(uow, CLOCK, A, AssistantState(name="2"),
                                               tool_ids=[tool])
    unlinked = await tools.delete_tool(uow, CLOCK, A, tool)
    assert sorted(unlinked) == sorted([first.record.id, second.record.id])
    assert types(uow)[-3:] == ["assistant_tool_unlinked", "assistant_tool_unlinked",
                               "tool_deleted"]
    assert (await assistants.get_assistant(uow, A, first.record.id)).links.tools == []


async def test_a_number_is_claimed_once_across_tenants_and_kinds(uow: FakeUnitOfWork) -> None:
    await phone_numbers.add_number(uow, CLOCK, Simulated(), A, {"phone_number": NUMBER})
    count = len(uow.events)
    with pytest.raises(Conflict):
        await phone_numbers.add_number(uow, CLOCK, Simulated(), B, {"phone_number": NUMBER})
    with pytest.raises(Conflict):
        await clients.create_client(uow, CLOCK, A, ClientState(name="Dr", phone_number=NUMBER))
    assert len(uow.events) == count
    record = (await phone_numbers.list_numbers(uow, A))[0]
    await phone_numbers.release_number(uow, CLOCK, A, record.id)
    client = await clients.create_client(uow, CLOCK, B, ClientState(name="Dr",
                                                                    phone_number=NUMBER))
    assert client.state.phone_number == NUMBER


async def test_a_number_not_in_the_carrier_account_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput) as refused:
        await phone_numbers.add_number(uow, CLOCK, Simulated(), A, {"phone_number": "+4930999999"})
    assert refused.value.field == "phone_number"
    assert uow.events == []


async def test_tool_secrets_are_sealed_in_events_and_masked_in_views(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    token = "token-0123456789-abcdef"
    view = await tools.create_tool(uow, CLOCK, secrets, AllowAll(), A, definition=ToolDefinition(
        name="crm", endpoint="https://tools.example.com/crm",
        headers={"X-Api-Key": "key-0123456789-WXYZ"},
        authentication=BearerAuth(type="bearer", token=token)))
    assert view.signing_secret.startswith("whsec_")
    assert view.headers == {"X-Api-Key": MASK + "WXYZ"}
    assert view.authentication == {"type": "bearer", "token": MASK + "cdef"}
    payload = uow.events[-1].to_json().decode()
    for secret in (token, "key-0123456789-WXYZ", view.signing_secret):
        assert secret not in payload
    again = await tools.get_tool(uow, secrets, A, view.tool.id)
    assert again.signing_secret == MASK + view.signing_secret[-4:]


async def test_a_tool_update_with_masked_values_keeps_the_secrets(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    created = await tools.create_tool(uow, CLOCK, secrets, AllowAll(), A, definition=ToolDefinition(
        name="crm", endpoint="https://tools.example.com/crm",
        headers={"X-Api-Key": "key-0123456789-WXYZ"},
        authentication=BearerAuth(type="bearer", token="token-0123456789-abcdef")))
    updated = await tools.update_tool(
        uow, CLOCK, secrets, AllowAll(), A, tool_id=created.tool.id, changes={
            "description": "CRM", "headers": created.headers,
            "authentication": BearerAuth(type="bearer", token=MASK + "cdef")})
    opened = secrets.open(updated.tool.state)
    assert opened.headers == {"X-Api-Key": "key-0123456789-WXYZ"}
    assert opened.authentication == BearerAuth(type="bearer", token="token-0123456789-abcdef")
    assert updated.signing_secret == MASK + created.signing_secret[-4:]
    with pytest.raises(InvalidInput) as refused:
        await tools.update_tool(uow, CLOCK, secrets, AllowAll(), A, tool_id=created.tool.id,
                                changes={"headers": {"X-Api-Key": MASK + "nope"}})
    assert refused.value.field == "headers.X-Api-Key"


async def test_a_private_endpoint_or_a_taken_name_records_nothing(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    with pytest.raises(InvalidInput) as refused:
        await tools.create_tool(uow, CLOCK, secrets, AllowAll(), A, definition=ToolDefinition(
            name="x", endpoint="http://10.0.0.1/"))
    assert refused.value.field == "endpoint" and uow.events == []
    await make_tool(uow, secrets, name="Kalender")
    with pytest.raises(Conflict):
        await make_tool(uow, secrets, name="kalender")
    assert types(uow) == ["tool_created"]
    await make_tool(uow, secrets, tenant=B, name="kalender")  # another tenant's namespace


async def test_rotation_reveals_a_new_signing_secret_once(
        uow: FakeUnitOfWork, secrets: ToolSecrets) -> None:
    tool = await make_tool(uow, secrets)
    created = await tools.get_tool(uow, secrets, A, tool)
    rotated = await tools.update_tool(uow, CLOCK, secrets, AllowAll(), A, tool_id=tool,
                                      changes={}, rotate_signing_secret=True)
    assert rotated.signing_secret.startswith("whsec_")
    assert MASK + rotated.signing_secret[-4:] != created.signing_secret


async def test_business_hours_set_clear_and_set_again_continue_one_history(
        uow: FakeUnitOfWork) -> None:
    hours = BusinessHours(NUMBER, "mon-fri 08:00-18:00", "Europe/Berlin")
    first = await business_hours.set_hours(uow, CLOCK, A, hours)
    await business_hours.set_hours(uow, CLOCK, A, hours)  # the same: nothing appended
    await business_hours.clear_hours(uow, CLOCK, A, NUMBER)
    again = await business_hours.set_hours(uow, CLOCK, A, BusinessHours(NUMBER, "always", None))
    assert [(e.type, e.version) for e in uow.events] == [
        ("business_hours_set", 1), ("business_hours_cleared", 2), ("business_hours_set", 3)]
    assert first.id == again.id
    with pytest.raises(NotFound):
        await business_hours.get_hours(uow, B, NUMBER)  # another tenant's are its own
