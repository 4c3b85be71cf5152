"""Outbound calls obey the requesting tenant's own hours for the number they call
(catalog-service's ``business_hours_set`` on the CATALOG stream, kept in this service's
projection), in the zone those hours name: when the request is scheduled, when a
retry is planned, and again at the moment of dialing (G6). Another tenant calling the
same number keeps the default hours. Under the FakeClock: real Postgres, NATS and the
simulated carrier, or the dialer driven tick by tick."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from call_orchestrator.adapters.unit_of_work import PgTransaction
from call_orchestrator.application.catalog_events import CATALOG_CONSUMER, on_catalog_event
from call_orchestrator.domain.dial_pacing import DialLimits
from dialer_bench import Bench, dialer_bench
from flow_harness import ANSWERS, Harness, has
from orchestrator_catalog_feed import CatalogFeed
from ringbook.contracts.catalog import BusinessHoursSet, business_hours_id
from ringbook.events import new_event
from ringbook.store import inbox
from ringbook_devtools.testing.infra import ServerSet

NEW_YORK = "America/New_York"
# The harness's clock stands at Monday 2026-11-23 10:00 in Berlin (open by the
# defaults, Mon-Fri 08:00-18:00 there); 04:00 in New York.
TUESDAY_8_NEW_YORK = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
WEDNESDAY_8_NEW_YORK = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


def catalog(harness: Harness) -> CatalogFeed:
    return CatalogFeed(harness.js, harness.database_url, harness.schema)


async def test_a_request_waits_for_the_tenants_next_opening_in_their_zone(
    harness: Harness,
) -> None:
    feed = catalog(harness)
    await feed.send(feed.hours(harness.tenant, ANSWERS, "Tue-Fri 08:00-12:00", NEW_YORK))
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("scheduled"))
    scheduled = (await harness.call_events(request_id))[0].data
    assert scheduled.run_at == TUESDAY_8_NEW_YORK  # type: ignore[attr-defined]
    assert scheduled.timezone == NEW_YORK  # type: ignore[attr-defined]

    # Another tenant calling the same number, at the same moment: the defaults, open now.
    other = dataclasses.replace(harness, tenant=uuid.uuid4())
    theirs = await other.submit(ANSWERS)
    assert (await other.wait_types(theirs, has("call_started")))[0] == "call_started"

    # Not dialled before the tenant's opening: the only attempt is stamped with it.
    opening = TUESDAY_8_NEW_YORK + timedelta(seconds=1)
    harness.clock.set(opening)
    types = await harness.wait_types(request_id, has("call_started"), timeout=15)
    assert types[:2] == ["scheduled", "call_started"]
    [attempt] = await harness.fetch(
        "select created_at from call_attempts where request_id = $1", request_id)
    assert attempt["created_at"] == opening


async def test_hours_changed_after_scheduling_are_obeyed_at_dial_time(harness: Harness) -> None:
    feed = catalog(harness)
    await feed.send(feed.hours(harness.tenant, ANSWERS, "tue 08:00-12:00", NEW_YORK))
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("scheduled"))
    # The practice now opens on Wednesdays only; the timer still says Tuesday.
    await feed.send(feed.hours(harness.tenant, ANSWERS, "wed 08:00-12:00", NEW_YORK,
                               version=2))
    harness.clock.set(TUESDAY_8_NEW_YORK + timedelta(seconds=1))
    await harness.wait_types(request_id, lambda types: types.count("scheduled") == 2)
    events = await harness.settled(request_id)
    assert [e.type for e in events] == ["scheduled", "scheduled"]  # taken, not dialled
    assert events[1].data.run_at == WEDNESDAY_8_NEW_YORK  # type: ignore[attr-defined]
    assert events[1].data.timezone == NEW_YORK  # type: ignore[attr-defined]
    assert await harness.attempt_states(request_id) == []

    harness.clock.set(WEDNESDAY_8_NEW_YORK + timedelta(seconds=1))
    types = await harness.wait_types(request_id, has("call_started"), timeout=15)
    assert types[:3] == ["scheduled", "scheduled", "call_started"]


async def test_cleared_hours_give_the_defaults_back(harness: Harness) -> None:
    feed = catalog(harness)
    await feed.send(feed.hours(harness.tenant, ANSWERS, "sun 08:00-09:00"),
                    feed.hours(harness.tenant, ANSWERS, None, version=2))
    request_id = await harness.submit(ANSWERS)
    assert (await harness.wait_types(request_id, has("call_started")))[0] == "call_started"


# -- a retry, planned by the dialer tick by tick ---------------------------------------------

OPENING = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 07:00 in Lisbon, 08:00 Berlin
NUMBER = "+49305550100"


@pytest.fixture
async def bench(infra: ServerSet, fresh_schema: str) -> AsyncIterator[Bench]:
    async with dialer_bench(infra.database_url, fresh_schema, OPENING, max_attempts=2) as b:
        yield b


async def set_hours(bench: Bench, tenant: uuid.UUID, weekly_hours: str, zone: str) -> None:
    """``business_hours_set``, handled as the catalog consumer handles it."""
    event = new_event(BusinessHoursSet(number=NUMBER, weekly_hours=weekly_hours, timezone=zone),
                      aggregate_id=business_hours_id(tenant, NUMBER), version=1,
                      tenant_id=tenant, correlation_id=uuid.uuid4(), clock=bench.clock)
    async with bench.pool.acquire() as conn, conn.transaction():
        assert await inbox.claim(conn, CATALOG_CONSUMER, event.id)
        await on_catalog_event(PgTransaction(conn), event)


async def test_a_retry_is_planned_inside_the_tenants_hours(bench: Bench) -> None:
    tenant = uuid.uuid4()
    # Open five minutes a week, in Lisbon; the default hours would retry at 07:10 UTC.
    await set_hours(bench, tenant, "mon 07:00-07:05", "Europe/Lisbon")
    request_id = await bench.add_job(tenant, OPENING, number=NUMBER)
    dialer = bench.dialer(DialLimits())
    assert (await bench.tick(dialer)).dialed == 1
    await bench.callback(bench.carrier.placed[0], "busy")
    next_monday_7_lisbon = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert await bench.timer(request_id) == (2, next_monday_7_lisbon)
    failed = [data for kind, data in await bench.events(request_id) if kind == "call_failed"]
    assert [(f["retry_at"], f["timezone"]) for f in failed] == [
        ("2026-11-30T07:00:00Z", "Europe/Lisbon")]
