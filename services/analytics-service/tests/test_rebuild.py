"""Rebuild by replay (G10), against real Postgres and nats-server: the live service
projects mixed REQUESTS and CALLS events, then ``ringbook.store.rebuild`` replays both
streams from sequence 1 into fresh tables and swaps them in while the API keeps
answering and the live consumers keep running; and the commands that run it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from analytics_service.entrypoints.projections import projections
from analytics_service.settings import AnalyticsSettings
from analytics_service.testing import RequestFlow, publish
from call_log_harness import InProcessAnalytics, running_analytics
from nats.js import JetStreamContext
from ringbook.auth import Principal
from ringbook.clock import FakeClock
from ringbook.events import Envelope
from ringbook.store import rebuild_cli
from ringbook.store.rebuild import Projection, RebuildHooks, RebuildReport, rebuild
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CLOCK = FakeClock(NOW)
CONSUMERS = ("analytics-requests", "analytics-calls")
# The call log's durable on CALLS: its calls table is rebuilt beside request_facts.
CALL_LOG = "analytics-call-log"


def request_facts_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """The request facts' consumers' entries of a per-consumer count (the call log and
    post-call analysis have entries of their own)."""
    return {name: counts[name] for name in CONSUMERS}

# Each kind of flow: the steps after request_received, and the status it ends in
# whatever order the two streams are applied in (None: it depends on that order).
KINDS: dict[str, tuple[list[str], str | None]] = {
    "queued": ([], "queued"),
    "scheduled": (["scheduled"], "outside_business_hours"),
    "calling": (["started"], "calling"),
    "in_progress": (["started", "connected"], "in_progress"),
    "waiting": (["started", "failed_retry"], "waiting_for_callback"),
    "failed": (["started", "failed_final", "completed"], "failed"),
    "booked": (["started", "connected", "booking", "booked", "completed"], "booked"),
    "canceled": (["canceled"], "canceled"),
    "booked_then_stray_failure": (["started", "connected", "booked", "failed_retry"],
                                  "booked"),
    # Racy across the streams (which of canceled and call_started is applied first):
    # the live projection decides, and the rebuild must agree with it.
    "cancel_races_a_call": (["canceled", "started"], None),
}
DETERMINISTIC = [k for k, (_, end) in KINDS.items() if end is not None]


@dataclass
class Flow:
    flow: RequestFlow
    kind: str
    requests: list[Envelope] = field(default_factory=list)
    calls: list[Envelope] = field(default_factory=list)

    @property
    def expected(self) -> str | None:
        return KINDS[self.kind][1]

    @property
    def events(self) -> int:
        return len(self.requests) + len(self.calls)


def make_flow(tenant: uuid.UUID, at: datetime, kind: str) -> Flow:
    f = Flow(RequestFlow(tenant, at, CLOCK), kind)
    f.requests.append(f.flow.received())
    for step in KINDS[kind][0]:
        if step == "canceled":
            f.requests.append(f.flow.canceled())
        elif step in ("failed_retry", "failed_final"):
            f.calls.append(f.flow.failed(retry=step == "failed_retry"))
        else:
            f.calls.append(getattr(f.flow, step)())
    return f


def make_flows(total_events: int, kinds: list[str], tenants: list[uuid.UUID]) -> list[Flow]:
    flows: list[Flow] = []
    count, i = 0, 0
    while count < total_events:
        kind = kinds[i % len(kinds)]
        if count + 1 + len(KINDS[kind][0]) > total_events:
            kind = "queued"  # one event: fills up to the exact total
        flow = make_flow(tenants[i % len(tenants)], NOW - timedelta(days=i % 6), kind)
        flows.append(flow)
        count += flow.events
        i += 1
    return flows


async def publish_flows(js: JetStreamContext, flows: list[Flow]) -> None:
    """Publish through the real streams, some out of order: every 7th flow's call events
    before its request (they wait for it on the other stream), every 5th flow's first
    two call events swapped (in_order waits for the earlier version)."""
    for i, f in enumerate(flows):
        calls = list(f.calls)
        if i % 5 == 0 and len(calls) >= 2:
            calls[0], calls[1] = calls[1], calls[0]
        if i % 7 == 0:
            await publish(js, *calls, *f.requests)
        else:
            await publish(js, *f.requests, *calls)


# --- the service under test ------------------------------------------------------------------


@dataclass
class Service(InProcessAnalytics):
    settings: AnalyticsSettings


    async def per_day(self, tenant_id: uuid.UUID) -> httpx.Response:
        principal = Principal(user_id=uuid.uuid4(), tenant_id=tenant_id, email="a@b.c", name=None)
        return await self.client.get(
            "/api/analytics/requests-per-day",
            params={"days": 30},
            headers={"Authorization": f"Bearer {self.runtime.tokens.issue(principal)}"},
        )

    async def drained(self) -> None:
        """Every message of both streams acknowledged by the live durables."""

        async def done() -> bool:
            for stream, durable in (("REQUESTS", CONSUMERS[0]), ("CALLS", CONSUMERS[1]),
                                    ("CALLS", CALL_LOG)):
                info = await self.js.consumer_info(stream, durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await eventually(done, 90, poll=0.2, what="the live consumers drained")

    async def rows(self) -> list[tuple[Any, ...]]:
        # created_at/updated_at say when a row was projected, not what happened, so a
        # rebuild writes its own: every other column must be equal.
        records = await self.runtime.pool.fetch(
            "select request_id, tenant_id, day, status from request_facts order by request_id"
        )
        return [tuple(r) for r in records]

    async def call_log(self) -> list[str]:
        # Every column of the call log is an event's: its times are the events' own.
        records = await self.runtime.pool.fetch(
            "select row_to_json(c)::text as row from calls c order by id")
        return [r["row"] for r in records]

    async def view(self) -> list[tuple[Any, ...]]:
        records = await self.runtime.pool.fetch(
            "select tenant_id, day, status, requests from requests_per_day order by 1, 2, 3"
        )
        return [tuple(r) for r in records]


@pytest.fixture
async def service(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Service]:
    async with running_analytics(infra, fresh_schema, CLOCK) as (app, client, settings):
        yield Service(app, client, settings)


class Readers:
    """Dashboards reading throughout: every answer is recorded, none may be a 5xx."""

    def __init__(self, service: Service, tenants: list[uuid.UUID]) -> None:
        self.service, self.tenants = service, tenants
        self.statuses: Counter[int] = Counter()
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        i = 0
        while True:
            response = await self.service.per_day(self.tenants[i % len(self.tenants)])
            self.statuses[response.status_code] += 1
            i += 1
            await asyncio.sleep(0)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Readers]:
        self._task = asyncio.create_task(self._loop())
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def one_more_read(self) -> None:
        seen = sum(self.statuses.values())
        await eventually(lambda: sum(self.statuses.values()) > seen, 10,
                         what="a read answered")


def rebuild_of(
    service: Service, hooks: RebuildHooks | None = None
) -> Awaitable[RebuildReport]:
    return rebuild(
        dsn=service.settings.database_url, schema=service.settings.schema_name,
        js=service.js, projections=projections(), hooks=hooks,
    )


# --- tests -----------------------------------------------------------------------------------


@pytest.fixture
async def analysts_role(service: Service) -> AsyncIterator[str]:
    """A role that may read the view (its grant must survive the swap)."""
    schema, pool = service.settings.schema_name, service.runtime.pool
    role = f"{schema}_reader"
    await pool.execute(f"create role {role}")
    await pool.execute(f"grant usage on schema {schema} to {role}")
    await pool.execute(f"grant select on requests_per_day to {role}")
    try:
        yield role
    finally:
        await pool.execute(f"drop owned by {role}")
        await pool.execute(f"drop role {role}")


async def project_live(service: Service, flows: list[Flow]) -> list[tuple[Any, ...]]:
    await publish_flows(service.js, flows)
    await service.drained()
    rows = await service.rows()
    assert len(rows) == len(flows)
    statuses = {r[0]: r[3] for r in rows}
    for f in flows:
        if f.expected is not None:
            assert statuses[f.flow.id] == f.expected, f.kind
    return rows


class SwapWatcher:
    """Once the swap is done but not committed: a dashboard read that waits on the
    tables' locks (seen waiting in pg_locks), to be answered after the commit."""

    def __init__(self, service: Service, own: asyncpg.Connection, tenant: uuid.UUID) -> None:
        self.service, self.own, self.tenant = service, own, tenant
        self.read: asyncio.Task[httpx.Response] | None = None

    async def swapped(self) -> None:
        self.read = asyncio.create_task(self.service.per_day(self.tenant))

        async def blocked() -> bool:
            return bool(await self.own.fetchval(
                "select count(*) from pg_locks where not granted and locktype = 'relation'"))

        await eventually(blocked, 10, what="a reader waiting on the swap")


