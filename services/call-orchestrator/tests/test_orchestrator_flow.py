"""call-orchestrator against real Postgres, a real nats-server and the simulated carrier
(which speaks Twilio's REST API, signed callbacks and Media Streams)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from flow_harness import (
    ANSWERS,
    BUSY,
    NO_ANSWER,
    SATURDAY_10_BERLIN,
    STREAM_TOKEN_SECRET,
    Harness,
    carrier_call_ended,
    has,
    orchestrator,
)
from ringbook.stream_tokens import StreamTokens
from ringbook_devtools.testing.infra import ServerSet
from twilio.request_validator import RequestValidator


async def test_answered_call_starts_and_connects(harness: Harness) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await carrier_call_ended(harness, ANSWERS)
    await harness.attempts_ended(request_id)  # the carrier's completed callback is applied
    # ... and emitted nothing: call_completed of an answered call is the conversation's
    # (media-bridge) to emit.
    events = await harness.settled(request_id)
    assert [e.type for e in events] == ["call_started", "call_connected"]
    assert [e.version for e in events] == [1, 2]
    started = events[0].data
    assert started.number == ANSWERS and started.attempt == 1  # type: ignore[attr-defined]
    # The carrier opened the media stream with a token for this request's call.
    starts = [m for s in harness.media.sessions for m in s.messages if m["event"] == "start"]
    assert starts
    start = starts[0]["start"]
    grant = StreamTokens(STREAM_TOKEN_SECRET, clock=harness.clock).verify(
        start["customParameters"]["stream_token"], call_sid=start["callSid"])
    assert grant.request_id == request_id and grant.call_sid == started.call_sid  # type: ignore[attr-defined]


async def test_busy_retries_then_fails_with_bounded_attempts(harness: Harness) -> None:
    request_id = await harness.submit(BUSY)
    types = await harness.wait_types(request_id, lambda t: t.count("call_failed") == 3)
    assert types == ["call_started", "call_failed"] * 3
    failures = [e.data for e in await harness.call_events(request_id) if e.type == "call_failed"]
    assert [f.retry_at is None for f in failures] == [False, False, True]  # type: ignore[attr-defined]
    # No fourth attempt: the last failure finished the job and dropped its timer, in the
    # transaction that emitted it, and only a timer makes the dialer call.
    assert await harness.job_state(request_id) == "finished"
    assert not await harness.has_timer(request_id)
    assert len(await harness.settled(request_id)) == 6


async def test_no_answer_is_a_failed_attempt(harness: Harness) -> None:
    request_id = await harness.submit(NO_ANSWER)
    await harness.wait_types(request_id, lambda t: t.count("call_failed") >= 1)
    failure = next(e.data for e in await harness.call_events(request_id) if e.type == "call_failed")
    assert failure.reason == "no answer"  # type: ignore[attr-defined]


async def test_closed_callee_is_scheduled_for_next_opening_then_called(harness: Harness) -> None:
    harness.clock.set(SATURDAY_10_BERLIN)
    request_id = await harness.submit(ANSWERS)
    types = await harness.wait_types(request_id, has("scheduled"))
    scheduled = (await harness.call_events(request_id))[0].data
    assert scheduled.run_at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert scheduled.timezone == "Europe/Berlin"  # type: ignore[attr-defined]
    assert "Mon 2026-11-23 08:00 CET" in scheduled.message()
    opening = datetime(2026, 11, 23, 7, 0, 1, tzinfo=UTC)
    harness.clock.set(opening)
    types = await harness.wait_types(request_id, has("call_started"), timeout=15)
    assert types[:2] == ["scheduled", "call_started"]
    # Not dialed while closed: the dialer commits an attempt stamped with the (fake) clock
    # it dials by, and the only one is stamped at the opening.
    [attempt] = await harness.fetch(
        "select attempt, created_at from call_attempts where request_id = $1", request_id)
    assert attempt["attempt"] == 1 and attempt["created_at"] == opening


async def test_cancel_while_scheduled_drops_the_timer(harness: Harness) -> None:
    harness.clock.set(SATURDAY_10_BERLIN)
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("scheduled"))
    await harness.cancel(request_id)
    # Sentinel: a request due at the same opening, after the cancel on REQUESTS. Once the
    # dialer has called it, the opening has passed under the fake clock and the dialer
    # has taken every timer due by then, the canceled one included, had it been left.
    sentinel = await harness.submit(ANSWERS)
    await harness.wait_types(sentinel, has("scheduled"))
    harness.clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    await harness.wait_types(sentinel, has("call_started"))
    assert await harness.job_state(request_id) == "canceled"
    assert await harness.attempt_states(request_id) == []
    assert [e.type for e in await harness.settled(request_id)] == ["scheduled"]


async def test_status_callbacks_need_a_valid_signature(harness: Harness) -> None:
    url = f"{harness.url}/webhook/call-status?attempt_id={uuid.uuid4()}"
    params = {"CallSid": "CA" + "0" * 32, "CallStatus": "completed"}
    async with httpx.AsyncClient() as client:
        forged = await client.post(url, data=params, headers={"X-Twilio-Signature": "bogus"})
        assert forged.status_code == 403 and forged.json() == {"error": "Invalid Twilio signature"}
        signature = RequestValidator("simulated-auth-token").compute_signature(url, params)
        unknown = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert unknown.status_code == 404


async def test_duplicate_callbacks_have_no_second_effect(harness: Harness) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await carrier_call_ended(harness, ANSWERS)
    async with httpx.AsyncClient() as client:
        calls = (await client.get(f"{harness.carrier_url}/calls")).json()
    call = next(c for c in calls["calls"] if c["to"] == ANSWERS)
    # Replay the whole callback sequence, signed as the carrier would sign it.
    validator = RequestValidator("simulated-auth-token")
    url = call["status_callback"]
    async with httpx.AsyncClient() as client:
        for status in ("initiated", "ringing", "in-progress", "completed", "ringing"):
            params = {"CallSid": call["sid"], "CallStatus": status, "CallDuration": "1"}
            sig = validator.compute_signature(url, params)
            r = await client.post(url, data=params, headers={"X-Twilio-Signature": sig})
            assert r.status_code == 200
    # Each callback committed before it was answered: what they emitted is in the outbox.
    assert [e.type for e in await harness.settled(request_id)] == [
        "call_started",
        "call_connected",
    ]


async def test_two_replicas_dial_each_attempt_once(
    infra: ServerSet, harness: Harness, fresh_schema: str
) -> None:
    media_url = harness.media.base_url
    async with orchestrator(infra, fresh_schema, harness.clock, harness.carrier_url, media_url):
        ids = [await harness.submit(ANSWERS) for _ in range(10)]
        for request_id in ids:
            await harness.wait_types(request_id, has("call_started"))
    async with httpx.AsyncClient() as client:
        calls = (await client.get(f"{harness.carrier_url}/calls")).json()["calls"]
    assert len(calls) == 10


async def test_internal_hangup_ends_a_live_call(harness: Harness) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    sid = (await harness.call_events(request_id))[0].data.call_sid  # type: ignore[attr-defined]
    async with httpx.AsyncClient(base_url=harness.url) as client:
        refused = await client.post(
            f"/internal/calls/{sid}/hangup", headers={"Authorization": "Bearer wrong"}
        )
        assert refused.status_code == 401
        token = {"Authorization": "Bearer ringbook-development-internal-token"}
        ended = await client.post(f"/internal/calls/{sid}/hangup", headers=token)
        assert ended.status_code == 204
        again = await client.post(f"/internal/calls/{sid}/hangup", headers=token)
        assert again.status_code == 204  # idempotent
        bad = await client.post("/internal/calls/not-a-sid/hangup", headers=token)
        assert bad.status_code == 422
    await carrier_call_ended(harness, ANSWERS)
