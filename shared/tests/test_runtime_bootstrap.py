"""A service's link to NATS under failures that start-up used to meet only once.

The faults are real: a stream the server refuses to create (another stream already
claims its subjects), and nats-server restarted without ``sync_interval: always``.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from ringbook.clock import Clock, FakeClock, SystemClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import Envelope, new_event
from ringbook.runtime import ServiceRuntime
from ringbook.settings import ServiceSettings
from ringbook.store import event_store
from ringbook.web.app import create_service_app
from ringbook_devtools.nats_server import nats_server_binary
from ringbook_devtools.processes import free_ports, stop_process, wait_for_port
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually

LIVENESS_LIMIT = 60.0
BLOCKER = "BLOCKS_REQUESTS"


@pytest.fixture
async def admin(infra: ServerSet, fresh_streams: None) -> AsyncIterator[NATS]:
    nc = await nats.connect(infra.nats_url)
    yield nc
    await nc.close()


@pytest.fixture
async def blocked_requests_stream(admin: NATS) -> AsyncIterator[list[Msg]]:
    """Another stream claims the REQUESTS subjects, so the server refuses to create REQUESTS
    until it is gone. Yields the stream-create requests the server has received."""
    js = admin.jetstream()
    await js.add_stream(name=BLOCKER, subjects=REQUESTS.subjects)
    creates: list[Msg] = []

    async def seen(msg: Msg) -> None:
        creates.append(msg)

    # JetStream's API is plain request/reply; a second subscriber sees each request too.
    sub = await admin.subscribe(f"$JS.API.STREAM.CREATE.{REQUESTS.name}", cb=seen)
    await admin.flush()
    try:
        yield creates
    finally:
        await sub.unsubscribe()
        if BLOCKER in [s.config.name for s in await js.streams_info()]:
            await js.delete_stream(BLOCKER)


def runtime_for(
    infra: ServerSet, schema: str, *, clock: Clock | None = None, **overrides: object
) -> ServiceRuntime:
    settings = settings_for(infra, ServiceSettings, service="bootstrap-test", schema=schema,
                            unready_liveness_seconds=LIVENESS_LIMIT, **overrides)
    return ServiceRuntime(settings=settings, migrations_dir=None, streams=[REQUESTS],
                          clock=clock or SystemClock())


async def test_bootstrap_retries_a_stream_the_server_refuses_at_first(
    infra: ServerSet, fresh_schema: str, admin: NATS, blocked_requests_stream: list[Msg]
) -> None:
    rt = runtime_for(infra, fresh_schema)
    await rt.start()
    try:
        # A second create request means the first failed and start-up tried again.
        await eventually(lambda: len(blocked_requests_stream) >= 2, within=15)
        checks = await rt.readiness()
        assert "subjects overlap" in checks["nats"], checks

        await admin.jetstream().delete_stream(BLOCKER)

        await rt.wait_bus_ready(30)
        assert await rt.readiness() == {"postgres": "ok", "nats": "ok"}
        assert (await admin.jetstream().stream_info(REQUESTS.name)).config.name == REQUESTS.name
    finally:
        await rt.stop()


async def test_a_service_connected_but_unready_too_long_fails_liveness(
    infra: ServerSet, fresh_schema: str, admin: NATS, blocked_requests_stream: list[Msg]
) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    rt = runtime_for(infra, fresh_schema, clock=clock)
    app = create_service_app(rt, title="bootstrap-test")
    await rt.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            await eventually(lambda: len(blocked_requests_stream) >= 1, within=15)
            # Unready, but not for long yet: alive (a restart would not help sooner).
            assert (await client.get("/health")).status_code == 200

            clock.advance(timedelta(seconds=LIVENESS_LIMIT + 1))
            health = await client.get("/health")
            assert health.status_code == 503, health.text
            assert "connected but not ready" in health.json()["details"]["nats"]

            # Once the cause is gone the service recovers by itself, and is alive again.
            await admin.jetstream().delete_stream(BLOCKER)
            await rt.wait_bus_ready(30)
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/ready")).status_code == 200
    finally:
        await rt.stop()


def start_nats(root: Path, port: int, monitor_port: int, *, sync_always: bool
               ) -> subprocess.Popen[bytes]:
    """nats-server on fixed ports (a client reconnects to the same address), with or
    without ``sync_interval: always``; both keep their streams in ``root``."""
    config = root / ("safe.conf" if sync_always else "unsafe.conf")
    config.write_text(
        f'listen: "127.0.0.1:{port}"\nhttp: "127.0.0.1:{monitor_port}"\n'
        f'jetstream {{\n  store_dir: "{root / "jetstream"}"\n'
        + ("  sync_interval: always\n" if sync_always else "") + "}\n"
    )
    log = (root / "nats.log").open("ab")
    proc = subprocess.Popen([nats_server_binary(), "-c", str(config)],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_for_port("127.0.0.1", port, timeout=15, proc=proc)
    wait_for_port("127.0.0.1", monitor_port, timeout=15, proc=proc)
    return proc


class RestartableNats:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port, self.monitor_port = free_ports(2)
        self.proc = start_nats(root, self.port, self.monitor_port, sync_always=True)

    def restart(self, *, sync_always: bool = True, wipe: bool = False) -> None:
        stop_process(self.proc)
        if wipe:  # a server that comes back without its storage
            shutil.rmtree(self.root / "jetstream")
        self.proc = start_nats(self.root, self.port, self.monitor_port,
                               sync_always=sync_always)


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[RestartableNats]:
    server = RestartableNats(tmp_path)
    try:
        yield server
    finally:
        stop_process(server.proc)


def canceled_event(reason: str) -> Envelope:
    aggregate_id = uuid.uuid4()
    return new_event(RequestCanceled(reason=reason), aggregate_id=aggregate_id, version=1,
                     tenant_id=uuid.uuid4(), correlation_id=aggregate_id,
                     clock=FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))


async def test_a_reconnect_to_an_unsafe_server_flips_readiness_and_holds_publishing(
    infra: ServerSet, fresh_schema: str, own_nats: RestartableNats
) -> None:
    rt = runtime_for(infra, fresh_schema, nats_url=f"nats://127.0.0.1:{own_nats.port}",
                     nats_monitor_url=f"http://127.0.0.1:{own_nats.monitor_port}")
    await rt.start()
    try:
        await rt.wait_bus_ready(15)
        assert (await rt.readiness())["nats"] == "ok"

        own_nats.restart(sync_always=False)
        await eventually(lambda: rt.server_check is not None and not rt.server_check.ok,
                         within=20)
        checks = await rt.readiness()
        assert checks["nats"].startswith("refused") and "sync_interval" in checks["nats"]

        # Accepted meanwhile: kept in the outbox, not handed to a server that may lose it.
        assert rt.outbox_relay is not None
        held_before = rt.outbox_relay.held
        async with rt.pool.acquire() as conn, conn.transaction():
            await event_store.append(conn, [canceled_event("while-unsafe")])
        await eventually(lambda: rt.outbox_relay is not None and rt.outbox_relay.held > held_before)
        assert await rt.pool.fetchval(
            "select count(*) from outbox where published_at is null") == 1

        own_nats.restart(sync_always=True)
        await rt.wait_bus_ready(20)
        assert (await rt.readiness())["nats"] == "ok"
        await eventually(lambda: rt.outbox_relay is not None and rt.outbox_relay.published == 1, within=15)
    finally:
        await rt.stop()


async def test_a_server_that_lost_its_streams_gets_them_again_after_the_reconnect(
    infra: ServerSet, fresh_schema: str, own_nats: RestartableNats
) -> None:
    rt = runtime_for(infra, fresh_schema, nats_url=f"nats://127.0.0.1:{own_nats.port}",
                     nats_monitor_url=f"http://127.0.0.1:{own_nats.monitor_port}")
    await rt.start()
    try:
        await rt.wait_bus_ready(15)
        own_nats.restart(wipe=True)
        event = canceled_event("after-wipe")
        async with rt.pool.acquire() as conn, conn.transaction():
            await event_store.append(conn, [event])

        async def published() -> bool:
            with contextlib.suppress(NatsError):
                assert rt.js is not None
                stored = await rt.js.get_last_msg(REQUESTS.name, event.subject)
                return stored.headers is not None and (
                    stored.headers["Nats-Msg-Id"] == str(event.id))
            return False

        await eventually(published, within=20)
    finally:
        await rt.stop()