async def test_the_rebuilt_tables_equal_the_live_ones_and_readers_never_fail(
    service: Service, analysts_role: str,
) -> None:
    tenants = [uuid.uuid4() for _ in range(5)]
    flows = make_flows(1000, list(KINDS), tenants)
    assert sum(f.events for f in flows) == 1000
    live_rows = await project_live(service, flows)
    live_view = await service.view()
    live_calls = await service.call_log()
    assert live_calls  # the flows' calls are in the call log too
    schema, pool = service.settings.schema_name, service.runtime.pool
    indexes_sql = "select indexname, indexdef from pg_indexes where schemaname = $1 order by 1"
    indexes = await pool.fetch(indexes_sql, schema)

    # A projection bug, as a rebuild is meant to repair: one booked row now says failed.
    booked = next(f for f in flows if f.kind == "booked")
    await pool.execute("update request_facts set status = 'failed' where request_id = $1",
                       booked.flow.id)
    # Statements prepared before the swap, on a connection that lives across it.
    own = await asyncpg.connect(service.settings.database_url, server_settings={"search_path": schema})
    try:
        by_id = await own.prepare("select status from request_facts where request_id = $1")
        per_view = await own.prepare(
            "select coalesce(sum(requests), 0)::bigint from requests_per_day"
            " where tenant_id = $1 and status = $2")
        assert await by_id.fetchval(booked.flow.id) == "failed"
        failed_before = await per_view.fetchval(booked.flow.tenant_id, "failed")

        watcher = SwapWatcher(service, own, booked.flow.tenant_id)
        readers = Readers(service, tenants)
        async with readers.running():
            # The API reads the tampered row through the pool's cached statements too.
            await readers.one_more_read()
            report = await rebuild_of(service, RebuildHooks(
                held=readers.one_more_read, swapped=watcher.swapped))
            await readers.one_more_read()
        assert set(readers.statuses) == {200}, readers.statuses
        assert watcher.read is not None
        waited = await watcher.read  # answered from the new tables
        assert waited.status_code == 200
        assert waited.json() == (await service.per_day(booked.flow.tenant_id)).json()
        # ... where the tampered row is repaired: the tenant's booked requests again.
        booked_live = sum(1 for r in live_rows
                          if r[1] == booked.flow.tenant_id and r[3] == "booked")
        assert sum(d["by_status"]["booked"] for d in waited.json()["data"]) == booked_live
        assert await by_id.fetchval(booked.flow.id) == "booked"
        assert await per_view.fetchval(booked.flow.tenant_id, "failed") == failed_before - 1
        assert await own.fetchval("select has_table_privilege($1, 'requests_per_day', 'select')",
                                  analysts_role)
    finally:
        await own.close()

    assert request_facts_counts(report.applied) == {
        CONSUMERS[0]: sum(len(f.requests) for f in flows),
        CONSUMERS[1]: sum(len(f.calls) for f in flows),
    }
    assert report.applied[CALL_LOG] > 0
    assert await service.rows() == live_rows
    assert await service.view() == live_view
    assert await service.call_log() == live_calls
    assert await pool.fetch(indexes_sql, schema) == indexes
    assert await pool.fetchval("select count(*) from dead_letters") == 0
    leftovers = await pool.fetchval(
        "select count(*) from pg_namespace where nspname like $1 || '\\_\\_%'", schema)
    assert leftovers == 0


