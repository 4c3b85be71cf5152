"""The end of a call: the conversation's report (its row and ``call_completed``, one
transaction) is committed first, retried when Postgres fails it, and neither a stalled
nor a failing hang-up (call-orchestrator's ``/internal/calls/{sid}/hangup``, a real HTTP
server here) can cancel or delay it. Lost, call-orchestrator would settle the call as
``no_conversation`` and dial again a practice that had already booked."""

from __future__ import annotations

import asyncpg
import pytest
from bridge_harness import FakeOrchestrator, bridge_serving, eventually
from pg_faults import delay_writes, kill_writes
from ringbook_devtools.testing.infra import ServerSet
from twilio_peer import SILENCE, TENANT, Twilio


async def count(infra: ServerSet, schema: str, sql: str) -> int:
    conn = await asyncpg.connect(infra.database_url)
    try:
        return int(await conn.fetchval(sql.replace("{schema}", schema)))
    finally:
        await conn.close()


COMPLETED = "select count(*) from {schema}.events where type = 'call_completed'"
ROWS = "select count(*) from {schema}.conversations"


@pytest.mark.parametrize("hangup", ["stalls", "fails"])
async def test_the_report_outlasts_a_failing_store_and_a_bad_hangup(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, hangup: str
) -> None:
    orchestrator = FakeOrchestrator()
    if hangup == "stalls":
        orchestrator.answering.clear()  # held until this test lets it go
    else:
        orchestrator.status = 503
    async with bridge_serving(
        infra, fresh_schema, model_speed=10.0, orchestrator=orchestrator,
        media_receive_timeout_seconds=10.0, hangup_timeout_seconds=10.0,
    ) as bridge:
        # Every write of the report dies with its connection, in the middle of its
        # transaction (the conversations row is inserted first), until stopped below.
        killer = await kill_writes(infra.database_url, schema=fresh_schema,
                                   table="conversations", condition="true", times=10_000)
        async with bridge.connect() as ws:
            twilio = Twilio(ws, 51)
            await twilio.start(direction="inbound", tenant_id=str(TENANT))
            await twilio.frames([SILENCE] * 10)
            await twilio.stop()

        async def hangup_asked_while_the_report_fails() -> bool:
            return bool(orchestrator.hangups) and await killer.kills() >= 1

        await eventually(hangup_asked_while_the_report_fails, 10)
        assert await count(infra, fresh_schema, COMPLETED) == 0
        await killer.stop()  # Postgres is back; the hang-up still stalls (or has failed)

        async def reported() -> bool:
            return await count(infra, fresh_schema, COMPLETED) == 1

        await eventually(reported, 10)
        if hangup == "stalls":
            assert not orchestrator.answering.is_set()  # committed while still held
        orchestrator.answering.set()
    # The bridge has stopped, so every call's end has run to completion: the report was
    # committed exactly once, its row with it, and the call was hung up once.
    assert await count(infra, fresh_schema, COMPLETED) == 1
    assert await count(infra, fresh_schema, ROWS) == 1
    assert [sid for sid, _ in orchestrator.hangups] == [twilio.call_sid]


async def test_the_report_is_committed_before_the_hangup_is_asked(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> None:
    seen_at_hangup: list[int] = []

    async def look() -> None:
        seen_at_hangup.append(await count(infra, fresh_schema, COMPLETED))

    orchestrator = FakeOrchestrator(on_hangup=look)
    async with bridge_serving(infra, fresh_schema, model_speed=10.0,
                              orchestrator=orchestrator,
                              media_receive_timeout_seconds=10.0) as bridge:
        # A slow Postgres: the report takes a moment longer than the hang-up request.
        await delay_writes(infra.database_url, schema=fresh_schema, table="conversations",
                           seconds=0.3)
        async with bridge.connect() as ws:
            twilio = Twilio(ws, 52)
            await twilio.start(direction="inbound", tenant_id=str(TENANT))
            await twilio.frames([SILENCE] * 10)
            await twilio.stop()

        async def hung_up() -> bool:
            return bool(seen_at_hangup)

        await eventually(hung_up, 10)
    assert seen_at_hangup == [1]
