"""Test support for analytics-service (and any test feeding it events): builders for
one request's REQUESTS and CALLS events, one call's CALLS and ANALYTICS events,
clients' CATALOG events, publishing. No pytest dependency; tests wait
with ``ringbook_devtools.testing.waiting.eventually``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from nats.js import JetStreamContext
from ringbook.clock import Clock
from ringbook.contracts.call_log import CallAnalyzed, Sentiment, call_analysis_id, call_log_id
from ringbook.contracts.calls import (
    AGGREGATE,
    CONVERSATION,
    INBOUND_CALL,
    BookingConfirmed,
    BookingInProgress,
    CallCompleted,
    CallConnected,
    CallFailed,
    CallStarted,
    ModelUsage,
    Scheduled,
    TranscriptLine,
)
from ringbook.contracts.catalog import ClientCreated
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
        # One carrier call per request, its own: the call log keys calls by sid, so two
        # requests sharing one would be one call (and another tenant's, a poison event).
        self.call_sid = f"CA{self.id.hex}"

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
        return self._call(
            CallStarted(attempt=self._attempt, call_sid=self.call_sid, number="+49301"))

    def connected(self) -> Envelope:
        return self._call(CallConnected(attempt=self._attempt, call_sid=self.call_sid))

    def failed(self, *, retry: bool) -> Envelope:
        return self._call(
            CallFailed(
                attempt=self._attempt,
                call_sid=self.call_sid,
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
            CallCompleted(attempt=self._attempt, call_sid=self.call_sid, duration_seconds=42.0,
                          outcome="booked")
        )


async def publish(js: JetStreamContext, *events: Envelope, msg_id: str | None = None) -> None:
    for event in events:
        await js.publish(
            event.subject, event.to_json(), headers={"Nats-Msg-Id": msg_id or str(event.id)}
        )




class CallFlow:
    """Events of one of our own calls, by its writers: the attempt or inbound call
    (call-orchestrator: ``call_job`` keyed by the request, or ``inbound_call``) and the
    conversation (media-bridge: ``conversation`` for outbound, ``inbound_call`` on its own
    id for inbound). Each aggregate numbers its own versions."""

    def __init__(self, tenant_id: uuid.UUID, at: datetime, clock: Clock, *,
                 inbound: bool = False, call_sid: str | None = None) -> None:
        self.tenant_id, self.at, self.clock, self.inbound = tenant_id, at, clock, inbound
        self.call_sid = call_sid or f"CA{uuid.uuid4().hex}"
        self.request_id = uuid.uuid4()  # the call job's (or inbound session's) id
        self.conversation_id = uuid.uuid4()
        self._versions: dict[uuid.UUID, int] = {}

    @property
    def id(self) -> uuid.UUID:
        return call_log_id(self.call_sid)

    def _event(self, data: EventData, aggregate_id: uuid.UUID, aggregate: str,
               after: timedelta) -> Envelope:
        version = self._versions.get(aggregate_id, 0) + 1
        self._versions[aggregate_id] = version
        return new_event(data, aggregate_id=aggregate_id, version=version,
                         tenant_id=self.tenant_id, correlation_id=self.request_id,
                         clock=self.clock, occurred_at=self.at + after, aggregate=aggregate)

    def _carrier(self, data: EventData, after: timedelta) -> Envelope:
        return self._event(data, self.request_id, INBOUND_CALL if self.inbound else AGGREGATE,
                           after)

    def started(self, number: str = "+4930111222", line: str | None = None) -> Envelope:
        """``line``: an inbound call's business number (call-orchestrator sets it)."""
        return self._carrier(CallStarted(attempt=1, call_sid=self.call_sid, number=number,
                                         line=line), timedelta())

    def connected(self) -> Envelope:
        return self._carrier(CallConnected(attempt=1, call_sid=self.call_sid),
                             timedelta(seconds=1))

    def conversation_completed(self, *, duration: float = 42.0,
                               usage: ModelUsage | None = None) -> Envelope:
        lines = (TranscriptLine(speaker="agent", text="Hello, Dr. Mike's Dental.", at_ms=0),
                 TranscriptLine(speaker="callee", text="I'd like a cleaning.", at_ms=1500))
        data = CallCompleted(attempt=1, call_sid=self.call_sid, duration_seconds=duration,
                             outcome="booked", transcript=lines, latency_p50_ms=420.0,
                             latency_p95_ms=880.0, usage=usage)
        return self._event(data, self.conversation_id,
                           INBOUND_CALL if self.inbound else CONVERSATION,
                           timedelta(seconds=duration))

    def carrier_completed(self, *, duration: float = 43.0) -> Envelope:
        """call-orchestrator's guess when no conversation reported (``no_conversation``)."""
        return self._carrier(CallCompleted(attempt=1, call_sid=self.call_sid,
                                           duration_seconds=duration,
                                           outcome="no_conversation"),
                             timedelta(seconds=duration))

    def analyzed(self, *, sentiment: Sentiment = "POSITIVE", success: bool = True,
                 version: int = 1) -> Envelope:
        data = CallAnalyzed(tenant_id=self.tenant_id, call_id=self.id, summary="Booked.",
                            sentiment=sentiment, success=success,
                            extraction={"service": "cleaning"}, model="gpt-4o-mini")
        return new_event(data, aggregate_id=call_analysis_id(self.id), version=version,
                         tenant_id=self.tenant_id, correlation_id=self.id, clock=self.clock,
                         occurred_at=self.at + timedelta(minutes=1))


def client_event(data: EventData, *, client_id: uuid.UUID, tenant_id: uuid.UUID,
                 version: int, clock: Clock) -> Envelope:
    """A CATALOG client event (client_created / client_updated / client_deleted)."""
    return new_event(data, aggregate_id=client_id, version=version, tenant_id=tenant_id,
                     correlation_id=client_id, clock=clock)


def client_created(*, client_id: uuid.UUID, tenant_id: uuid.UUID, name: str, phone: str,
                   clock: Clock) -> Envelope:
    return client_event(ClientCreated(name=name, phone_number=phone), client_id=client_id,
                        tenant_id=tenant_id, version=1, clock=clock)
