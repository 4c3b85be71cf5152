"""Test support for analytics-service (and any test feeding it events): builders for
one request's REQUESTS and CALLS events, publishing. No pytest dependency; tests wait
with ``ringbook_devtools.testing.waiting.eventually``."""

from __future__ import annotations

import uuid
from datetime import datetime

from nats.js import JetStreamContext
from ringbook.clock import Clock
from ringbook.contracts.calls import (
    BookingConfirmed,
    BookingInProgress,
    CallCompleted,
    CallConnected,
    CallFailed,
    CallStarted,
    Scheduled,
)
from ringbook.contracts.requests import RequestCanceled, RequestReceived, UserProfile
from ringbook.events import Envelope, EventData, new_event


class RequestFlow:
    """Events of one request: REQUESTS (aggregate ``request``) and CALLS (aggregate
    ``call_job``, same id), each with its own version sequence."""

    def __init__(self, tenant_id: uuid.UUID, at: datetime, clock: Clock) -> None:
        self.id = uuid.uuid4()
        self.tenant_id, self.at, self.clock = tenant_id, at, clock
        self._request_version = 0
        self._call_version = 0
        self._attempt = 0

    def _event(self, data: EventData, version: int) -> Envelope:
        return new_event(
            data,
            aggregate_id=self.id,
            version=version,
            tenant_id=self.tenant_id,
            correlation_id=self.id,
            clock=self.clock,
            occurred_at=self.at,
        )

    def _request(self, data: EventData) -> Envelope:
        self._request_version += 1
        return self._event(data, self._request_version)

    def _call(self, data: EventData) -> Envelope:
        self._call_version += 1
        return self._event(data, self._call_version)

    def received(self) -> Envelope:
        return self._request(
            RequestReceived(
                user_id=uuid.uuid4(),
                title="Book a cleaning",
                description="Monday 10-12",
                callback_number="+4930123456",
                number_to_call="+4930654321",
                preferred_time="Monday 10-12",
                user_profile=UserProfile(),
            )
        )

    def canceled(self) -> Envelope:
        return self._request(RequestCanceled(reason="changed my mind"))

    def scheduled(self) -> Envelope:
        return self._call(Scheduled(run_at=self.at, timezone="Europe/Berlin"))

    def started(self) -> Envelope:
        self._attempt += 1
        return self._call(CallStarted(attempt=self._attempt, call_sid="CA1", number="+49301"))

    def connected(self) -> Envelope:
        return self._call(CallConnected(attempt=self._attempt, call_sid="CA1"))

    def failed(self, *, retry: bool) -> Envelope:
        return self._call(
            CallFailed(
                attempt=self._attempt,
                call_sid="CA1",
                reason="busy",
                retry_at=self.at if retry else None,
                timezone="Europe/Berlin",
            )
        )

    def booking(self) -> Envelope:
        return self._call(BookingInProgress(attempt=self._attempt, details="Monday 10:00"))

    def booked(self) -> Envelope:
        return self._call(BookingConfirmed(attempt=self._attempt, summary="Monday 10:00"))

    def completed(self) -> Envelope:
        return self._call(
            CallCompleted(attempt=self._attempt, call_sid="CA1", duration_seconds=42.0,
                          outcome="booked")
        )


async def publish(js: JetStreamContext, *events: Envelope, msg_id: str | None = None) -> None:
    for event in events:
        await js.publish(
            event.subject, event.to_json(), headers={"Nats-Msg-Id": msg_id or str(event.id)}
        )


