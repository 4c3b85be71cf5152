"""The read models as projections of the catalog's own events, applied in the
transaction that appends them (``PgCatalogTransaction.record``).

One function per event type. A snapshot event rewrites its row; a link event changes
the link table and moves the assistant's version; a deletion deletes the row (its
links go with it by cascade: a deletion ends links). A phone number or a client claims
its number in ``number_claims``; a claim that finds the number taken raises
NumberTaken, and the whole transaction, its events included, rolls back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import orjson
from ringbook.contracts import bookings as b
from ringbook.contracts import catalog as c
from ringbook.events import Envelope
from ringbook.store.database import Conn

from catalog_service.adapters.pg_repositories import ASSISTANTS, CLIENTS, PHONE_NUMBERS, TOOLS
from catalog_service.application.ports import DuplicateToolName, NumberTaken

Projector = Callable[[Conn, Envelope], Awaitable[None]]
_TOOL_NAME_INDEX = "tools_tenant_name"


async def _claim(conn: Conn, event: Envelope, number: str, kind: str) -> None:
    claimed = await conn.fetchval(
        "insert into number_claims (number, tenant_id, kind, holder_id, claimed_at)"
        " values ($1, $2, $3, $4, $5) on conflict (number) do nothing returning true",
        number, event.tenant_id, kind, event.aggregate_id, event.occurred_at,
    )
    if not claimed:
        raise NumberTaken(number)


async def _release(conn: Conn, event: Envelope) -> None:
    await conn.execute("delete from number_claims where holder_id = $1", event.aggregate_id)


async def _delete(conn: Conn, table: str, event: Envelope) -> None:
    await conn.execute(f"delete from {table} where id = $1", event.aggregate_id)


# --- assistants ------------------------------------------------------------------------


async def assistant_created(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.AssistantCreated)
    state = c.AssistantState(**e.data.model_dump())
    await ASSISTANTS.insert(conn, e, state)


async def assistant_updated(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.AssistantUpdated)
    state = c.AssistantState(**e.data.model_dump())
    await ASSISTANTS.update(conn, e, state)


async def assistant_deleted(conn: Conn, e: Envelope) -> None:
    await _delete(conn, "assistants", e)


async def assistant_tool_linked(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.AssistantToolLinked)
    await conn.execute(
        "insert into assistant_tools (assistant_id, tool_id, linked_at) values ($1, $2, $3)",
        e.aggregate_id, e.data.tool_id, e.occurred_at)
    await ASSISTANTS.bump(conn, e)


async def assistant_tool_unlinked(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.AssistantToolUnlinked)
    await conn.execute("delete from assistant_tools where assistant_id = $1 and tool_id = $2",
                       e.aggregate_id, e.data.tool_id)
    await ASSISTANTS.bump(conn, e)


async def assistant_file_linked(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.AssistantFileLinked)
    await conn.execute(
        "insert into assistant_files (assistant_id, file_id, settings, linked_at)"
        " values ($1, $2, $3::jsonb, $4)",
        e.aggregate_id, e.data.file_id, orjson.dumps(e.data.settings).decode(), e.occurred_at)
    await ASSISTANTS.bump(conn, e)


async def assistant_file_link_configured(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.AssistantFileLinkConfigured)
    await conn.execute(
        "update assistant_files set settings = $3::jsonb where assistant_id = $1 and file_id = $2",
        e.aggregate_id, e.data.file_id, orjson.dumps(e.data.settings).decode())
    await ASSISTANTS.bump(conn, e)


async def assistant_file_unlinked(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.AssistantFileUnlinked)
    await conn.execute("delete from assistant_files where assistant_id = $1 and file_id = $2",
                       e.aggregate_id, e.data.file_id)
    await ASSISTANTS.bump(conn, e)


# --- tools -----------------------------------------------------------------------------


async def _tool_write(write: Awaitable[None], name: str) -> None:
    try:
        await write
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == _TOOL_NAME_INDEX:
            raise DuplicateToolName(name) from None
        raise


async def tool_created(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.ToolCreated)
    state = c.ToolState(**e.data.model_dump())
    await _tool_write(TOOLS.insert(conn, e, state), state.name)


async def tool_updated(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.ToolUpdated)
    state = c.ToolState(**e.data.model_dump())
    await _tool_write(TOOLS.update(conn, e, state), state.name)


async def tool_deleted(conn: Conn, e: Envelope) -> None:
    await _delete(conn, "tools", e)


# --- knowledge files (the API's events; the extraction worker writes its own) ---------


async def file_uploaded(conn: Conn, e: Envelope) -> None:
    d = e.data
    assert isinstance(d, c.FileUploaded)
    await conn.execute(
        "insert into knowledge_files (id, tenant_id, filename, original_name, file_type,"
        " file_size, s3_url, description, status, version, created_at, updated_at)"
        " values ($1, $2, $3, $4, $5, $6, $7, $8, 'uploading', $9, $10, $10)",
        e.aggregate_id, e.tenant_id, d.filename, d.original_name, d.file_type, d.file_size,
        d.s3_url, d.description, e.version, e.occurred_at)


async def file_updated(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.FileUpdated)
    status = await conn.execute(
        "update knowledge_files set filename = $3, description = $4, version = $2,"
        " updated_at = $5 where id = $1 and version = $2 - 1",
        e.aggregate_id, e.version, e.data.filename, e.data.description, e.occurred_at)
    if status != "UPDATE 1":
        raise AssertionError(f"knowledge_files {e.aggregate_id}: version {e.version} out of step")


async def file_deleted(conn: Conn, e: Envelope) -> None:
    await _delete(conn, "knowledge_files", e)


# --- phone numbers and clients ---------------------------------------------------------


async def phone_number_added(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.PhoneNumberAdded)
    state = c.PhoneNumberState(**e.data.model_dump())
    await _claim(conn, e, state.phone_number, "phone_number")
    await PHONE_NUMBERS.insert(conn, e, state)


async def phone_number_updated(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.PhoneNumberUpdated)
    state = c.PhoneNumberState(**e.data.model_dump())
    await PHONE_NUMBERS.update(conn, e, state)


async def phone_number_released(conn: Conn, e: Envelope) -> None:
    await _delete(conn, "phone_numbers", e)
    await _release(conn, e)


async def client_created(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.ClientCreated)
    state = c.ClientState(**e.data.model_dump())
    await _claim(conn, e, state.phone_number, "client")
    await CLIENTS.insert(conn, e, state)


async def client_updated(conn: Conn, e: Envelope) -> None:
    assert isinstance(e.data, c.ClientUpdated)
    state = c.ClientState(**e.data.model_dump())
    claimed = await conn.fetchval("select number from number_claims where holder_id = $1",
                                  e.aggregate_id)
    if claimed != state.phone_number:  # a new number: claim it, free the old one
        await _release(conn, e)
        await _claim(conn, e, state.phone_number, "client")
    await CLIENTS.update(conn, e, state)


async def client_deleted(conn: Conn, e: Envelope) -> None:
    await _delete(conn, "clients", e)
    await _release(conn, e)


# --- business hours --------------------------------------------------------------------


async def business_hours_set(conn: Conn, e: Envelope) -> None:
    d = e.data
    assert isinstance(d, c.BusinessHoursSet)
    await conn.execute(
        "insert into business_hours (id, tenant_id, number, weekly_hours, timezone, version,"
        " updated_at) values ($1, $2, $3, $4, $5, $6, $7)"
        " on conflict (id) do update set weekly_hours = excluded.weekly_hours,"
        " timezone = excluded.timezone, version = excluded.version,"
        " updated_at = excluded.updated_at",
        e.aggregate_id, e.tenant_id, d.number, d.weekly_hours, d.timezone, e.version,
        e.occurred_at)


async def business_hours_cleared(conn: Conn, e: Envelope) -> None:
    await _delete(conn, "business_hours", e)


# --- slot schedules and bookings (seed 004) -------------------------------------------


async def slot_schedule_set(conn: Conn, e: Envelope) -> None:
    d = e.data
    assert isinstance(d, b.SlotScheduleSet)
    weekly = orjson.dumps([s.model_dump(mode="json") for s in d.weekly]).decode()
    exceptions = orjson.dumps([x.model_dump(mode="json") for x in d.exceptions]).decode()
    await conn.execute(
        "insert into slot_schedules (id, tenant_id, business_kind, business_id, business_name,"
        " number, timezone, reference_prefix, weekly, exceptions, version, updated_at)"
        " values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12)"
        " on conflict (id) do update set business_name = excluded.business_name,"
        " number = excluded.number, timezone = excluded.timezone,"
        " reference_prefix = excluded.reference_prefix, weekly = excluded.weekly,"
        " exceptions = excluded.exceptions, version = excluded.version,"
        " updated_at = excluded.updated_at",
        e.aggregate_id, e.tenant_id, d.business_kind, d.business_id, d.business_name, d.number,
        d.timezone, d.reference_prefix, weekly, exceptions, e.version, e.occurred_at)


async def slot_schedule_cleared(conn: Conn, e: Envelope) -> None:
    await _delete(conn, "slot_schedules", e)


async def _booking_table_is_the_state(conn: Conn, e: Envelope) -> None:
    # A booking's rows (bookings, slots.booked) are written by the booking's own
    # statements in the transaction that appends its event (application.bookings).
    return None


PROJECTORS: dict[str, Projector] = {
    "slot_schedule_set": slot_schedule_set,
    "slot_schedule_cleared": slot_schedule_cleared,
    "booking_made": _booking_table_is_the_state,
    "booking_cancelled": _booking_table_is_the_state,
    "assistant_created": assistant_created,
    "assistant_updated": assistant_updated,
    "assistant_deleted": assistant_deleted,
    "assistant_tool_linked": assistant_tool_linked,
    "assistant_tool_unlinked": assistant_tool_unlinked,
    "assistant_file_linked": assistant_file_linked,
    "assistant_file_link_configured": assistant_file_link_configured,
    "assistant_file_unlinked": assistant_file_unlinked,
    "tool_created": tool_created,
    "tool_updated": tool_updated,
    "tool_deleted": tool_deleted,
    "file_uploaded": file_uploaded,
    "file_updated": file_updated,
    "file_deleted": file_deleted,
    "phone_number_added": phone_number_added,
    "phone_number_updated": phone_number_updated,
    "phone_number_released": phone_number_released,
    "client_created": client_created,
    "client_updated": client_updated,
    "client_deleted": client_deleted,
    "business_hours_set": business_hours_set,
    "business_hours_cleared": business_hours_cleared,
}


async def project(conn: Conn, event: Envelope) -> None:
    try:
        projector = PROJECTORS[event.type]
    except KeyError:
        raise ValueError(f"catalog-service does not record {event.type} events") from None
    await projector(conn, event)
