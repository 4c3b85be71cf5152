"""A retry that the dialer moves to the callee's next opening shows as such: the request
goes from ``waiting_for_callback`` to ``outside_business_hours`` (the ``scheduled`` event),
then on to ``calling`` when the callee opens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ringbook.clock import FakeClock
from ringbook.contracts.calls import CallFailed, CallStarted, Scheduled
from ringbook.contracts.request_status import RequestStatus, next_status
from ringbook.events import EventData, new_event

NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
S = RequestStatus


def test_a_retry_deferred_to_the_next_opening_shows_outside_business_hours() -> None:
    request_id, tenant = uuid.uuid4(), uuid.uuid4()

    def moved(status: RequestStatus, data: EventData, version: int) -> RequestStatus | None:
        return next_status(status, new_event(
            data, aggregate_id=request_id, version=version, tenant_id=tenant,
            correlation_id=request_id, clock=FakeClock(NOW)))

    tomorrow_8 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert moved(S.CALLING, CallFailed(attempt=1, call_sid="CA1", reason="busy",
                                       retry_at=NOW, timezone="Europe/Berlin"), 2) \
        is S.WAITING_FOR_CALLBACK
    assert moved(S.WAITING_FOR_CALLBACK, Scheduled(run_at=tomorrow_8, timezone="Europe/Berlin"),
                 3) is S.OUTSIDE_BUSINESS_HOURS
    assert moved(S.OUTSIDE_BUSINESS_HOURS,
                 CallStarted(attempt=2, call_sid="CA2", number="+49305550100"), 4) is S.CALLING
