"""analytics-service end to end against real Postgres and nats-server: envelopes published
to JetStream, consumed by the projection, read back through the HTTP API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
import pytest
from analytics_service.testing import RequestFlow, publish
from call_log_harness import InProcessAnalytics, running_analytics
from ringbook.auth import Principal
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import NotReached, eventually

# In the past on purpose: PyJWT checks a token's "iat" against the wall clock, so a fake
# clock ahead of real time would mint tokens the service refuses (see the report).
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CLOCK = FakeClock(NOW)
STATUSES = (
    "queued",
    "outside_business_hours",
    "calling",
    "in_progress",
    "waiting_for_callback",
    "booked",
    "failed",
    "canceled",
)


def by_status(**counts: int) -> dict[str, int]:
    return {s: counts.get(s, 0) for s in STATUSES}


# --- the service under test ------------------------------------------------------------------


@dataclass
class Service(InProcessAnalytics):
    """The in-process service, with this module's requests-per-day helpers."""

    def token(self, tenant_id: uuid.UUID) -> str:
        principal = Principal(user_id=uuid.uuid4(), tenant_id=tenant_id, email="a@b.c", name=None)
        return self.runtime.tokens.issue(principal)

    async def per_day(self, tenant_id: uuid.UUID, days: int = 30) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/api/analytics/requests-per-day",
            params={"days": days},
            headers={"Authorization": f"Bearer {self.token(tenant_id)}"},
        )
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    async def wait_for(
        self, tenant_id: uuid.UUID, expected: list[dict[str, Any]], days: int = 30
    ) -> None:
        last: list[dict[str, Any]] = []

        async def matches() -> bool:
            nonlocal last
            last = await self.per_day(tenant_id, days)
            return last == expected

        try:
            await eventually(matches, 20, poll=0.1)
        except NotReached:
            raise AssertionError(f"expected {expected}, last answer {last}") from None

    async def drained(self, durable: str, stream: str, messages: int) -> None:
        """Wait until the consumer has acked ``messages`` stream messages."""

        async def done() -> bool:
            info = await self.js.consumer_info(stream, durable)
            return info.ack_floor.stream_seq >= messages and info.num_ack_pending == 0

        await eventually(done, 20, poll=0.1)


@pytest.fixture
async def service(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Service]:
    async with running_analytics(infra, fresh_schema, CLOCK) as (app, client, _):
        yield Service(app, client)


def day(d: date, total: int, **counts: int) -> dict[str, Any]:
    return {"date": d.isoformat(), "total": total, "by_status": by_status(**counts)}


TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)
LAST_WEEK = TODAY - timedelta(days=7)


# --- tests -----------------------------------------------------------------------------------


async def test_counts_every_status_per_day(service: Service) -> None:
    tenant = uuid.uuid4()
    yesterday = NOW - timedelta(days=1)
    flows: list[tuple[RequestFlow, list[str]]] = []

    def flow(at: datetime, *steps: str) -> None:
        flows.append((RequestFlow(tenant, at, CLOCK), list(steps)))

    flow(yesterday)  # queued
    flow(yesterday, "started", "connected", "booking", "booked", "completed")  # booked
    flow(yesterday, "scheduled")  # outside_business_hours
    flow(yesterday, "canceled")  # canceled
    flow(NOW, "started")  # calling
    flow(NOW, "started", "connected")  # in_progress
    flow(NOW, "started", "failed_retry")  # waiting_for_callback
    flow(NOW, "started", "failed_final", "completed")  # failed
    # Canceled, then a call starts anyway: whichever stream is applied first, the status
    # machine keeps the request canceled (canceled is terminal; call_started is refused).
    flow(NOW, "canceled", "started")
    # Booked, then a stray retry failure: refused, still booked.
    flow(NOW, "started", "connected", "booked", "failed_retry")

    for f, steps in flows:
        events = [f.received()]
        for step in steps:
            if step == "failed_retry":
                events.append(f.failed(retry=True))
            elif step == "failed_final":
                events.append(f.failed(retry=False))
            else:
                events.append(getattr(f, step)())
        await publish(service.js, *events)

    await service.wait_for(
        tenant,
        [
            day(TODAY, 6, calling=1, in_progress=1, waiting_for_callback=1, failed=1,
                canceled=1, booked=1),
            day(YESTERDAY, 4, queued=1, booked=1, outside_business_hours=1, canceled=1),
        ],
    )
    # days=1 is today only.
    assert await service.per_day(tenant, days=1) == [
        day(TODAY, 6, calling=1, in_progress=1, waiting_for_callback=1, failed=1, canceled=1,
            booked=1)
    ]
    # The analysts' view holds the same numbers.
    rows = await service.runtime.pool.fetch(
        "select day, status, requests from requests_per_day where tenant_id = $1"
        " order by day, status",
        tenant,
    )
    assert [(r["day"], r["status"], r["requests"]) for r in rows] == [
        (YESTERDAY, "booked", 1),
        (YESTERDAY, "canceled", 1),
        (YESTERDAY, "outside_business_hours", 1),
        (YESTERDAY, "queued", 1),
        (TODAY, "booked", 1),
        (TODAY, "calling", 1),
        (TODAY, "canceled", 1),
        (TODAY, "failed", 1),
        (TODAY, "in_progress", 1),
        (TODAY, "waiting_for_callback", 1),
    ]


