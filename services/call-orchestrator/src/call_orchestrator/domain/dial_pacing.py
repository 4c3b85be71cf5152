"""How fast, and in whose turn, due calls are dialed.

Two rules hold at the moment of dialing, whatever the number of timers that fall due
together (every request scheduled for 08:00):

* the carrier's calls-per-second limit (a Twilio account's default is 1 CPS): a token
  bucket, refilled at ``calls_per_second`` up to ``burst`` tokens, one token per dial;
* fairness across tenants: each tenant has at most ``max_live`` calls live at once, and
  tenants take turns, the one served longest ago first, each tenant's own calls in due
  order; so one tenant's thousand due calls cannot starve another's one.

Pure: "now" comes in as an argument (the service's Clock) and the bucket goes out as a
value, so the dialer keeps it in Postgres (one row, locked while it claims dials) and every
replica spends from the same bucket - the carrier counts calls per account, not per process.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# Refills are float arithmetic: 3 CPS for 1/3 s is 0.9999999... tokens, which is one token.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Bucket:
    """Tokens left as of ``at``."""

    tokens: float
    at: datetime


@dataclass(frozen=True)
class DialRate:
    calls_per_second: float
    # Calls that may start back to back after a quiet spell; 1 paces strictly.
    burst: int = 1

    def __post_init__(self) -> None:
        if not self.calls_per_second > 0:
            raise ValueError(f"calls_per_second must be positive, got {self.calls_per_second}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")

    def full(self, now: datetime) -> Bucket:
        return Bucket(float(self.burst), now)

    def refill(self, bucket: Bucket, now: datetime) -> Bucket:
        # A clock behind the bucket's (another replica's, a step back) adds nothing, and
        # the bucket's time never moves backwards, so no token is ever minted twice.
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        tokens = min(float(self.burst), bucket.tokens + elapsed * self.calls_per_second)
        return Bucket(max(0.0, tokens), max(now, bucket.at))

    def available(self, bucket: Bucket, now: datetime) -> int:
        """Whole calls that may be dialed at ``now``."""
        return math.floor(self.refill(bucket, now).tokens + _EPSILON)

    def spend(self, bucket: Bucket, now: datetime, calls: int) -> Bucket:
        if calls > self.available(bucket, now):
            raise ValueError(f"{calls} calls exceed the {self.available(bucket, now)} available")
        refilled = self.refill(bucket, now)
        return Bucket(max(0.0, refilled.tokens - calls), refilled.at)

    def next_token_in(self, bucket: Bucket, now: datetime) -> timedelta:
        """How long until one more call may be dialed (zero if one may be now)."""
        missing = 1.0 - self.refill(bucket, now).tokens
        if missing <= _EPSILON:
            return timedelta(0)
        return timedelta(seconds=missing / self.calls_per_second)


@dataclass(frozen=True)
class DialLimits:
    rate: DialRate = DialRate(calls_per_second=1.0)
    # Live calls (dialing, ringing or answered) one tenant may have at once.
    tenant_max_live: int = 10

    def __post_init__(self) -> None:
        if self.tenant_max_live < 1:
            raise ValueError(f"tenant_max_live must be at least 1, got {self.tenant_max_live}")


@dataclass(frozen=True)
class DueCall:
    """A due timer as the dialer sees it: the next attempt of one request."""

    request_id: uuid.UUID
    tenant_id: uuid.UUID
    attempt: int
    due_at: datetime


def fair_order(
    due: Iterable[DueCall],
    *,
    max_live: int,
    live: Mapping[uuid.UUID, int],
    last_turn: Mapping[uuid.UUID, int],
) -> list[DueCall]:
    """The order in which to dial ``due``, leaving out what tenant limits forbid.

    Round-robin: round r takes every tenant's r-th earliest call, as long as the tenant
    has headroom under ``max_live`` (its ``live`` calls counted). Within a round, tenants
    go in the order of their ``last_turn`` (the turn number of their latest dial; never
    served first), then by their earliest due call. The caller dials a prefix of this
    list (as many as the rate allows) and gives each dialed tenant a new turn, so the
    next tick starts with the tenants this one passed over.
    """
    queues: dict[uuid.UUID, list[DueCall]] = defaultdict(list)
    for call in due:
        queues[call.tenant_id].append(call)
    for tenant, queue in queues.items():
        queue.sort(key=lambda c: (c.due_at, c.request_id))
        del queue[max(0, max_live - live.get(tenant, 0)):]
    tenants = sorted(
        (t for t, q in queues.items() if q),
        key=lambda t: (last_turn.get(t, -1), queues[t][0].due_at, t),
    )
    order: list[DueCall] = []
    for place in range(max((len(queues[t]) for t in tenants), default=0)):
        order += [queues[t][place] for t in tenants if place < len(queues[t])]
    return order
