"""An answered call is settled by its first result: the conversation's ``call_completed``
(a booking or a callback request finishes the job, any other end fails the attempt and
the retry policy takes over), or, when none comes in time after the carrier ended the
call, a ``call_completed`` of outcome ``no_conversation`` written by the orchestrator.
Real Postgres, real nats-server, the simulated carrier; the conversation's events are
published as media-bridge would."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from flow_harness import ANSWERS, Harness, carrier_call_ended, has

SWEEP_S = 5.0  # the dialer's sweep: what a "nothing else happens" check must outwait


async def test_a_call_that_ends_without_a_result_fails_the_attempt_and_is_retried(
    harness: Harness,
) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    report = await harness.conversation_ended(request_id, "caller_hung_up")
    await harness.publish(report)  # redelivered: no second effect
    types = await harness.wait_types(request_id, lambda t: t.count("call_started") == 2)
    assert types[:4] == ["call_started", "call_connected", "call_failed", "call_started"]
    failure = next(e.data for e in await harness.call_events(request_id)
                   if e.type == "call_failed")
    assert failure.reason == "the callee hung up before anything was booked"  # type: ignore[attr-defined]
    assert failure.retry_at is not None  # type: ignore[attr-defined]

    # A second, late report on the same attempt (another event) decides nothing.
    await harness.conversation_ended(request_id, "model_disconnected")
    await asyncio.sleep(1.0)
    types = [e.type for e in await harness.call_events(request_id)]
    assert types.count("call_failed") == 1


async def test_a_booked_call_finishes_the_job_and_needs_no_other_report(
    harness: Harness,
) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await harness.conversation_ended(request_id, "booked")
    await carrier_call_ended(harness, ANSWERS)
    await asyncio.sleep(1.0)
    harness.clock.advance(timedelta(minutes=5))  # far past any grace for a report
    await asyncio.sleep(SWEEP_S + 1)
    assert [e.type for e in await harness.call_events(request_id)] == [
        "call_started", "call_connected"]


async def test_an_answered_call_no_conversation_reported_on_still_gets_call_completed(
    harness: Harness,
) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await carrier_call_ended(harness, ANSWERS)  # the stream went to no media-bridge
    await asyncio.sleep(SWEEP_S + 1)
    assert "call_completed" not in [e.type for e in await harness.call_events(request_id)]

    harness.clock.advance(timedelta(seconds=61))  # past the 60 s grace
    types = await harness.wait_types(request_id, has("call_completed", "call_failed"))
    assert types[:4] == ["call_started", "call_connected", "call_completed", "call_failed"]
    events = {e.type: e.data for e in await harness.call_events(request_id)}
    completed, failed = events["call_completed"], events["call_failed"]
    assert completed.outcome == "no_conversation"  # type: ignore[attr-defined]
    assert completed.duration_seconds > 0  # type: ignore[attr-defined]
    assert failed.reason == "the call was answered, but the voice agent never joined it"  # type: ignore[attr-defined]

    # The conversation's report, arriving after all, changes nothing.
    await harness.conversation_ended(request_id, "booked")
    await asyncio.sleep(1.0)
    assert [e.type for e in await harness.call_events(request_id)].count("call_completed") == 1