async def test_days_window_and_tenant_isolation(service: Service) -> None:
    tenant_a, tenant_b, tenant_c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a_today = RequestFlow(tenant_a, NOW, CLOCK)
    a_old = RequestFlow(tenant_a, NOW - timedelta(days=7), CLOCK)
    b_today = RequestFlow(tenant_b, NOW, CLOCK)
    await publish(service.js, a_today.received(), a_old.received(), b_today.received())
    await publish(service.js, b_today.started())

    await service.wait_for(tenant_a, [day(TODAY, 1, queued=1), day(LAST_WEEK, 1, queued=1)])
    await service.wait_for(tenant_b, [day(TODAY, 1, calling=1)])
    assert await service.per_day(tenant_a, days=7) == [day(TODAY, 1, queued=1)]
    assert await service.per_day(tenant_a, days=8) == [
        day(TODAY, 1, queued=1),
        day(LAST_WEEK, 1, queued=1),
    ]
    assert await service.per_day(tenant_c) == []


async def test_call_events_before_their_request_still_end_in_the_right_status(
    service: Service,
) -> None:
    tenant = uuid.uuid4()
    f = RequestFlow(tenant, NOW, CLOCK)
    received = f.received()
    started, connected = f.started(), f.connected()
    # CALLS first, and out of version order, then the request itself.
    await publish(service.js, connected, started)
    # Sentinel: another tenant's request, whose call event follows ours on CALLS. Once it
    # is counted, the consumer has had ours in hand before it, and must have kept them.
    sentinel = RequestFlow(uuid.uuid4(), NOW, CLOCK)
    await publish(service.js, sentinel.received(), sentinel.started())
    await service.wait_for(sentinel.tenant_id, [day(TODAY, 1, calling=1)])
    assert await service.per_day(tenant) == []
    await publish(service.js, received)
    await service.wait_for(tenant, [day(TODAY, 1, in_progress=1)])
    dead = await service.runtime.pool.fetchval("select count(*) from dead_letters")
    assert dead == 0


async def test_a_duplicate_publish_counts_once(service: Service) -> None:
    tenant = uuid.uuid4()
    f = RequestFlow(tenant, NOW, CLOCK)
    received, started = f.received(), f.started()
    await publish(service.js, received, started)
    # Same envelopes under other message ids: past JetStream's de-duplication, so only
    # the consumers' inbox can tell they are the same events.
    await publish(service.js, received, msg_id="duplicate-1")
    await publish(service.js, started, msg_id="duplicate-2")
    await service.drained("analytics-requests", "REQUESTS", 2)
    await service.drained("analytics-calls", "CALLS", 2)
    assert await service.per_day(tenant) == [day(TODAY, 1, calling=1)]
    handled = await service.runtime.pool.fetchval(
        "select count(*) from inbox where event_id = any($1::uuid[])"
        " and consumer in ('analytics-requests', 'analytics-calls')",
        [received.id, started.id],
    )
    assert handled == 2


async def test_requests_need_a_valid_token(service: Service) -> None:
    url = "/api/analytics/requests-per-day"
    missing = await service.client.get(url)
    assert missing.status_code == 401
    assert missing.json() == {"error": "Missing or malformed Authorization header"}
    for token in ("garbage", jwt.encode({"sub": "x"}, "another-secret-of-at-least-32-bytes!")):
        bad = await service.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert bad.status_code == 401
        assert bad.json() == {"error": "Invalid or expired token"}


@pytest.mark.parametrize("days", ["0", "367", "-1", "many"])
async def test_days_out_of_range_is_422(service: Service, days: str) -> None:
    token = service.token(uuid.uuid4())
    response = await service.client.get(
        "/api/analytics/requests-per-day",
        params={"days": days},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "Invalid request"
    assert response.json()["details"][0]["field"] == "query.days"
