"""An answered call is settled by its first result: the conversation's ``call_completed``
(a booking or a callback request finishes the job, any other end fails the attempt and
the retry policy takes over), or, when none comes in time after the carrier ended the
call, a ``call_completed`` of outcome ``no_conversation`` written by the orchestrator.
Real Postgres, real nats-server, the simulated carrier; the conversation's events are
published as media-bridge would."""

from __future__ import annotations

from datetime import timedelta

from flow_harness import ANSWERS, Harness, carrier_call_ended, has


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
    late = await harness.conversation_ended(request_id, "model_disconnected")
    await harness.handled(late)
    types = [e.type for e in await harness.settled(request_id)]
    assert types.count("call_failed") == 1


async def test_a_booked_call_finishes_the_job_and_needs_no_other_report(
    harness: Harness,
) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await harness.handled(await harness.conversation_ended(request_id, "booked"))
    await carrier_call_ended(harness, ANSWERS)
    await harness.attempts_ended(request_id)
    # Sentinel: another answered call, ended later, that no conversation reports on. Once
    # the sweep has written its no_conversation, it has run past both calls' grace (it
    # takes overdue calls in the order they ended).
    sentinel = await harness.submit(ANSWERS)
    await harness.wait_types(sentinel, has("call_connected"))
    await harness.attempts_ended(sentinel)
    harness.clock.advance(timedelta(minutes=5))  # far past any grace for a report
    await harness.wait_types(sentinel, has("call_completed"))
    assert [e.type for e in await harness.settled(request_id)] == [
        "call_started", "call_connected"]


async def test_an_answered_call_no_conversation_reported_on_still_gets_call_completed(
    harness: Harness,
) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await carrier_call_ended(harness, ANSWERS)  # the stream went to no media-bridge
    await harness.attempts_ended(request_id)  # the wait for a report has begun
    # Within the grace the sweep writes nothing, however often it runs.
    await harness.dialer_went_round()
    assert "call_completed" not in [e.type for e in await harness.settled(request_id)]

    harness.clock.advance(timedelta(seconds=61))  # past the 60 s grace
    past_grace = harness.clock.now()
    types = await harness.wait_types(request_id, has("call_completed", "call_failed"))
    assert types[:4] == ["call_started", "call_connected", "call_completed", "call_failed"]
    by_type = {e.type: e for e in await harness.call_events(request_id)}
    # Not before the grace ran out: the sweep stamps it with the (fake) clock it runs by.
    assert by_type["call_completed"].occurred_at == past_grace
    completed, failed = by_type["call_completed"].data, by_type["call_failed"].data
    assert completed.outcome == "no_conversation"  # type: ignore[attr-defined]
    assert completed.duration_seconds > 0  # type: ignore[attr-defined]
    assert failed.reason == "the call was answered, but the voice agent never joined it"  # type: ignore[attr-defined]

    # The conversation's report, arriving after all, changes nothing.
    await harness.handled(await harness.conversation_ended(request_id, "booked"))
    assert [e.type for e in await harness.settled(request_id)].count("call_completed") == 1
