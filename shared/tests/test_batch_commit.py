"""Issue 14: a fetched batch of first deliveries is committed in ONE transaction, and a
failing event still fails alone.

Against the real Postgres and nats-server (``consumer_harness``). The handler wraps the
harness's in-order handler and records, in the same transaction, ``txid_current()``
(the top-level transaction's id, also inside a savepoint): events that share a txid
were committed together. Events are published before the worker starts, so its first
fetch hands it all of them at once.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import pytest
import structlog
from prometheus_client import REGISTRY
from ringbook.bus.worker import PullWorker
from ringbook.events import Envelope
from ringbook.store.database import Conn
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

from shared.tests.consumer_harness import ContentBug, Harness, event, harness

TXIDS_SQL = "create table txids (event_id uuid not null, txid bigint not null)"


@pytest.fixture
async def h(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> AsyncIterator[Harness]:
    async with harness(infra, fresh_schema) as h:
        await h.admin.execute(TXIDS_SQL)
        yield h


class Recorder:
    """The harness's handler, plus: the txid of each applied event; ``flaky`` ids fail
    once, AFTER their writes and NOTIFY (which the failure must undo); ``after`` runs
    last, inside the transaction (e.g. to lose the NATS connection before the ack)."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.flaky: set[uuid.UUID] = set()
        self.failed_once: set[uuid.UUID] = set()
        self.after: Callable[[Envelope], Awaitable[None]] | None = None

    async def __call__(self, conn: Conn, ev: Envelope) -> None:
        await self.h.handler(conn, ev)
        await conn.execute("insert into txids values ($1, txid_current())", ev.id)
        if ev.id in self.flaky and ev.id not in self.failed_once:
            self.failed_once.add(ev.id)
            raise ContentBug(f"v{ev.version} fails once")
        if self.after is not None:
            await self.after(ev)


async def start(h: Harness, handler: Recorder, *, js: Any = None, **spec: Any) -> PullWorker:
    return await h.start_worker(js=js, spec=h.spec(**spec), handler=handler)


def handled(h: Harness, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "ringbook_events_handled_total", {"consumer": h.durable, "outcome": outcome})
    return value or 0.0


def each_once(h: Harness) -> Counter[uuid.UUID]:
    return Counter(event_id for _, _, event_id in h.applied)


async def transactions(h: Harness, events: list[Envelope]) -> int:
    return int(await h.admin.fetchval(
        "select count(distinct txid) from txids where event_id = any($1::uuid[])",
        [e.id for e in events]))


async def test_a_fetched_batch_is_committed_in_far_fewer_transactions_than_events(
    h: Harness,
) -> None:
    events = [event(uuid.uuid4(), 1) for _ in range(100)]
    await h.publish(*events)
    # Five events again under other message ids (a publish beyond the de-dup window),
    # fetched with their originals (the second fetch: messages 65 to 105).
    for ev in events[-5:]:
        await h.js.publish(ev.subject, ev.to_json(), headers={"Nats-Msg-Id": f"again-{ev.id}"})
    await start(h, Recorder(h))
    await eventually(lambda: handled(h, "duplicate") == 5, within=60,
                     what=lambda: (len(h.applied), handled(h, "duplicate")))
    assert set(each_once(h)) == {e.id for e in events}
    assert set(each_once(h).values()) == {1}
    # Two fetches of 64 (105 messages): far fewer commits than events (per event: 100).
    assert await transactions(h, events) <= 100 // 8
    assert handled(h, "applied") == 100
    assert await h.admin.fetchval("select count(*) from inbox") == 100


async def test_a_consumer_that_opts_out_commits_each_event_alone(h: Harness) -> None:
    events = [event(uuid.uuid4(), 1) for _ in range(10)]
    await h.publish(*events)
    await start(h, Recorder(h), batch_commit=False)
    await eventually(lambda: handled(h, "applied") == 10, within=60)
    assert await transactions(h, events) == 10


@pytest.mark.parametrize("position", [0, 15, 29])
async def test_a_poison_event_in_a_batch_is_dead_lettered_alone(
    h: Harness, position: int
) -> None:
    events = [event(uuid.uuid4(), 1) for _ in range(30)]
    poison = events[position]
    h.refuse[poison.id] = "poison"
    await h.publish(*events)
    await start(h, Recorder(h))
    await eventually(lambda: handled(h, "applied") == 29 and handled(h, "dead_letter") == 1,
                     within=60, what=lambda: (len(h.applied), h.dead_lettered_ids()))
    good = [e for e in events if e is not poison]
    assert each_once(h) == Counter({e.id: 1 for e in good})
    assert h.dead_lettered_ids() == {poison.id}
    rows = await h.dead_letters()
    assert [(r["event_id"], r["reason"][:7]) for r in rows] == [(poison.id, "poison:")]
    # The poison's inbox claim went with its rollback; the good ones' committed.
    assert await h.admin.fetchval("select count(*) from inbox where event_id = $1",
                                  poison.id) == 0
    assert await h.admin.fetchval("select count(*) from inbox") == 29
    # Still batched around it: the events before it, and those after it, together.
    assert await transactions(h, good) <= 3