async def test_events_published_during_the_rebuild_are_neither_lost_nor_doubled(
    service: Service,
) -> None:
    tenants = [uuid.uuid4() for _ in range(3)]
    before = make_flows(400, DETERMINISTIC, tenants)
    await publish_flows(service.js, before)
    await service.drained()

    during: list[Flow] = []

    async def publish_more(events: int) -> None:
        flows = make_flows(events, DETERMINISTIC, tenants)
        during.extend(flows)
        await publish_flows(service.js, flows)

    async def concurrently() -> None:
        for _ in range(5):
            await publish_more(30)
            await asyncio.sleep(0)

    async def caught_up() -> None:
        # After the catch-up, before the live workers are held: the live workers may
        # apply these to the old tables, and the final catch-up to the new ones.
        await publish_more(60)

    async def held() -> None:
        # While the live workers are held, after the tail was read: only the live
        # workers apply these, after the swap, to the new tables.
        await publish_more(60)

    hooks: dict[str, Callable[[], Awaitable[None]]] = {"caught_up": caught_up, "held": held}
    publisher = asyncio.create_task(concurrently())
    await rebuild_of(service, RebuildHooks(**hooks))
    await publisher
    await service.drained()

    flows = before + during
    statuses = {r[0]: r[3] for r in await service.rows()}
    assert len(statuses) == len(flows)
    assert {f.flow.id: f.expected for f in flows} == statuses
    # Every event applied exactly once: each aggregate's position is its last version,
    # and each consumer's inbox holds each of its events once.
    positions = {
        (r["consumer"], r["aggregate_id"]): r["last_version"]
        for r in await service.runtime.pool.fetch(
            "select consumer, aggregate_id, last_version from aggregate_positions")
    }
    for f in flows:
        assert positions[(CONSUMERS[0], f.flow.id)] == len(f.requests)
        if f.calls:
            assert positions[(CONSUMERS[1], f.flow.id)] == len(f.calls)
    claimed = await service.runtime.pool.fetch(
        "select consumer, count(*) as n from inbox group by consumer")
    assert request_facts_counts({r["consumer"]: r["n"] for r in claimed}) == {
        CONSUMERS[0]: sum(len(f.requests) for f in flows),
        CONSUMERS[1]: sum(len(f.calls) for f in flows),
    }


