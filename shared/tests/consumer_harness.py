"""One durable pull worker against the real Postgres and nats-server, observed from outside.

The worker's handler applies events in version order (``in_order``) and records each
applied event in a table of the test's schema. What a test waits for is learnt by
LISTEN/NOTIFY on a separate connection: the handler's NOTIFY is delivered only when its
transaction commits, and a trigger on ``dead_letters`` reports every row written there,
so "applied" and "dead-lettered" mean committed, never merely attempted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import nats
import orjson
from nats.js import JetStreamContext
from ringbook.bus.worker import ConsumerSpec, PoisonEvent, PullWorker
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import Envelope, new_event
from ringbook.store.database import Conn, create_pool
from ringbook.store.migrations import migrate
from ringbook.store.sequencing import in_order
from ringbook.tasks import TaskSupervisor
from ringbook_devtools.testing.infra import ServerSet

CLOCK = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
TENANT = uuid.uuid4()

OBSERVE_SQL = """
create table applied (
    seq          bigserial primary key,
    event_id     uuid    not null,
    aggregate_id uuid    not null,
    version      integer not null
);
create function notify_dead_letter() returns trigger language plpgsql as $$
begin
    perform pg_notify('harness_dead_' || tg_table_schema, row_to_json(new)::text);
    return null;
end $$;
create trigger dead_letter_notify after insert or update on dead_letters
    for each row execute function notify_dead_letter();
"""


def event(aggregate_id: uuid.UUID, version: int, reason: str = "fine") -> Envelope:
    return new_event(
        RequestCanceled(reason=reason),
        aggregate_id=aggregate_id,
        version=version,
        tenant_id=TENANT,
        correlation_id=aggregate_id,
        clock=CLOCK,
    )


class ContentBug(RuntimeError):
    """What a handler raises on an event it cannot process (a bug, bad data)."""


@dataclass
class Harness:
    schema: str
    database_url: str
    nats_url: str
    admin: asyncpg.Pool
    js: JetStreamContext
    durable: str
    # Event ids the handler refuses, and how: "poison" raises PoisonEvent, "bug" raises
    # an ordinary exception (a content failure that is retried up to max_deliver).
    refuse: dict[uuid.UUID, str] = field(default_factory=dict)
    applied: list[tuple[uuid.UUID, int, uuid.UUID]] = field(default_factory=list)
    # Every write to dead_letters, as the row it left (insert or update).
    dead_letter_writes: list[dict[str, Any]] = field(default_factory=list)
    # While cleared, the handler waits before applying (an event held "in flight").
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    holding: int = 0
    tasks: TaskSupervisor = field(default_factory=TaskSupervisor)

    def spec(self, **overrides: Any) -> ConsumerSpec:
        values: dict[str, Any] = {"durable": self.durable, "stream": REQUESTS, "max_deliver": 3}
        values.update(overrides)
        return ConsumerSpec(**values)

    async def handler(self, conn: Conn, ev: Envelope) -> None:
        if not await in_order(conn, self.durable, ev):
            return
        how = self.refuse.get(ev.id)
        if how == "poison":
            raise PoisonEvent(f"v{ev.version} is poison")
        if how == "bug":
            raise ContentBug(f"cannot process v{ev.version}")
        if not self.gate.is_set():
            self.holding += 1
            try:
                await self.gate.wait()
            finally:
                self.holding -= 1
        await conn.execute(
            "insert into applied (event_id, aggregate_id, version) values ($1, $2, $3)",
            ev.id, ev.aggregate_id, ev.version,
        )
        await conn.execute(
            "select pg_notify($1, $2)", f"harness_applied_{self.schema}",
            f"{ev.aggregate_id}:{ev.version}:{ev.id}",
        )

    async def start_worker(
        self,
        *,
        database_url: str | None = None,
        js: JetStreamContext | None = None,
        spec: ConsumerSpec | None = None,
        handler: Any = None,
        **worker_options: Any,
    ) -> PullWorker:
        """A worker whose Postgres and NATS may be reached through other URLs (a proxy),
        running the harness's own handler unless the test brings one."""
        pool = await create_pool(
            database_url or self.database_url, schema=self.schema, min_size=1, max_size=4
        )
        worker = PullWorker(
            pool=pool, js=js or self.js, spec=spec or self.spec(), handler=handler or self.handler,
            **worker_options,
        )
        await worker.ensure()

        async def run() -> None:
            try:
                await worker.run()
            finally:
                pool.terminate()

        self.tasks.spawn(f"worker-{len(self.tasks.running)}", run())
        return worker

    async def publish(self, *events: Envelope) -> None:
        for ev in events:
            await self.js.publish(ev.subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})

    def versions_applied(self, aggregate_id: uuid.UUID) -> list[int]:
        return [v for agg, v, _ in self.applied if agg == aggregate_id]

    def applied_ids(self) -> set[uuid.UUID]:
        return {event_id for _, _, event_id in self.applied}

    def dead_lettered_ids(self) -> set[uuid.UUID]:
        """Event ids of the dead letters written so far (undecodable payloads left out)."""
        found = set()
        for row in self.dead_letter_writes:
            try:  # row_to_json renders bytea as "\\x" and hex digits
                found.add(uuid.UUID(orjson.loads(bytes.fromhex(row["payload"][2:]))["id"]))
            except (ValueError, KeyError, TypeError):
                continue
        return found

    async def dead_letters(self) -> list[asyncpg.Record]:
        return list(await self.admin.fetch("select * from dead_letters order by id"))

    def _on_applied(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        agg, version, event_id = payload.split(":")
        self.applied.append((uuid.UUID(agg), int(version), uuid.UUID(event_id)))

    def _on_dead(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.dead_letter_writes.append(orjson.loads(payload))


@asynccontextmanager
async def harness(infra: ServerSet, schema: str) -> AsyncIterator[Harness]:
    await migrate(infra.database_url, schema, None)
    admin = await create_pool(infra.database_url, schema=schema, min_size=1, max_size=3)
    await admin.execute(OBSERVE_SQL)
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    await js.add_stream(name=REQUESTS.name, subjects=REQUESTS.subjects)
    h = Harness(schema=schema, database_url=infra.database_url, nats_url=infra.nats_url,
                admin=admin, js=js, durable=f"test_{schema}")
    h.gate.set()
    listener = await asyncpg.connect(infra.database_url)
    await listener.add_listener(f"harness_applied_{schema}", h._on_applied)
    await listener.add_listener(f"harness_dead_{schema}", h._on_dead)
    try:
        yield h
    finally:
        await h.tasks.stop(grace_seconds=5)
        await listener.close()
        await nc.close()
        await admin.close()

