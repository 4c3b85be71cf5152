"""The call log projection against real Postgres and nats-server: our own calls from the
CALLS events of their three writers, in any order and redelivered, their analysis from
ANALYTICS, and the catalog's clients from CATALOG."""

from __future__ import annotations

import uuid
from datetime import timedelta

from analytics_service.application.call_log_projection import CALL_LOG_CONSUMER
from analytics_service.testing import CallFlow, client_event, publish
from call_log_harness import CALL_LOG_NOW, CallLogService
from ringbook.contracts.calls import ModelUsage
from ringbook.contracts.catalog import ClientDeleted, ClientUpdated
from ringbook_devtools.testing.waiting import eventually

USAGE = ModelUsage(model="gpt-realtime", input_text_tokens=100, input_audio_tokens=2000,
                   cached_input_tokens=50, output_text_tokens=30, output_audio_tokens=900)
TRANSCRIPT = "Agent: Hello, Dr. Mike's Dental.\nCaller: I'd like a cleaning."


async def test_an_outbound_call_out_of_order_and_redelivered_is_one_row(
    call_log: CallLogService,
) -> None:
    tenant = uuid.uuid4()
    call = CallFlow(tenant, CALL_LOG_NOW, call_log.clock)
    started, connected = call.started(), call.connected()
    completed = call.conversation_completed(usage=USAGE)
    # The conversation's report first, then the carrier's events in reverse order.
    await publish(call_log.js, completed, connected, started)
    # Redelivered under other message ids: past JetStream's de-duplication.
    await publish(call_log.js, started, msg_id="again-1")
    await publish(call_log.js, completed, msg_id="again-2")
    analyzed = call.analyzed(sentiment="POSITIVE", success=True)
    await publish(call_log.js, analyzed)

    detail = await call_log.wait_call(
        tenant, call.id, lambda c: c["caller_phone"] and c["analysis"], "outbound call")
    assert detail["direction"] == "outbound"
    assert detail["call_sid"] == call.call_sid
    assert detail["caller_phone"] == "+4930111222"
    assert detail["client_id"] is None
    assert detail["duration_seconds"] == 42.0
    assert detail["outcome"] == "booked"
    assert detail["transcript"] == TRANSCRIPT
    assert [line["speaker"] for line in detail["transcript_lines"]] == ["agent", "callee"]
    assert detail["response_latency_p50_ms"] == 420.0
    assert detail["response_latency_p95_ms"] == 880.0
    assert detail["stt_latency_ms"] is None  # our calls report no STT/LLM/TTS split
    assert detail["usage"] == {"model": "gpt-realtime", "input_text_tokens": 100,
                               "input_audio_tokens": 2000, "cached_input_tokens": 50,
                               "output_text_tokens": 30, "output_audio_tokens": 900}
    assert detail["sentiment"] == "POSITIVE" and detail["success"] is True
    assert detail["analysis"]["summary"] == "Booked."
    assert detail["analysis"]["extraction"] == {"service": "cleaning"}
    # The row starts when the call did (call_started), whatever arrived first.
    assert detail["created_at"].startswith(CALL_LOG_NOW.isoformat()[:19])
    listed = await call_log.ok(tenant, "/api/calls")
    assert listed["total"] == 1 and [c["id"] for c in listed["calls"]] == [str(call.id)]
    handled = await call_log.runtime.pool.fetchval(
        "select count(*) from inbox where event_id = any($1::uuid[]) and consumer = $2",
        [started.id, connected.id, completed.id], CALL_LOG_CONSUMER)
    assert handled == 3  # once each, redeliveries included (post-call analysis has its own)


