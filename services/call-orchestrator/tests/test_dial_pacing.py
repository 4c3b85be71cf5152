"""The pure parts of dial pacing under the FakeClock: the carrier's calls-per-second
token bucket, and the round-robin order in which tenants' due calls are dialed."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from call_orchestrator.domain.dial_pacing import Bucket, DialRate, DueCall, fair_order
from hypothesis import given
from hypothesis import strategies as st
from ringbook.clock import FakeClock

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_rate_is_validated(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        DialRate(calls_per_second=rate, burst=burst)


def test_one_call_per_second_by_default_like_a_twilio_account() -> None:
    clock = FakeClock(T0)
    rate = DialRate(calls_per_second=1.0)
    bucket = rate.full(clock.now())
    assert rate.available(bucket, clock.now()) == 1
    bucket = rate.spend(bucket, clock.now(), 1)
    assert rate.available(bucket, clock.now()) == 0
    assert rate.next_token_in(bucket, clock.now()) == timedelta(seconds=1)
    clock.advance(timedelta(milliseconds=999))
    assert rate.available(bucket, clock.now()) == 0
    assert rate.next_token_in(bucket, clock.now()) == timedelta(milliseconds=1)
    clock.advance(timedelta(milliseconds=1))
    assert rate.available(bucket, clock.now()) == 1
    # A quiet hour saves up no more than the burst.
    clock.advance(timedelta(hours=1))
    assert rate.available(bucket, clock.now()) == 1


def test_spending_more_than_is_available_is_refused() -> None:
    rate = DialRate(calls_per_second=2.0, burst=3)
    bucket = rate.full(T0)
    with pytest.raises(ValueError):
        rate.spend(bucket, T0, 4)
    assert rate.available(rate.spend(bucket, T0, 3), T0) == 0


def test_a_clock_behind_the_bucket_refills_nothing() -> None:
    # Replicas' clocks differ a little: a tick from a clock behind the last refill must
    # neither mint tokens nor move the bucket's time backwards.
    rate = DialRate(calls_per_second=1.0)
    spent = rate.spend(rate.full(T0), T0, 1)
    earlier = T0 - timedelta(seconds=5)
    assert rate.available(spent, earlier) == 0
    assert rate.refill(spent, earlier).at == T0


@given(
    rate=st.sampled_from([0.5, 1.0, 3.0, 10.0]),
    burst=st.integers(1, 5),
    steps_ms=st.lists(st.integers(0, 2500), min_size=1, max_size=60),
)
def test_no_window_ever_holds_more_calls_than_rate_and_burst_allow(
    rate: float, burst: int, steps_ms: list[int]
) -> None:
    pacing = DialRate(calls_per_second=rate, burst=burst)
    clock = FakeClock(T0)
    bucket: Bucket = pacing.full(clock.now())
    dials: list[datetime] = []
    for step in steps_ms:
        clock.advance(timedelta(milliseconds=step))
        now = clock.now()
        take = pacing.available(bucket, now)
        bucket = pacing.spend(bucket, now, take)
        dials += [now] * take
    # Whatever the tick times: any span of s seconds holds at most burst + rate*s calls.
    for i, start in enumerate(dials):
        for j in range(i, len(dials)):
            span = (dials[j] - start).total_seconds()
            assert j - i + 1 <= burst + rate * span + 1e-6


def due(tenant: uuid.UUID, n: int, at: datetime = T0) -> list[DueCall]:
    return [DueCall(uuid.uuid4(), tenant, 1, at + timedelta(microseconds=k)) for k in range(n)]


def test_tenants_take_turns_whatever_their_queue_lengths() -> None:
    queue = due(A, 5) + due(B, 2) + due(C, 3)
    order = fair_order(queue, max_live=10, live={}, last_turn={})
    assert [c.tenant_id for c in order] == [A, B, C, A, B, C, A, C, A, A]
    # Each tenant's own calls keep their due order.
    assert [c for c in order if c.tenant_id == A] == [c for c in queue if c.tenant_id == A]


def test_the_tenant_served_longest_ago_goes_first() -> None:
    # All due at the same instant (every request scheduled for 08:00): without a memory
    # of turns the same tenant would win every tie, one dial per tick.
    queue = due(A, 3) + due(B, 3) + due(C, 3)
    order = fair_order(queue, max_live=10, live={}, last_turn={A: 7, B: 9})
    assert [c.tenant_id for c in order[:3]] == [C, A, B]


def test_a_tenant_at_its_limit_waits_and_headroom_caps_the_rest() -> None:
    queue = due(A, 4) + due(B, 4)
    order = fair_order(queue, max_live=3, live={A: 3, B: 1}, last_turn={})
    assert [c.tenant_id for c in order] == [B, B]


@given(
    sizes=st.lists(st.integers(0, 8), min_size=1, max_size=5),
    live=st.lists(st.integers(0, 4), min_size=5, max_size=5),
    max_live=st.integers(1, 4),
    turns=st.permutations(range(5)),
)
def test_fair_order_respects_limits_and_never_lets_one_tenant_run_ahead(
    sizes: list[int], live: list[int], max_live: int, turns: list[int]
) -> None:
    tenants = [uuid.UUID(int=100 + i) for i in range(len(sizes))]
    queue = [call for t, n in zip(tenants, sizes, strict=True) for call in due(t, n)]
    live_by = {t: live[i] for i, t in enumerate(tenants)}
    order = fair_order(queue, max_live=max_live, live=live_by,
                       last_turn={t: turns[i] for i, t in enumerate(tenants)})
    assert len(set(order)) == len(order) and set(order) <= set(queue)
    counts = Counter(c.tenant_id for c in order)
    for i, t in enumerate(tenants):
        # Exactly as many as the tenant has due calls and headroom for.
        assert counts[t] == min(sizes[i], max(0, max_live - live_by[t]))
    # Round-robin: in any prefix, a tenant is at most one call ahead of another that
    # still had calls to offer at that point.
    seen: Counter[uuid.UUID] = Counter()
    for call in order:
        seen[call.tenant_id] += 1
        for other in tenants:
            if seen[other] < counts[other]:
                assert seen[call.tenant_id] <= seen[other] + 1
