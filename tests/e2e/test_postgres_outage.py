"""Postgres stopped for three minutes under load: 50 requests in flight (callees that
book, callees that are busy and are retried), the shared Postgres stopped the way a
restart or failover stops it, and started again. Afterwards every request reaches its
final status by itself, nothing is dead-lettered in any service, and no attempt was
dialled twice.

Three minutes outlast every backoff of the old consumers (about two minutes to
``max_deliver``) and the carrier callbacks' retries; the sleep is the outage itself.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from ringbook_devtools.system import SERVICES, LocalSystem
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import ANSWERS, BUSY, User, register, running_system

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 180.0
REQUESTS = 50
MAX_ATTEMPTS = 3
EXPECTED = {ANSWERS: "booked", BUSY: "failed"}
FINAL = {"booked", "failed", "canceled"}


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(
        request,
        DEFAULT_BUSINESS_HOURS="always",
        CALL_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
        # Busy callees are retried 10 s apart: their retries fall due during the outage.
        CALL_RETRY_DELAY_SECONDS="10",
        # Long enough for the simulated practice to finish booking before it hangs up.
        SIMCARRIER_ANSWERED_HOLD_SECONDS="60",
        # Unthrottled dialing, so 50 requests and their retries are dialled promptly.
        CARRIER_CALLS_PER_SECOND="50",
        CARRIER_DIAL_BURST="50",
        TENANT_MAX_CONCURRENT_CALLS=str(REQUESTS),
        # Calls whose status callbacks were lost in the outage (answered 5xx; Twilio does
        # not retry them) are looked up at the carrier this soon, not after 2 and 15 min.
        CARRIER_CHECK_PLACED_SECONDS="20",
        CARRIER_CHECK_CONNECTED_SECONDS="90",
        CONVERSATION_REPORT_GRACE_SECONDS="20",
    )


@pytest.fixture
async def user(system: LocalSystem) -> AsyncIterator[User]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        yield await register(client)


async def carrier_calls(system: LocalSystem) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        calls: list[dict[str, Any]] = (await client.get(f"{system.url('carrier')}/calls")).json()[
            "calls"]
    return calls


async def statuses(user: User, request_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for request_id in request_ids:
        response = await user.client.get(f"/api/requests/{request_id}", headers=user.auth)
        if response.status_code == 200:
            found[request_id] = response.json()["status"]
    return found


async def dead_letters_by_schema(system: LocalSystem) -> dict[str, list[dict[str, Any]]]:
    conn = await asyncpg.connect(system.database_url)
    try:
        schemas = [r["table_schema"] for r in await conn.fetch(
            "select table_schema from information_schema.tables"
            " where table_name = 'dead_letters' order by 1")]
        return {
            schema: [dict(r) for r in await conn.fetch(
                f'select consumer, subject, reason from "{schema}".dead_letters')]
            for schema in schemas
        }
    finally:
        await conn.close()


async def readiness(system: LocalSystem) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    async with httpx.AsyncClient(timeout=5) as client:
        for name in SERVICES:
            try:
                response = await client.get(f"{system.url(name)}/ready")
                found[name] = (response.status_code, response.text)
            except httpx.HTTPError as exc:
                found[name] = (0, repr(exc))
    return found


def attempt_of(call: dict[str, Any]) -> str:
    """The attempt a carrier call was placed for: the id in its status callback URL."""
    query = parse_qs(urlsplit(str(call.get("status_callback") or "")).query)
    return query.get("attempt_id", ["?"])[0]


@pytest.mark.timeout(720)
async def test_postgres_stopped_for_three_minutes_with_fifty_requests_in_flight(
    system: LocalSystem, user: User
) -> None:
    assert system.postgres is not None, "needs the embedded Postgres to stop and start"
    numbers = [ANSWERS if i % 2 == 0 else BUSY for i in range(REQUESTS)]
    request_ids = [await user.submit(number) for number in numbers]
    expected = dict(zip(request_ids, (EXPECTED[n] for n in numbers), strict=True))

    async def calls_under_way() -> bool:
        return len(await carrier_calls(system)) >= REQUESTS // 2

    await eventually(calls_under_way, within=120, what=f"{REQUESTS // 2} calls placed")
    before = await statuses(user, request_ids)
    in_flight = [r for r in request_ids if before.get(r) not in FINAL]
    assert len(in_flight) >= REQUESTS // 2, f"too few requests in flight to prove much: {before}"

    system.postgres.halt()
    await asyncio.sleep(OUTAGE_SECONDS)
    system.postgres.start()

    latest: dict[str, str] = {}

    async def all_final() -> bool:
        latest.update(await statuses(user, request_ids))
        return all(latest.get(r) in FINAL for r in request_ids)

    # Every check is made and reported together: one failing says little about the others.
    problems: list[str] = []
    try:
        await eventually(all_final, within=240, what="every request final")
    except AssertionError as exc:
        problems.append(f"{exc}: {Counter(latest.values())}")
    wrong = {r: (latest.get(r), want) for r, want in expected.items() if latest.get(r) != want}
    if wrong:
        problems.append(f"{len(wrong)} requests not in their expected final status: {wrong}")

    dead = await dead_letters_by_schema(system)
    missing = {name.replace("-", "_") for name in SERVICES} - set(dead)
    if missing:
        problems.append(f"schemas without a dead_letters table: {missing}")
    if any(dead.values()):
        problems.append(f"dead letters: { {s: rows for s, rows in dead.items() if rows} }")

    calls = await carrier_calls(system)
    twice = {a: n for a, n in Counter(attempt_of(c) for c in calls).items() if n > 1}
    if twice:
        problems.append(f"attempts dialled twice: {twice}")
    per_stream_attempt = Counter(
        (c["stream"]["parameters"].get("request_id"), c["stream"]["parameters"].get("attempt"))
        for c in calls if c.get("stream") and "attempt" in c["stream"]["parameters"])
    twice_by_request = {k: n for k, n in per_stream_attempt.items() if n > 1}
    if twice_by_request:
        problems.append(f"(request, attempt) dialled twice: {twice_by_request}")
    busy_calls = sum(1 for c in calls if c["to"] == "+49305550101")
    if busy_calls != MAX_ATTEMPTS * numbers.count(BUSY):
        problems.append(f"{busy_calls} calls to the busy callee, expected "
                        f"{MAX_ATTEMPTS * numbers.count(BUSY)}")

    unready = {name: body for name, (code, body) in (await readiness(system)).items()
               if code != 200}
    if unready:
        problems.append(f"services not ready after the outage: {unready}")
    assert not problems, "\n".join(problems)
