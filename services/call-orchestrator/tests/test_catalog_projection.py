"""call-orchestrator's projection of the CATALOG stream (numbers' owners and tenants'
business hours), kept by its durable consumer from the real stream: snapshots upserted,
numbers moved, releases and deletions applied, versions in order per aggregate, a
redelivery without a second effect, and hours that can never be obeyed dead-lettered
without wedging their aggregate."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import nats
import pytest
from call_orchestrator.adapters.catalog_repository import PgCatalogProjection
from call_orchestrator.application.catalog_events import CATALOG_CONSUMER
from call_orchestrator.domain.catalog import ConfiguredHours, NumberOwner
from flow_harness import orchestrator
from orchestrator_catalog_feed import CatalogFeed
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
X, Y = "+49305550170", "+49305550171"
T1, T2 = uuid.UUID(int=0x71), uuid.UUID(int=0x72)


@pytest.fixture
async def feed(infra: ServerSet, fresh_schema: str, fresh_streams: None
               ) -> AsyncIterator[CatalogFeed]:
    nc = await nats.connect(infra.nats_url)
    try:
        # No call is placed here: the carrier's and media's URLs only have to parse.
        async with orchestrator(infra, fresh_schema, FakeClock(NOW), "http://127.0.0.1:9",
                                "ws://127.0.0.1:9"):
            yield CatalogFeed(nc.jetstream(), infra.database_url, fresh_schema)
    finally:
        await nc.close()


async def read(feed: CatalogFeed) -> tuple[asyncpg.Connection, PgCatalogProjection]:
    conn = await asyncpg.connect(feed.database_url,
                                 server_settings={"search_path": feed.schema})
    return conn, PgCatalogProjection(conn)


async def owners(feed: CatalogFeed, *numbers: str) -> list[NumberOwner | None]:
    conn, catalog = await read(feed)
    try:
        return [await catalog.owner_of(number) for number in numbers]
    finally:
        await conn.close()


async def hours(feed: CatalogFeed, tenant: uuid.UUID, number: str) -> ConfiguredHours | None:
    conn, catalog = await read(feed)
    try:
        return await catalog.hours_for(tenant, number)
    finally:
        await conn.close()


async def test_phone_numbers_and_clients_name_their_tenant(feed: CatalogFeed) -> None:
    number_id, client_id = uuid.uuid4(), uuid.uuid4()
    await feed.send(feed.number(T1, number_id, X), feed.client(T2, client_id, Y))
    assert await owners(feed, X, Y, "+49305550179") == [
        NumberOwner(T1, "phone_number", number_id), NumberOwner(T2, "client", client_id), None]


async def test_a_snapshot_naming_another_number_moves_the_owner(feed: CatalogFeed) -> None:
    number_id, client_id = uuid.uuid4(), uuid.uuid4()
    await feed.send(feed.number(T1, number_id, X), feed.number(T1, number_id, Y, version=2))
    assert await owners(feed, X, Y) == [None, NumberOwner(T1, "phone_number", number_id)]
    await feed.send(feed.client(T2, client_id, X), feed.client(T2, client_id, "+49 30 5550172",
                                                                version=2))
    assert await owners(feed, X, "+49305550172") == [None, NumberOwner(T2, "client", client_id)]


async def test_released_numbers_and_deleted_clients_belong_to_nobody(feed: CatalogFeed) -> None:
    number_id, client_id = uuid.uuid4(), uuid.uuid4()
    await feed.send(feed.number(T1, number_id, X), feed.client(T1, client_id, Y))
    await feed.send(feed.released(T1, number_id, X, version=2),
                    feed.client_deleted(T1, client_id, Y, version=2))
    assert await owners(feed, X, Y) == [None, None]


async def test_versions_apply_in_order_and_a_redelivery_has_no_second_effect(
    feed: CatalogFeed,
) -> None:
    number_id = uuid.uuid4()
    first, second = feed.number(T1, number_id, X), feed.number(T1, number_id, Y, version=2)
    # The later snapshot arrives first: it waits for the earlier one, never the reverse.
    await feed.publish(second)
    await feed.publish(first)
    await feed.applied(first, second)
    assert await owners(feed, X, Y) == [None, NumberOwner(T1, "phone_number", number_id)]
    # The first snapshot again, past JetStream's de-duplication: the inbox skips it.
    await feed.publish(first, msg_id=f"{first.id}-redelivered")
    await feed.drained()
    assert await owners(feed, X, Y) == [None, NumberOwner(T1, "phone_number", number_id)]
    conn, _ = await read(feed)
    try:
        position = await conn.fetchval(
            "select last_version from aggregate_positions where consumer = $1"
            " and aggregate_id = $2", CATALOG_CONSUMER, number_id)
        rows = await conn.fetchval("select count(*) from catalog_numbers")
    finally:
        await conn.close()
    assert (position, rows) == (2, 1)


async def test_a_number_belongs_to_its_newest_snapshot_while_an_old_owner_lags(
    feed: CatalogFeed,
) -> None:
    old_owner, new_owner = uuid.uuid4(), uuid.uuid4()
    # catalog-service's order: the old owner had X, moved to Y, then the new one took X.
    had, moved = feed.number(T1, old_owner, X), feed.number(T1, old_owner, Y, version=2)
    took = feed.number(T2, new_owner, X)
    # Delivered otherwise: the new owner's snapshot, then the old owner's first one.
    await feed.send(took, had)
    assert await owners(feed, X) == [NumberOwner(T2, "phone_number", new_owner)]
    await feed.send(moved)
    assert await owners(feed, X, Y) == [NumberOwner(T2, "phone_number", new_owner),
                                        NumberOwner(T1, "phone_number", old_owner)]


async def test_business_hours_are_the_tenants_own_until_cleared(feed: CatalogFeed) -> None:
    await feed.send(feed.hours(T1, X, "Mon-Fri 09:00-17:00"))
    assert await hours(feed, T1, X) == ConfiguredHours("Mon-Fri 09:00-17:00", None)
    assert await hours(feed, T2, X) is None  # another tenant calling X keeps the defaults
    await feed.send(feed.hours(T1, X, "sat 10:00-14:00", "America/New_York", version=2))
    assert await hours(feed, T1, X) == ConfiguredHours("sat 10:00-14:00", "America/New_York")
    await feed.send(feed.hours(T1, X, None, version=3))
    assert await hours(feed, T1, X) is None


async def test_hours_that_cannot_be_obeyed_are_dead_lettered_and_later_ones_apply(
    feed: CatalogFeed,
) -> None:
    broken = feed.hours(T1, X, "mon 25:00-26:00")
    unknown_zone = feed.hours(T1, X, "mon 08:00-12:00", "Mars/Olympus_Mons", version=2)
    fixed = feed.hours(T1, X, "mon 08:00-12:00", "Europe/Vienna", version=3)
    for event in (broken, unknown_zone, fixed):
        await feed.publish(event)
    await feed.drained()
    assert await hours(feed, T1, X) == ConfiguredHours("mon 08:00-12:00", "Europe/Vienna")
    conn, _ = await read(feed)
    try:
        letters = await conn.fetch(
            "select version, reason from dead_letters where consumer = $1 order by version",
            CATALOG_CONSUMER)
    finally:
        await conn.close()
    assert [r["version"] for r in letters] == [1, 2]
    assert "25:00" in letters[0]["reason"] and "Mars/Olympus_Mons" in letters[1]["reason"]
