"""What the orchestrator's use cases need, wired once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ringbook.clock import Clock
from ringbook.weekly_hours import WeeklyHours, callee_timezone

from call_orchestrator.application.telephony import Telephony
from call_orchestrator.domain.retry_policy import RetryPolicy


@dataclass(frozen=True)
class Orchestration:
    clock: Clock
    telephony: Telephony
    hours: WeeklyHours
    retry_policy: RetryPolicy
    fallback_timezone: str
    from_number: str
    public_base_url: str
    media_stream_url: str
    reconcile_seconds: float
    # How long after an answered call ended its conversation may still report.
    result_grace_seconds: float = 60.0

    def timezone_for(self, e164: str) -> ZoneInfo:
        return callee_timezone(e164, self.fallback_timezone)

    def answer_url(self, attempt_id: object) -> str:
        # Asked by the carrier when the callee answers (entrypoints.outbound): the attempt
        # id says which call it is, the signed CallSid which sid its stream token names.
        return f"{self.public_base_url.rstrip('/')}/webhook/outbound-call?attempt_id={attempt_id}"

    def status_callback_url(self, attempt_id: object) -> str:
        # The attempt id rides in the URL, so a callback identifies its attempt even when
        # we crashed before learning the call sid.
        return f"{self.public_base_url.rstrip('/')}/webhook/call-status?attempt_id={attempt_id}"
