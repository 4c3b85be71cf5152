"""G9 inside one aggregate: a dead-lettered version never blocks the versions behind it.

The gap it leaves is recorded (a dead letter naming aggregate and version, a metric, a
log line), later versions apply, and once the handler is fixed the dead letter is
replayed through the CLI: the running worker applies it with its handler and inbox,
late, although later versions of its aggregate were applied already.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
import structlog
from prometheus_client import REGISTRY
from ringbook.events import Envelope
from ringbook.store import migrations
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

from shared.tests.consumer_harness import Harness, event, harness


@pytest.fixture
async def h(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> AsyncIterator[Harness]:
    async with harness(infra, fresh_schema) as h:
        yield h


async def cli(h: Harness, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": h.database_url, "DB_SCHEMA": h.schema}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ringbook.store.dead_letter_cli", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )


async def listed(h: Harness, *args: str) -> list[dict[str, Any]]:
    done = await cli(h, "list", "--json", *args)
    assert done.returncode == 0, done.stderr
    return [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]


def finished(h: Harness, ev: Envelope) -> bool:
    """The event was applied, or (as before the fix) dead-lettered too."""
    return ev.id in h.applied_ids() or ev.id in h.dead_lettered_ids()


@pytest.mark.parametrize("how", ["poison", "bug"])
async def test_a_dead_lettered_version_does_not_block_the_later_versions_of_its_aggregate(
    h: Harness, how: str
) -> None:
    agg = uuid.uuid4()
    versions = [event(agg, n) for n in (1, 2, 3, 4)]
    h.refuse[versions[1].id] = how  # "bug": fails every time until max_deliver
    await h.start_worker()
    await h.publish(*versions)
    await eventually(lambda: finished(h, versions[3]), within=60)
    assert h.versions_applied(agg) == [1, 3, 4]
    rows = await h.dead_letters()
    assert [(r["aggregate_id"], r["version"], r["event_id"]) for r in rows] == [
        (agg, 2, versions[1].id)
    ]
    assert rows[0]["status"] == "dead"
    # The gap is recorded: later versions may pass it, nothing else may fill it.
    assert await h.admin.fetch(
        "select aggregate_id, version from skipped_versions where consumer = $1", h.durable
    ) == [(agg, 2)]


async def test_the_gap_is_recorded_by_a_metric_and_a_log_line(h: Harness) -> None:
    agg = uuid.uuid4()
    versions = [event(agg, n) for n in (1, 2, 3)]
    h.refuse[versions[1].id] = "poison"
    labels = {"consumer": h.durable}
    with structlog.testing.capture_logs() as logs:
        await h.start_worker()
        await h.publish(*versions)
        await eventually(lambda: finished(h, versions[2]), within=60)
    assert h.versions_applied(agg) == [1, 3]
    assert REGISTRY.get_sample_value("ringbook_versions_skipped_total", labels) == 1
    assert REGISTRY.get_sample_value(
        "ringbook_events_handled_total", {**labels, "outcome": "dead_letter"}) == 1
    dead = [x for x in logs if x["event"] == "event_dead_lettered"]
    assert [(x["aggregate_id"], x["version"]) for x in dead] == [(str(agg), 2)]
    skipped = [x for x in logs if x["event"] == "versions_skipped"]
    assert [(x["aggregate_id"], x["skipped"], x["applying"]) for x in skipped] == [
        (str(agg), [2], 3)
    ]


async def test_a_dead_letter_replayed_through_the_cli_is_applied_late_by_the_worker(
    h: Harness,
) -> None:
    agg = uuid.uuid4()
    versions = [event(agg, n) for n in (1, 2, 3, 4)]
    h.refuse[versions[1].id] = "poison"
    await h.start_worker(replay_poll_seconds=0.2)
    await h.publish(*versions)
    await eventually(lambda: finished(h, versions[3]), within=60)
    assert h.versions_applied(agg) == [1, 3, 4]

    [row] = await listed(h)
    assert (row["consumer"], row["aggregate_id"], row["version"], row["status"]) == (
        h.durable, str(agg), 2, "dead")
    assert row["reason"].startswith("poison")
    shown = await cli(h, "show", str(row["id"]))
    assert shown.returncode == 0, shown.stderr
    assert str(versions[1].id) in shown.stdout and "v2 is poison" in shown.stdout
    missing = await cli(h, "show", "999999")
    assert missing.returncode == 1 and "no dead letter 999999" in missing.stderr

    del h.refuse[versions[1].id]  # the handler is fixed
    replay = await cli(h, "replay", str(row["id"]))
    assert replay.returncode == 0, replay.stderr
    await eventually(lambda: 2 in h.versions_applied(agg), within=30)
    assert h.versions_applied(agg) == [1, 3, 4, 2]  # applied late, through the handler
    [after] = await listed(h)
    assert after["status"] == "replayed"
    assert await h.admin.fetchval(
        "select count(*) from inbox where consumer = $1 and event_id = $2",
        h.durable, versions[1].id) == 1
    assert await h.admin.fetchval("select count(*) from skipped_versions") == 0

    # A replayed letter is not replayed again, and its aggregate goes on in order.
    again = await cli(h, "replay", str(row["id"]))
    assert again.returncode == 1 and "not dead" in again.stderr
    await h.publish(event(agg, 5))
    await eventually(lambda: 5 in h.versions_applied(agg), within=30)
    assert h.versions_applied(agg) == [1, 3, 4, 2, 5]


async def test_a_replay_that_fails_again_is_dead_lettered_again(h: Harness) -> None:
    agg = uuid.uuid4()
    first, second = event(agg, 1), event(agg, 2)
    h.refuse[first.id] = "bug"
    await h.start_worker(replay_poll_seconds=0.2)
    await h.publish(first, second)
    await eventually(lambda: finished(h, second), within=60)
    assert h.versions_applied(agg) == [2]
    [row] = await listed(h)

    writes = len(h.dead_letter_writes)
    replay = await cli(h, "replay", "--consumer", h.durable)  # every dead letter of it
    assert replay.returncode == 0, replay.stderr

    def dead_again() -> bool:
        return any(w["status"] == "dead" for w in h.dead_letter_writes[writes:])

    await eventually(dead_again, within=30)
    [after] = await listed(h)
    assert (after["id"], after["status"], after["replays"]) == (row["id"], "dead", 1)
    assert "replay failed" in after["reason"] and "ContentBug" in after["reason"]
    assert h.versions_applied(agg) == [2]

    # Fixed at last: the second replay applies it.
    del h.refuse[first.id]
    assert (await cli(h, "replay", str(row["id"]))).returncode == 0
    await eventually(lambda: 1 in h.versions_applied(agg), within=30)
    assert h.versions_applied(agg) == [2, 1]


async def test_letters_written_before_the_upgrade_are_read_as_the_gaps_they_left(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The schema as the previous release left it: platform migrations 0001 and 0002, and
    # a letter for v2 (its in-order successors wedged behind it) plus an undecodable one.
    for name in ("0001_platform.sql", "0002_aggregate_positions.sql"):
        shutil.copy(migrations.PLATFORM_MIGRATIONS / name, tmp_path / name)
    with monkeypatch.context() as patched:
        patched.setattr(migrations, "PLATFORM_MIGRATIONS", tmp_path)
        assert await migrations.migrate(infra.database_url, fresh_schema, None) == [
            "platform/0001_platform.sql", "platform/0002_aggregate_positions.sql"]
    agg = uuid.uuid4()
    versions = [event(agg, n) for n in (1, 2, 3)]
    durable = f"test_{fresh_schema}"
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": fresh_schema})
    try:
        await conn.executemany(
            "insert into dead_letters (consumer, stream, stream_seq, subject, payload, reason)"
            " values ($1, 'REQUESTS', $2, $3, $4, 'old')",
            [(durable, 2, versions[1].subject, versions[1].to_json()),
             (durable, 9, "ringbook.requests.request.x.bogus", b"{not json")],
        )
    finally:
        await conn.close()

    async with harness(infra, fresh_schema) as h:  # migrates to this release
        rows = await h.dead_letters()
        assert [(r["event_id"], r["aggregate_id"], r["version"], r["status"]) for r in rows] == [
            (versions[1].id, agg, 2, "dead"), (None, None, None, "dead")]
        await h.start_worker()
        await h.publish(versions[0], versions[2])
        await eventually(lambda: finished(h, versions[2]), within=30)
        assert h.versions_applied(agg) == [1, 3]
