"""A first dial that fails before the carrier ever confirmed it (no ``call_started``)
and is retried: the projection shows ``waiting_for_callback``, as its timeline entry
("retrying at ...") says, whether the request was queued or waiting for opening hours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from request_service.testing import Api, Bus, User, wait_until
from ringbook.contracts.calls import CallFailed, CallStarted, Scheduled
from ringbook.events import EventData

RETRY_AT = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)
UNCONFIRMED = CallFailed(attempt=1, call_sid=None, reason="the carrier never confirmed the call",
                         retry_at=RETRY_AT, timezone="Europe/Berlin")


class Request:
    """One request of a registered user, fed call events as call-orchestrator would."""

    def __init__(self, api: Api, bus: Bus, user: User, request_id: uuid.UUID) -> None:
        self.api, self.bus, self.user, self.request_id = api, bus, user, request_id
        self.version = 0

    async def publish(self, data: EventData) -> None:
        self.version += 1
        await self.bus.publish(self.bus.call_event(
            data, request_id=self.request_id, version=self.version,
            tenant_id=self.user.tenant_id))

    async def until(self, status: str, entries: int) -> dict[str, object]:
        async def reached() -> bool:
            body = await self.api.get(self.user, self.request_id)
            return body["status"] == status and len(body["timeline"]) >= entries

        await wait_until(reached, what=f"status {status} with {entries} entries")
        return await self.api.get(self.user, self.request_id)

    async def rows(self) -> list[tuple[str, str]]:
        rows = await self.api.runtime.pool.fetch(
            "select type, status from request_timeline where request_id = $1 order by seq",
            self.request_id,
        )
        return [(r["type"], r["status"]) for r in rows]


async def scenario(api: Api, bus: Bus) -> Request:
    user = await api.register()
    return Request(api, bus, user, await api.new_request(user))


async def test_a_queued_request_whose_first_dial_failed_waits_for_the_retry(
    api: Api, bus: Bus
) -> None:
    s = await scenario(api, bus)
    await s.publish(UNCONFIRMED)
    body = await s.until("waiting_for_callback", 2)
    timeline = body["timeline"]
    assert isinstance(timeline, list)
    assert "retrying at Mon 2025-11-24 11:00 CET" in timeline[-1]["message"]
    await s.publish(CallStarted(attempt=2, call_sid="CA2", number="+49987654321"))
    await s.until("calling", 3)
    assert await s.rows() == [
        ("request_received", "queued"),
        ("call_failed", "waiting_for_callback"),
        ("call_started", "calling"),
    ]


async def test_a_scheduled_request_whose_first_dial_failed_waits_for_the_retry(
    api: Api, bus: Bus
) -> None:
    s = await scenario(api, bus)
    await s.publish(Scheduled(run_at=RETRY_AT, timezone="Europe/Berlin"))
    await s.until("outside_business_hours", 2)
    await s.publish(UNCONFIRMED)
    await s.until("waiting_for_callback", 3)
    assert await s.rows() == [
        ("request_received", "queued"),
        ("scheduled", "outside_business_hours"),
        ("call_failed", "waiting_for_callback"),
    ]
