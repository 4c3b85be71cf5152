"""A business number that takes bookings (seed 004): its slot schedule reaches media-bridge
on the CATALOG stream (consumer ``media-bridge-booking-lines``, real NATS and Postgres),
and a call to it is briefed with the four booking functions, today's date in the
business's time zone and the caller's number, whoever answers. Another tenant's schedule
on the number called gives nothing; a cleared schedule ends the bookings.

What the bridge told the model is read from the SIMULATED realtime model's side."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bridge_harness import Bridge, bridge_serving, eventually, record_client_events
from catalog_feed import CatalogFeed
from ringbook.contracts import bookings as b
from ringbook_devtools.testing.infra import ServerSet
from twilio_peer import SILENCE, TENANT, Twilio, completed_within

SPA_LINE, FOREIGN_LINE, CALLER = "+390212345678", "+390298765432", "+393471000009"
OTHER_TENANT = uuid.uuid4()
BOOKING_NAMES = list(b.BOOKING_FUNCTIONS)


def schedule(number: str, tenant: uuid.UUID, name: str = "Santa Caterina Beauty Farm"
             ) -> tuple[uuid.UUID, b.SlotScheduleSet]:
    business = uuid.uuid4()
    return b.slot_schedule_id("client", business), b.SlotScheduleSet(
        tenant_id=tenant, business_kind="client", business_id=business, business_name=name,
        number=number, timezone="Europe/Rome", reference_prefix="SPA",
        weekly=[b.WeeklySlot(weekday=d, start="10:00", end="12:00", capacity=14)
                for d in range(7)])


@pytest.fixture
def client_events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    return record_client_events(monkeypatch)


@pytest.fixture
async def bridge(infra: ServerSet, fresh_schema: str, fresh_streams: None,
                 client_events: list[dict[str, Any]]) -> AsyncIterator[Bridge]:
    async with bridge_serving(infra, fresh_schema, model_speed=10.0) as running:
        yield running


async def lines(bridge: Bridge) -> dict[str, str]:
    rows = await bridge.pool.fetch("select number, business_name from booking_lines")
    return {r["number"]: r["business_name"] for r in rows}


async def session_of_a_call(bridge: Bridge, events: list[dict[str, Any]], n: int,
                            line: str, caller: str | None = CALLER) -> dict[str, Any]:
    async with bridge.connect() as ws:
        twilio = Twilio(ws, n)
        await twilio.start(tenant_id=str(TENANT), line=line,
                           **({"caller": caller} if caller else {}))
        await twilio.frames([SILENCE] * 5)
        async def briefed() -> bool:
            return any(e["type"] == "session.update" for e in events)

        await eventually(briefed, 10, what="the session.update at the model")
        await twilio.stop()
        await asyncio.wait_for(ws.wait_closed(), 10)
    await completed_within(bridge, 10)
    [update] = [e for e in events if e["type"] == "session.update"]
    events.clear()
    session: dict[str, Any] = update["session"]
    return session


async def test_a_call_on_a_booking_line_gets_the_functions_today_and_the_caller(
    infra: ServerSet, bridge: Bridge, client_events: list[dict[str, Any]]
) -> None:
    feed = CatalogFeed(infra.nats_url, TENANT)
    spa_id, spa = schedule(SPA_LINE, TENANT)
    foreign_id, foreign = schedule(FOREIGN_LINE, OTHER_TENANT, "Another tenant's spa")
    set_spa = feed.event(spa_id, spa)
    await feed.publish(set_spa, feed.event(foreign_id, foreign, tenant_id=OTHER_TENANT))
    await feed.publish(set_spa, again=True)  # a redelivery the inbox must absorb
    await eventually(lambda: _has(bridge, 2), 10, what="both schedules projected")

    session = await session_of_a_call(bridge, client_events, 1, SPA_LINE)
    names = [t["name"] for t in session["tools"]]
    assert names == [*BOOKING_NAMES, "end_call"]
    assert session["tools"][1]["parameters"] == b.BOOKING_FUNCTION_SCHEMAS[
        b.BOOK_SPA_SLOT]["parameters"]
    instructions = session["instructions"]
    [today] = b.TODAY_PATTERN.findall(instructions)
    assert today[2] == "Europe/Rome"
    assert today[1] == datetime.now(UTC).astimezone(ZoneInfo("Europe/Rome")).date().isoformat()
    assert b.CALLER_PATTERN.findall(instructions) == [CALLER]
    assert "Santa Caterina Beauty Farm" in instructions

    # Without a caller number the functions stay; the caller's line is not made up.
    session = await session_of_a_call(bridge, client_events, 2, SPA_LINE, caller=None)
    assert [t["name"] for t in session["tools"]] == [*BOOKING_NAMES, "end_call"]
    assert b.CALLER_PATTERN.findall(session["instructions"]) == []

    # The other tenant's schedule is on the number called, but the call is ours.
    session = await session_of_a_call(bridge, client_events, 3, FOREIGN_LINE)
    assert [t["name"] for t in session["tools"]] == ["end_call"]
    assert b.TODAY_PATTERN.findall(session["instructions"]) == []


async def test_a_cleared_schedule_ends_the_bookings_and_an_older_snapshot_changes_nothing(
    infra: ServerSet, bridge: Bridge, client_events: list[dict[str, Any]]
) -> None:
    feed = CatalogFeed(infra.nats_url, TENANT)
    spa_id, spa = schedule(SPA_LINE, TENANT)
    first = feed.event(spa_id, spa)
    renamed = feed.event(spa_id, spa.model_copy(update={"business_name": "Terme Caterina"}))
    await feed.publish(first, renamed)
    await feed.publish(first, again=True)  # version 1 again, after version 2
    # A schedule published after them: once it is in, version 1 has been handled too.
    sentinel_id, sentinel = schedule(FOREIGN_LINE, TENANT, "Sentinel")
    await feed.emit(sentinel_id, sentinel)
    await eventually(lambda: _has(bridge, 2), 10, what="the sentinel projected")
    assert await lines(bridge) == {SPA_LINE: "Terme Caterina", FOREIGN_LINE: "Sentinel"}

    await feed.emit(spa_id, b.SlotScheduleCleared(
        tenant_id=TENANT, business_kind="client", business_id=spa.business_id,
        number=SPA_LINE))
    await eventually(lambda: _has(bridge, 1), 10, what="the schedule cleared")
    session = await session_of_a_call(bridge, client_events, 4, SPA_LINE)
    assert [t["name"] for t in session["tools"]] == ["end_call"]


async def _has(bridge: Bridge, count: int) -> bool:
    return len(await lines(bridge)) == count
