"""A call that must end, and how often the carrier is asked to end it.

The decision that a call must end (its request canceled or booked, its attempt given
up) commits first; the carrier is asked afterwards, and again while it refuses, with a
backoff that grows from one second to a minute. Hanging up is idempotent at the carrier,
so asking again after a lost answer is harmless; after a call's longest possible life
there is nothing left to end and the hang-up is given up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_RETRY = timedelta(seconds=1)
LONGEST_RETRY = timedelta(seconds=60)
# A carrier call lasts at most 4 hours (Twilio's limit): a hang-up still failing after
# that has nothing left to end.
GIVE_UP_AFTER = timedelta(hours=4)


@dataclass(frozen=True)
class PendingHangup:
    call_sid: str
    request_id: uuid.UUID
    reason: str
    tries: int  # including the one just claimed
    created_at: datetime

    def outlived_its_call(self, now: datetime) -> bool:
        return now - self.created_at >= GIVE_UP_AFTER


def retry_after(tries: int) -> timedelta:
    """The wait after the ``tries``-th failed request: 1 s, doubling, at most 60 s."""
    doubled: timedelta = FIRST_RETRY * 2 ** min(max(tries - 1, 0), 16)
    return min(doubled, LONGEST_RETRY)