async def test_a_failing_event_in_a_batch_is_counted_and_retried_alone(h: Harness) -> None:
    events = [event(uuid.uuid4(), 1) for _ in range(30)]
    bad = events[12]
    h.refuse[bad.id] = "bug"  # fails on every delivery: counted up to max_deliver (3)
    await h.publish(*events)
    with structlog.testing.capture_logs() as logs:
        await start(h, Recorder(h), max_deliver=3)
        await eventually(lambda: bad.id in h.dead_lettered_ids(), within=60)
    # Counted as it was per message: once per delivery, and nothing else counted.
    assert [x["failures"] for x in logs if x["event"] == "event_failed"] == [1, 2]
    assert each_once(h) == Counter({e.id: 1 for e in events if e is not bad})
    assert handled(h, "dead_letter") == 1 and handled(h, "applied") == 29
    [row] = await h.dead_letters()
    assert row["event_id"] == bad.id
    assert row["reason"].startswith("failed 3 times: ContentBug")
    assert await h.admin.fetchval("select count(*) from delivery_failures") == 0


async def test_a_failure_is_rolled_back_alone_and_its_retry_applies_it_once(
    h: Harness,
) -> None:
    events = [event(uuid.uuid4(), 1) for _ in range(30)]
    flaky = events[7]
    recorder = Recorder(h)
    recorder.flaky.add(flaky.id)  # fails once after its writes, then succeeds
    await h.publish(*events)
    with structlog.testing.capture_logs() as logs:
        await start(h, recorder)
        await eventually(lambda: handled(h, "applied") == 30, within=60)
    assert [x["failures"] for x in logs if x["event"] == "event_failed"] == [1]
    # Its first, failed, handling left nothing: no row, no NOTIFY, no txid, no claim.
    assert each_once(h) == Counter({e.id: 1 for e in events})
    assert await h.admin.fetchval("select count(*) from applied") == 30
    assert await h.admin.fetchval("select count(*) from txids where event_id = $1",
                                  flaky.id) == 1
    assert await h.admin.fetchval("select count(*) from delivery_failures") == 0


async def test_a_crash_between_the_commit_and_the_acks_redelivers_without_a_second_effect(
    h: Harness,
) -> None:
    events = [event(uuid.uuid4(), 1) for _ in range(20)]
    await h.publish(*events)
    nc = await nats.connect(h.nats_url)
    first = Recorder(h)

    async def lose_nats(ev: Envelope) -> None:
        if ev.id == events[-1].id:  # the batch's last handler: its commit comes next,
            await nc.close()        # and every ack after it finds no connection

    first.after = lose_nats
    try:
        await start(h, first, js=nc.jetstream(), ack_wait_seconds=1.0)
        await eventually(lambda: len(h.applied) == 20, within=60)
    finally:
        await nc.close()
    assert await transactions(h, events) == 1  # all in the one batch left unacked
    await start(h, Recorder(h), ack_wait_seconds=1.0)  # the replacement, on the same durable
    # Each message comes back (never acked) and the inbox turns it into a no-op.
    await eventually(lambda: handled(h, "duplicate") >= 20, within=60)
    assert each_once(h) == Counter({e.id: 1 for e in events})
    assert await h.admin.fetchval("select count(*) from applied") == 20
    assert await h.admin.fetchval("select count(*) from inbox") == 20


async def test_an_aggregate_stays_in_order_across_an_event_that_failed_in_its_batch(
    h: Harness,
) -> None:
    retried, poisoned = uuid.uuid4(), uuid.uuid4()
    a = [event(retried, n) for n in (1, 2, 3, 4)]
    b = [event(poisoned, n) for n in (1, 2, 3)]
    others = [event(uuid.uuid4(), 1) for _ in range(6)]
    recorder = Recorder(h)
    recorder.flaky.add(a[1].id)  # a v2 fails once: v3 and v4 of its batch must wait
    h.refuse[b[1].id] = "poison"  # b v2 is dead-lettered: b v3 goes past it
    batch = [a[0], others[0], b[0], a[1], others[1], b[1], a[2], others[2], b[2], a[3],
             *others[3:]]
    await h.publish(*batch)
    with structlog.testing.capture_logs() as logs:
        await start(h, recorder)
        await eventually(lambda: len(h.versions_applied(retried)) == 4
                         and len(h.versions_applied(poisoned)) == 2, within=60,
                         what=lambda: h.applied)
    waited = [x["reason"] for x in logs if x["event"] == "event_waiting"]
    assert waited and all(str(retried) in reason for reason in waited)
    assert h.versions_applied(retried) == [1, 2, 3, 4]
    assert h.versions_applied(poisoned) == [1, 3]
    assert h.dead_lettered_ids() == {b[1].id}
    assert each_once(h) == Counter({e.id: 1 for e in batch if e is not b[1]})


async def test_a_batch_that_cannot_commit_is_handled_one_by_one(h: Harness) -> None:
    events = [event(uuid.uuid4(), 1) for _ in range(20)]
    bad = events[9]
    # Refused only at COMMIT (a deferred constraint): no savepoint can tell whose fault
    # it is, so the batch's messages go through the per-message path and it fails alone.
    await h.admin.execute(f"""
        create function refuse_at_commit() returns trigger language plpgsql as $$
        begin
            if new.event_id = '{bad.id}' then raise exception 'refused at commit'; end if;
            return null;
        end $$;
        create constraint trigger refuse_at_commit after insert on applied
            deferrable initially deferred for each row execute function refuse_at_commit();
    """)
    await h.publish(*events)
    with structlog.testing.capture_logs() as logs:
        await start(h, Recorder(h), max_deliver=3)
        await eventually(lambda: bad.id in h.dead_lettered_ids(), within=60)
        await eventually(lambda: handled(h, "applied") == 19, within=30)
    assert any(x["event"] == "batch_not_committed" for x in logs)
    assert each_once(h) == Counter({e.id: 1 for e in events if e is not bad})
    [row] = await h.dead_letters()
    assert row["reason"].startswith("failed 3 times: RaiseError")
    assert await h.admin.fetchval("select count(*) from inbox") == 19
