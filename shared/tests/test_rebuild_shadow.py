"""The rebuild's schema work on a projection richer than analytics' (real Postgres and
nats-server): a serial and an identity column, a foreign key between two projection
tables, a partial index, a check, a trigger, a view over a view, grants. After the swap
the schema must look exactly as before, the sequences go on from the rebuilt rows, and
a rebuild that cannot swap leaves the live tables as they were."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import nats
import pytest
from nats.js import JetStreamContext
from ringbook.bus.streams import ensure_stream
from ringbook.bus.worker import ConsumerSpec, PoisonEvent, PullWorker, RetryLater
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import Envelope, new_event
from ringbook.store.database import Conn, create_pool
from ringbook.store.migrations import migrate
from ringbook.store.rebuild import Projection, RebuildError, rebuild
from ringbook.store.sequencing import in_order
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.streams import settled_everything
from ringbook_devtools.testing.waiting import eventually

CLOCK = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
TENANT = uuid.uuid4()
# One content failure is enough for a dead letter: the letters test needs no waiting.
SPEC = ConsumerSpec(durable="accounts-test", stream=REQUESTS, max_deliver=1)
TABLES = ("accounts", "account_lines")

SCHEMA_SQL = """
create table accounts (
    id           bigserial primary key,
    aggregate_id uuid    not null constraint accounts_one_per_aggregate unique,
    lines        integer not null default 0 constraint accounts_lines_positive check (lines >= 0)
);
create table account_lines (
    line_id    bigint generated always as identity primary key,
    account_id bigint not null constraint account_lines_account references accounts (id),
    reason     text   not null
);
create index account_lines_by_reason on account_lines (reason) where reason <> '';
create function lower_reason() returns trigger language plpgsql as $$
begin
    new.reason := lower(new.reason);
    return new;
end $$;
create trigger account_lines_lower before insert on account_lines
    for each row execute function lower_reason();
create view account_totals as
    select a.aggregate_id, count(l.line_id) as lines
      from accounts a left join account_lines l on l.account_id = a.id group by a.aggregate_id;
