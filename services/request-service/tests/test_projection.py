"""The CALLS projection: events published on the real stream move statuses as the
status table allows, land on the timeline exactly once, and in version order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from request_service.testing import Api, Bus, User
from ringbook.contracts.calls import (
    BookingConfirmed,
    BookingInProgress,
    CallCompleted,
    CallConnected,
    CallFailed,
    CallStarted,
    Scheduled,
)
from ringbook.events import EventData
from ringbook_devtools.testing.waiting import eventually

RETRY_AT = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)


def started(attempt: int = 1) -> CallStarted:
    return CallStarted(attempt=attempt, call_sid=f"CA{attempt}", number="+49987654321")


def failed(attempt: int, retry_at: datetime | None) -> CallFailed:
    return CallFailed(
        attempt=attempt, call_sid=f"CA{attempt}", reason="no answer", retry_at=retry_at,
        timezone="Europe/Berlin",
    )


class Scenario:
    def __init__(self, api: Api, bus: Bus, user: User, request_id: uuid.UUID) -> None:
        self.api, self.bus, self.user, self.request_id = api, bus, user, request_id
        self.version = 0

    async def publish(self, data: EventData, version: int | None = None) -> None:
        if version is None:
            self.version += 1
            version = self.version
        event = self.bus.call_event(
            data, request_id=self.request_id, version=version, tenant_id=self.user.tenant_id
        )
        await self.bus.publish(event)

    async def state(self) -> dict[str, Any]:
        return await self.api.get(self.user, self.request_id)

    async def until(self, status: str, entries: int) -> dict[str, Any]:
        async def reached() -> bool:
            body = await self.state()
            return body["status"] == status and len(body["timeline"]) >= entries

        await eventually(reached, what=f"status {status} with {entries} entries")
        return await self.state()

    async def rows(self) -> list[tuple[str, str]]:
        rows = await self.api.runtime.pool.fetch(
            "select type, status from request_timeline where request_id = $1 order by seq",
            self.request_id,
        )
        return [(r["type"], r["status"]) for r in rows]


async def scenario(api: Api, bus: Bus) -> Scenario:
    user = await api.register()
    return Scenario(api, bus, user, await api.new_request(user))


async def test_statuses_follow_the_call(api: Api, bus: Bus) -> None:
    s = await scenario(api, bus)
    await s.publish(started(1))
    await s.until("calling", 2)
    await s.publish(CallConnected(attempt=1, call_sid="CA1"))
    await s.until("in_progress", 3)
    await s.publish(failed(1, RETRY_AT))
    body = await s.until("waiting_for_callback", 4)
    assert "retrying at Mon 2025-11-24 11:00 CET" in body["timeline"][-1]["message"]
    await s.publish(started(2))
    await s.until("calling", 5)
    await s.publish(failed(2, None))
    body = await s.until("failed", 6)
    assert body["timeline"][-1]["message"].endswith("no attempts left")
    assert [e["type"] for e in body["timeline"]] == [
        "request_received", "call_started", "call_connected", "call_failed",
        "call_started", "call_failed",
    ]


async def test_booking_sets_the_summary(api: Api, bus: Bus) -> None:
    s = await scenario(api, bus)
    await s.publish(Scheduled(run_at=RETRY_AT, timezone="Europe/Berlin"))
    await s.until("outside_business_hours", 2)
    await s.publish(started(1))
    await s.publish(CallConnected(attempt=1, call_sid="CA1"))
    await s.publish(BookingInProgress(attempt=1, details="Monday 10:00 with Dr. Müller"))
    await s.publish(BookingConfirmed(attempt=1, summary="Monday 10:00 with Dr. Müller"))
    await s.publish(CallCompleted(attempt=1, call_sid="CA1", duration_seconds=63.2,
                                  outcome="booked"))
    body = await s.until("booked", 7)
    assert body["summary"] == "Monday 10:00 with Dr. Müller"
    assert body["timeline"][-1]["message"] == "Call ended after 63 s (booked)"
    assert await s.rows() == [
        ("request_received", "queued"),
        ("scheduled", "outside_business_hours"),
        ("call_started", "calling"),
        ("call_connected", "in_progress"),
        ("booking_in_progress", "in_progress"),
        ("booking_confirmed", "booked"),
        ("call_completed", "booked"),
    ]


async def test_an_illegal_transition_is_shown_but_never_applied(api: Api, bus: Bus) -> None:
    s = await scenario(api, bus)
    cancel = await api.client.post(f"/api/requests/{s.request_id}/cancel", headers=s.user.headers)
    assert cancel.status_code == 202
    with structlog.testing.capture_logs() as logs:
        await s.publish(started(1))
        body = await s.until("canceled", 3)
    assert [e["type"] for e in body["timeline"]] == [
        "request_received", "request_canceled", "call_started",
    ]
    assert await s.rows() == [
        ("request_received", "queued"),
        ("request_canceled", "canceled"),
        ("call_started", "canceled"),
    ]
    warnings = [entry for entry in logs if entry["event"] == "illegal_transition"]
    assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"
    assert warnings[0]["current"] == "canceled" and warnings[0]["target"] == "calling"


async def test_redelivered_and_duplicate_events_add_one_timeline_entry(api: Api, bus: Bus) -> None:
    s = await scenario(api, bus)
    event = bus.call_event(started(1), request_id=s.request_id, version=1,
                           tenant_id=s.user.tenant_id)
    await bus.publish(event)
    await bus.publish(event)  # dropped by JetStream's de-duplication window
    await bus.publish(event, msg_id="beyond-the-window")  # dropped by the inbox
    await s.until("calling", 2)
    # Sentinel: the next version, behind the duplicates on the stream; once it is
    # applied, the duplicates were handled before it.
    await s.publish(CallConnected(attempt=1, call_sid="CA1"), version=2)
    await s.until("in_progress", 3)
    assert await s.rows() == [("request_received", "queued"), ("call_started", "calling"),
                              ("call_connected", "in_progress")]
    assert await api.count("inbox") == 2


async def test_out_of_order_versions_are_applied_in_order(api: Api, bus: Bus) -> None:
    s = await scenario(api, bus)
    await s.publish(started(1), version=1)
    await s.until("calling", 2)
    await s.publish(failed(1, RETRY_AT), version=3)
    # Sentinel: another request's event, behind v3 on the stream; once it is applied,
    # v3 was handled before it, and held back (retried later) while v2 is missing.
    other = await scenario(api, bus)
    await other.publish(started(1))
    await other.until("calling", 2)
    assert len((await s.state())["timeline"]) == 2
    await s.publish(CallConnected(attempt=1, call_sid="CA1"), version=2)
    await s.until("waiting_for_callback", 4)
    assert await s.rows() == [
        ("request_received", "queued"),
        ("call_started", "calling"),
        ("call_connected", "in_progress"),
        ("call_failed", "waiting_for_callback"),
    ]


async def test_events_for_an_unknown_request_wait_and_others_flow(api: Api, bus: Bus) -> None:
    s = await scenario(api, bus)
    stranger = bus.call_event(started(1), request_id=uuid.uuid4(), version=1,
                              tenant_id=s.user.tenant_id)
    await bus.publish(stranger)
    await s.publish(started(1))
    await s.until("calling", 2)
    assert await api.count("request_timeline") == 2


async def test_an_event_from_another_tenant_is_dead_lettered(api: Api, bus: Bus) -> None:
    s = await scenario(api, bus)
    intruder = bus.call_event(started(1), request_id=s.request_id, version=1,
                              tenant_id=uuid.uuid4())
    await bus.publish(intruder)

    async def dead_lettered() -> bool:
        return await api.count("dead_letters") == 1

    await eventually(dead_lettered, what="dead letter")
    body = await s.state()
    assert body["status"] == "queued" and len(body["timeline"]) == 1
    reason = await api.runtime.pool.fetchval("select reason from dead_letters")
    assert reason.startswith("poison") and "tenant" in reason
