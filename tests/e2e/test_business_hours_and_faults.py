"""Callee closed (scheduled for the next opening, Berlin time), cancel while scheduled,
and NATS killed mid-flow without losing an accepted request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import nats
import pytest
from ringbook_devtools.system import LocalSystem

from tests.e2e.support import (
    ANSWERS,
    User,
    register,
    running_system,
    types,
)

pytestmark = pytest.mark.e2e
BERLIN = ZoneInfo("Europe/Berlin")
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def hours_closed_now() -> tuple[str, datetime]:
    """Opening hours that exclude this moment: 08:00-09:00 on tomorrow's weekday only."""
    tomorrow = (datetime.now(BERLIN) + timedelta(days=1)).date()
    opening = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 8, tzinfo=BERLIN)
    return f"{DAYS[tomorrow.weekday()]} 08:00-09:00", opening


@pytest.fixture(scope="module")
def closed_system(request: pytest.FixtureRequest) -> Iterator[tuple[LocalSystem, datetime]]:
    spec, opening = hours_closed_now()
    for system in running_system(request, DEFAULT_BUSINESS_HOURS=spec):
        yield system, opening


@pytest.fixture
async def user(closed_system: tuple[LocalSystem, datetime]) -> AsyncIterator[User]:
    async with httpx.AsyncClient(base_url=closed_system[0].gateway, timeout=10) as client:
        yield await register(client)


async def test_closed_callee_is_scheduled_for_its_next_opening(
    closed_system: tuple[LocalSystem, datetime], user: User
) -> None:
    _, opening = closed_system
    request_id = await user.submit(ANSWERS)
    request = await user.wait_for(request_id, lambda r: r["status"] == "outside_business_hours")
    assert types(request) == ["request_received", "scheduled"]
    message = request["timeline"][1]["message"]
    assert opening.strftime("%Y-%m-%d 08:00") in message and "Europe/Berlin" in message


async def test_cancel_while_scheduled(closed_system: tuple[LocalSystem, datetime],
                                      user: User) -> None:
    system, _ = closed_system
    request_id = await user.submit(ANSWERS)
    await user.wait_for(request_id, lambda r: r["status"] == "outside_business_hours")
    response = await user.client.post(f"/api/requests/{request_id}/cancel", headers=user.auth)
    assert response.status_code in (200, 202), response.text
    request = await user.wait_for(request_id, lambda r: r["status"] == "canceled")
    assert types(request)[-1] == "request_canceled"
    again = await user.client.post(f"/api/requests/{request_id}/cancel", headers=user.auth)
    assert again.status_code == 409
    async with httpx.AsyncClient() as client:
        calls = (await client.get(f"{system.url('carrier')}/calls")).json()["calls"]
    assert calls == []


@pytest.fixture
def open_system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, DEFAULT_BUSINESS_HOURS="always", SIMCARRIER_ANSWERED_HOLD_SECONDS="30")


async def test_nats_killed_mid_flow_loses_no_accepted_request(open_system: LocalSystem) -> None:
    system = open_system
    assert system.nats is not None
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        user = await register(client)
        before = [await user.submit(ANSWERS) for _ in range(3)]
        system.nats.kill()
        during = [await user.submit(ANSWERS) for _ in range(5)]  # accepted while NATS is down
        for request_id in during:
            assert (await user.get(request_id))["status"] == "queued"
        await asyncio.sleep(1.0)
        system.nats.start()
        for request_id in before + during:
            request = await user.wait_for(
                request_id, lambda r: r["status"] == "in_progress", within=60)
            assert types(request).count("request_received") == 1
            assert types(request).count("call_started") == 1
    nc = await nats.connect(system.nats_url)
    info = await nc.jetstream().stream_info("REQUESTS")
    await nc.close()
    assert info.state.messages == len(before) + len(during)  # each exactly once