create view busy_accounts as select * from account_totals where lines > 1;
"""


async def handle(conn: Conn, event: Envelope) -> None:
    if not await in_order(conn, SPEC.durable, event):
        return
    assert isinstance(event.data, RequestCanceled)
    if event.data.reason == "poison":
        raise PoisonEvent("never applies")
    if event.data.reason == "wait forever":
        raise RetryLater("waits for what never comes", delay=0.1)
    account = await conn.fetchval(
        "insert into accounts (aggregate_id) values ($1) on conflict (aggregate_id)"
        " do update set lines = accounts.lines + 1 returning id", event.aggregate_id)
    await conn.execute("insert into account_lines (account_id, reason) values ($1, $2)",
                       account, event.data.reason)


def event(aggregate_id: uuid.UUID, version: int, reason: str | None = None) -> Envelope:
    return new_event(RequestCanceled(reason=reason or f"Reason {version}"),
                     aggregate_id=aggregate_id,
                     version=version, tenant_id=TENANT, correlation_id=aggregate_id,
                     clock=CLOCK)


@dataclass
class Setup:
    dsn: str
    schema: str
    pool: asyncpg.Pool
    js: JetStreamContext

    async def publish(self, *events: Envelope) -> None:
        for e in events:
            await self.js.publish(e.subject, e.to_json(), headers={"Nats-Msg-Id": str(e.id)})

    async def drained(self) -> None:
        await eventually(lambda: settled_everything(self.js, REQUESTS.name, SPEC.durable),
                         30, poll=0.1, what="the live worker drained")

    async def rebuild(self) -> Any:
        projection = Projection(name="accounts", tables=TABLES, consumers=((SPEC, handle),))
        return await rebuild(dsn=self.dsn, schema=self.schema, js=self.js,
                             projections=[projection])

    async def catalog(self) -> dict[str, list[tuple[Any, ...]]]:
        """What the migrations made, as Postgres describes it."""
        queries = {
            "indexes": "select indexname, indexdef from pg_indexes where schemaname = $1",
            "constraints": "select c.conrelid::regclass::text, c.conname,"
                           " pg_get_constraintdef(c.oid) from pg_constraint c"
                           " join pg_namespace n on n.oid = c.connamespace where n.nspname = $1",
            "triggers": "select tgrelid::regclass::text, tgname from pg_trigger t"
                        " join pg_class c on c.oid = t.tgrelid join pg_namespace n"
                        " on n.oid = c.relnamespace where n.nspname = $1 and not tgisinternal",
            "sequences": "select sequencename from pg_sequences where schemaname = $1",
            "views": "select viewname, definition from pg_views where schemaname = $1",
        }
        return {k: sorted(tuple(r) for r in await self.pool.fetch(q, self.schema))
                for k, q in queries.items()}

    async def rows(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self.pool.fetch(
            "select a.id, a.aggregate_id, a.lines, l.line_id, l.reason from accounts a"
            " join account_lines l on l.account_id = a.id order by l.line_id")]


@pytest.fixture
async def setup(infra: ServerSet, fresh_schema: str,
                fresh_streams: None) -> AsyncIterator[Setup]:
    await migrate(infra.database_url, fresh_schema, None)
    pool = await create_pool(infra.database_url, schema=fresh_schema, min_size=1, max_size=4)
    await pool.execute(SCHEMA_SQL)
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    await ensure_stream(js, REQUESTS, replicas=1)
    worker = PullWorker(pool=pool, js=js, spec=SPEC, handler=handle)
    await worker.ensure()
    task = asyncio.create_task(worker.run())
    try:
        yield Setup(infra.database_url, fresh_schema, pool, js)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await nc.close()
        await pool.close()


async def test_the_swapped_schema_is_the_one_the_migrations_made(setup: Setup) -> None:
    aggregates = [uuid.uuid4() for _ in range(5)]
    await setup.publish(*[event(a, v) for v in range(1, 4) for a in aggregates])
    await setup.drained()
    role = f"{setup.schema}_reader"
    await setup.pool.execute(f"create role {role}")
    try:
        await setup.pool.execute(f"grant usage on schema {setup.schema} to {role}")
        await setup.pool.execute(f"grant select on busy_accounts, accounts to {role}")
        catalog, rows = await setup.catalog(), await setup.rows()
        totals = await setup.pool.fetch("select * from busy_accounts order by 1")
        assert len(rows) == 15 and rows[0][4] == "reason 1"  # the trigger ran
        await setup.pool.execute("delete from account_lines where line_id = $1", rows[0][3])

        report = await setup.rebuild()

        assert report.applied == {SPEC.durable: 15}
        assert await setup.rows() == rows  # the same ids: sequences replayed in order
        assert await setup.catalog() == catalog
        assert await setup.pool.fetch("select * from busy_accounts order by 1") == totals
        for relation in ("busy_accounts", "accounts"):
            assert await setup.pool.fetchval(
                "select has_table_privilege($1, $2, 'select')", role,
                f"{setup.schema}.{relation}")
        assert not await setup.pool.fetchval(
            "select has_table_privilege($1, $2, 'select')", role,
            f"{setup.schema}.account_lines")
    finally:
        await setup.pool.execute(f"drop owned by {role}")
        await setup.pool.execute(f"drop role {role}")

    # The live worker goes on in the new tables, from the rebuilt positions, and the
    # sequences (moved with their tables) go on from the rebuilt rows.
    late = event(aggregates[0], 4)
    await setup.publish(late)
    await setup.drained()
    latest = (await setup.rows())[-1]
    assert latest == (rows[0][0], aggregates[0], 3, 16, "reason 4")
    # A new account draws from the rebuilt table's own sequence (the old one was
    # dropped with the old table): 16 draws so far, one per event.
    newcomer = uuid.uuid4()
    await setup.publish(event(newcomer, 1))
    await setup.drained()
    assert (await setup.rows())[-1] == (17, newcomer, 0, 17, "reason 1")


async def test_a_rebuild_that_cannot_swap_leaves_the_live_tables_as_they_were(
    setup: Setup,
) -> None:
    aggregate = uuid.uuid4()
    await setup.publish(event(aggregate, 1), event(aggregate, 2))
    await setup.drained()
    await setup.pool.execute("create materialized view account_snapshot as"
                             " select * from accounts")
    rows, catalog = await setup.rows(), await setup.catalog()
    with pytest.raises(RebuildError, match="account_snapshot"):
        await setup.rebuild()
    assert await setup.rows() == rows
    assert await setup.catalog() == catalog
    # The live worker was released: a new event is applied to the live tables.
    await setup.publish(event(aggregate, 3))
    await setup.drained()
    assert [r[4] for r in await setup.rows()] == ["reason 1", "reason 2", "reason 3"]
    # Once the obstacle is gone, the next rebuild clears the leftovers and swaps.
    await setup.pool.execute("drop materialized view account_snapshot")
    report = await setup.rebuild()
    assert report.applied == {SPEC.durable: 3}
    leftovers = await setup.pool.fetchval(
        "select count(*) from pg_namespace where nspname like $1 || '\\_\\_%'", setup.schema)
    assert leftovers == 0


async def test_dead_letters_are_rebuilt_as_the_live_worker_wrote_them(setup: Setup) -> None:
    poisoned, waiting = uuid.uuid4(), uuid.uuid4()
    await setup.publish(
        event(poisoned, 1, "poison"), event(poisoned, 2),
        # v2 waits for something that never comes: the live worker dead-letters it after
        # max_deliver tries; the rebuild never counts, and at the swap adopts that letter.
        event(waiting, 1), event(waiting, 2, "wait forever"), event(waiting, 3),
    )

    async def both_dead() -> bool:
        return await setup.pool.fetchval("select count(*) from dead_letters") == 2

    await eventually(both_dead, 30, poll=0.1, what="two dead letters")
    await setup.drained()
    # Without the serial ids: a sequence is not transactional, so the live worker's
    # rolled-back tries drew numbers the replay does not draw.
    rows = [r[1:3] + r[4:] for r in await setup.rows()]
    assert [r[2] for r in rows] == ["reason 2", "reason 1", "reason 3"]
    positions = "select consumer, aggregate_id, last_version from aggregate_positions order by 2"
    skipped = "select consumer, aggregate_id, version from skipped_versions order by 2"
    live_positions, live_skipped = await setup.pool.fetch(positions), await setup.pool.fetch(skipped)

    report = await setup.rebuild()

    assert report.applied == {SPEC.durable: 3}
    assert report.dead_lettered == {SPEC.durable: 2}
    assert report.left_to_live == {SPEC.durable: 0}
    assert [r[1:3] + r[4:] for r in await setup.rows()] == rows
    assert await setup.pool.fetch(positions) == live_positions
    assert await setup.pool.fetch(skipped) == live_skipped
    assert await setup.pool.fetchval("select count(*) from dead_letters") == 2