async def test_an_inbound_call_whose_analysis_came_first(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    call = CallFlow(tenant, CALL_LOG_NOW, call_log.clock, inbound=True)
    await publish(call_log.js, call.analyzed(sentiment="NEGATIVE", success=False))

    async def analysis_stored() -> bool:
        return bool(await call_log.runtime.pool.fetchval(
            "select exists (select 1 from calls where id = $1)", call.id))

    await eventually(analysis_stored, 20, what="the early analysis stored")
    # An analysis alone is not a call yet: neither listed nor answered.
    assert (await call_log.ok(tenant, "/api/calls"))["total"] == 0
    assert (await call_log.get(tenant, f"/api/calls/{call.id}")).status_code == 404

    # The carrier's guess (no conversation, 43 s) before the conversation's report (42 s):
    # the conversation's outcome wins, the longer duration stays.
    await publish(call_log.js, call.carrier_completed(duration=43.0),
                  call.conversation_completed(duration=42.0), call.started("+4917600000"),
                  call.connected())
    detail = await call_log.wait_call(
        tenant, call.id, lambda c: c["caller_phone"] and c["outcome"] == "booked"
        and c["duration_seconds"] == 43.0, "inbound call")
    assert detail["direction"] == "inbound"
    assert detail["caller_phone"] == "+4917600000"
    assert detail["transcript"] == TRANSCRIPT
    assert detail["sentiment"] == "NEGATIVE" and detail["success"] is False
    assert detail["usage"] is None
    assert await call_log.ok(tenant, "/api/analytics/sentiment") == {
        "POSITIVE": 0, "NEGATIVE": 1, "NEUTRAL": 0}


async def test_another_tenants_event_for_a_call_is_dead_lettered(
    call_log: CallLogService,
) -> None:
    tenant, intruder = uuid.uuid4(), uuid.uuid4()
    call = CallFlow(tenant, CALL_LOG_NOW, call_log.clock)
    await publish(call_log.js, call.started())
    await call_log.wait_call(tenant, call.id, lambda c: c["caller_phone"], "the call")
    forged = CallFlow(intruder, CALL_LOG_NOW, call_log.clock, call_sid=call.call_sid)
    await publish(call_log.js, forged.conversation_completed(duration=999.0))

    async def dead() -> bool:
        return bool(await call_log.runtime.pool.fetchval("select count(*) from dead_letters"))

    await eventually(dead, 30, what="the forged event dead-lettered")
    detail = await call_log.call_detail(tenant, call.id)
    assert detail["duration_seconds"] is None and detail["transcript"] is None
    assert (await call_log.ok(intruder, "/api/calls"))["total"] == 0


async def test_clients_follow_the_catalog_in_version_order(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant, name="Old name", phone="+4930123400")
    renamed = client_event(ClientUpdated(name="Dr. Mike's Dental", phone_number="+4930123400"),
                           client_id=client_id, tenant_id=tenant, version=2,
                           clock=call_log.clock)
    deleted = client_event(ClientDeleted(phone_number="+4930123400"), client_id=client_id,
                           tenant_id=tenant, version=3, clock=call_log.clock)
    # Out of order: the delete waits for the update before it.
    await publish(call_log.js, deleted, renamed)

    async def gone() -> bool:
        row = await call_log.runtime.pool.fetchrow(
            "select name, deleted from clients where id = $1", client_id)
        return row is not None and row["deleted"]

    await eventually(gone, 30, what="the client deleted")
    stats = await call_log.ok(tenant, f"/api/analytics/client/{client_id}/stats")
    assert stats["client_name"] == "Dr. Mike's Dental"
    assert (await call_log.ok(tenant, "/api/analytics/dashboard"))["total_clients"] == 0


async def test_days_filter_counts_calls_by_their_start(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    old = CallFlow(tenant, CALL_LOG_NOW - timedelta(days=10), call_log.clock)
    new = CallFlow(tenant, CALL_LOG_NOW - timedelta(hours=1), call_log.clock)
    await publish(call_log.js, old.started(), new.started())
    await call_log.wait_call(tenant, old.id, lambda c: True, "old call")
    await call_log.wait_call(tenant, new.id, lambda c: True, "new call")
    assert (await call_log.ok(tenant, "/api/calls"))["total"] == 2
    week = await call_log.ok(tenant, "/api/calls", days=7)
    assert week["total"] == 1 and week["calls"][0]["id"] == str(new.id)
    # Whole UTC days, as calls-per-day counts them: 10 days ago is the 11th day back.
    assert (await call_log.ok(tenant, "/api/calls", days=10))["total"] == 1
    assert (await call_log.ok(tenant, "/api/calls", days=11))["total"] == 2
    per_day = await call_log.ok(tenant, "/api/analytics/calls-per-day", days=30)
    assert per_day == {"data": [
        {"date": (CALL_LOG_NOW - timedelta(hours=1)).date().isoformat(), "calls": 1},
        {"date": (CALL_LOG_NOW - timedelta(days=10)).date().isoformat(), "calls": 1},
    ]}


async def test_an_inbound_call_belongs_to_the_client_on_its_line_whichever_comes_first(
    call_log: CallLogService,
) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    line, late_line = "+390212345678", "+390298765432"
    # Another tenant's client on the same number: never this tenant's calls' client.
    await call_log.add_client(other, name="Someone else", phone=line)
    client = await call_log.add_client(tenant, name="Santa Caterina", phone=line)
    first = CallFlow(tenant, CALL_LOG_NOW, call_log.clock, inbound=True)
    await publish(call_log.js, first.started(number="+393471000001", line=line),
                  first.conversation_completed())
    detail = await call_log.wait_call(tenant, first.id, lambda c: c["duration_seconds"],
                                      "the inbound call")
    assert detail["client_id"] == str(client)
    assert detail["caller_phone"] == "+393471000001"

    # The call first, its client's event later: the client claims the call.
    early = CallFlow(tenant, CALL_LOG_NOW, call_log.clock, inbound=True)
    await publish(call_log.js, early.started(line=late_line), early.conversation_completed())
    await call_log.wait_call(tenant, early.id, lambda c: c["duration_seconds"], "early call")
    late_client = await call_log.add_client(tenant, name="Late", phone=late_line)
    detail = await call_log.wait_call(tenant, early.id,
                                      lambda c: c["client_id"] == str(late_client),
                                      "the call claimed by its client")
    stats = await call_log.ok(tenant, f"/api/analytics/client/{client}/stats")
    assert stats["total_calls"] == 1
    assert (await call_log.ok(other, "/api/calls"))["total"] == 0