async def test_the_command_rebuilds_and_refuses_what_it_cannot_do(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = make_flows(60, DETERMINISTIC, [uuid.uuid4()])
    await publish_flows(service.js, flows)
    await service.drained()
    rows = await service.rows()
    s = service.settings
    options = ["--database-url", s.database_url, "--schema", s.schema_name,
               "--nats-url", s.nats_url]
    target = "analytics_service.entrypoints.projections:projections"
    capsys.readouterr()
    assert await rebuild_cli.amain([target, *options, "--json"]) == 0
    # Log lines go to stdout too (in tests): the report is the last line.
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert request_facts_counts(report["applied"]) == {
        CONSUMERS[0]: sum(len(f.requests) for f in flows),
        CONSUMERS[1]: sum(len(f.calls) for f in flows)}
    assert await service.rows() == rows

    def missing_table() -> list[Projection]:
        return [Projection(name="nothing", tables=("no_such_table",), consumers=())]

    assert await rebuild_cli.amain(options, factory=missing_table) == 1
    assert "no_such_table" in capsys.readouterr().err
    assert await service.rows() == rows
    with pytest.raises(SystemExit) as refused:
        await rebuild_cli.amain(["no_colon_here", *options])
    assert refused.value.code == 2

    # The service's own command, as an operator runs it: settings from the environment.
    env = {**os.environ, "DATABASE_URL": s.database_url, "DB_SCHEMA": s.schema_name,
           "NATS_URL": s.nats_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "analytics_service.entrypoints.rebuild", "--json", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert sum(request_facts_counts(report["applied"]).values()) == sum(f.events for f in flows)
    assert await service.rows() == rows
