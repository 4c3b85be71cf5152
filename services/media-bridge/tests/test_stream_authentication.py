"""Who may open a media stream: only Twilio (a valid ``X-Twilio-Signature`` on the
websocket upgrade) for one of our calls (a stream token call-orchestrator minted for that
call sid, not expired, never used before, on any replica). Anything else gets nothing -
no model session, no events, no hang-up, no media_sessions row - and the call's facts
are the token's, never what ``start`` claims.

Absence is proved by a sentinel: a good call streamed and reported after the refused
one, through the same bridge, is the only call the bridge ever acted on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
import pytest
from bridge_harness import (
    INTERNAL_TOKEN,
    STREAM_TOKEN_SECRET,
    Bridge,
    eventually,
    run_bridge,
    stream_token,
    twilio_signature,
)
from prometheus_client import REGISTRY
from ringbook.clock import FakeClock, SystemClock
from ringbook.stream_tokens import StreamTokens
from ringbook_devtools.testing.infra import ServerSet
from twilio_peer import SILENCE, TENANT, Twilio
from websockets.exceptions import InvalidStatus

POLICY_VIOLATION = 1008
OTHER_TENANT = uuid.uuid4()


def refusals(reason: str) -> float:
    sample = REGISTRY.get_sample_value("ringbook_media_streams_refused_total",
                                       {"reason": reason})
    return sample or 0.0


@asynccontextmanager
async def replica(infra: ServerSet, schema: str) -> AsyncIterator[Bridge]:
    """Another media-bridge process on the same schema (a second replica)."""
    bridges = run_bridge(infra, schema, model_speed=10.0, media_receive_timeout_seconds=10.0)
    bridge = await anext(bridges)
    try:
        yield bridge
    finally:
        await bridges.aclose()


async def reported(bridge: Bridge, call_sid: str) -> dict[str, Any]:
    """The call_completed event of ``call_sid``, once appended."""
    row: Any = None

    async def appended() -> bool:
        nonlocal row
        row = await bridge.pool.fetchrow(
            "select tenant_id, correlation_id, aggregate, data from events"
            " where type = 'call_completed' and data->>'call_sid' = $1", call_sid)
        return row is not None

    await eventually(appended)
    return {**dict(row), "data": orjson.loads(row["data"])}


async def sentinel_call(bridge: Bridge, n: int) -> uuid.UUID:
    """A good inbound call from start to stop; returns its session id once reported."""
    session = uuid.uuid4()
    async with bridge.connect() as ws:
        twilio = Twilio(ws, n)
        await twilio.start(direction="inbound", request_id=str(session))
        await twilio.frames([SILENCE] * 5)
        await twilio.stop()
        await asyncio.wait_for(ws.wait_closed(), 5)
    await reported(bridge, twilio.call_sid)

    # The hang-up is asked after the report is stored, so it is awaited, not assumed.
    async def hung_up() -> bool:
        return bool(bridge.hangups)

    await eventually(hung_up)
    return session


async def assert_only_the_sentinel_was_served(bridge: Bridge, sentinel: uuid.UUID,
                                              n: int) -> None:
    sentinel_sid = f"CA{n:032d}"
    correlations = await bridge.pool.fetch("select distinct correlation_id from events")
    assert [r["correlation_id"] for r in correlations] == [sentinel]
    streams = await bridge.pool.fetch("select call_sid from media_sessions")
    assert [r["call_sid"] for r in streams] == [sentinel_sid]
    assert bridge.hangups == [(sentinel_sid, f"Bearer {INTERNAL_TOKEN}")]
    assert len(bridge.model.sessions) == 1  # the sentinel's: no refused stream opened one


def forged_signature(kind: str, url: str) -> str:
    if kind == "no-signature":
        return ""
    if kind == "signed-for-another-url":
        return twilio_signature("ws://127.0.0.1:1/media-stream")
    assert kind == "signed-with-another-token"
    return twilio_signature(url, auth_token="not-our-twilio-auth-token")


@pytest.mark.parametrize(
    "kind", ["no-signature", "signed-for-another-url", "signed-with-another-token"])
async def test_an_upgrade_without_twilios_signature_is_refused(
    fast_bridge: Bridge, kind: str
) -> None:
    bridge = fast_bridge
    signature = forged_signature(kind, bridge.url)
    refused_before = refusals("unsigned")
    with pytest.raises(InvalidStatus) as refused:
        async with bridge.connect(signature=signature) as ws:
            twilio = Twilio(ws, 1)
            await twilio.start(direction="outbound", tenant_id=str(TENANT))
    assert refused.value.response.status_code == 403
    assert refusals("unsigned") == refused_before + 1

    sentinel = await sentinel_call(bridge, 2)
    await assert_only_the_sentinel_was_served(bridge, sentinel, 2)


def forged_token(kind: str, call_sid: str, claims: dict[str, str]) -> str | None:
    if kind == "no-token":
        return None
    if kind == "garbage":
        return "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"
    if kind == "other-secret":
        tokens = StreamTokens("a-secret-that-is-not-the-bridges-own-32b", clock=SystemClock())
        return stream_token(call_sid, claims, tokens=tokens)
    if kind == "expired":
        past = FakeClock(SystemClock().now() - timedelta(minutes=10))
        tokens = StreamTokens(STREAM_TOKEN_SECRET, clock=past, ttl=timedelta(minutes=2))
        return stream_token(call_sid, claims, tokens=tokens)
    assert kind == "another-call"
    return stream_token("CA" + "f" * 32, claims)


@pytest.mark.parametrize(("kind", "reason"), [
    ("no-token", "missing"), ("garbage", "invalid"), ("other-secret", "invalid"),
    ("expired", "expired"), ("another-call", "wrong_call"),
])
async def test_a_start_without_a_good_token_is_closed_before_anything_happens(
    fast_bridge: Bridge, kind: str, reason: str
) -> None:
    bridge = fast_bridge
    refused_before = refusals(reason)
    # What an attacker would like the call to be: somebody's outbound booking call.
    claims = {"direction": "outbound", "tenant_id": str(TENANT),
              "request_id": str(uuid.uuid4()), "attempt": "1"}
    async with bridge.connect() as ws:
        twilio = Twilio(ws, 1)
        token = forged_token(kind, twilio.call_sid, claims)
        await twilio.start_with({**claims, **({"stream_token": token} if token else {})})
        await twilio.frames([SILENCE] * 3)
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == POLICY_VIOLATION
    assert twilio.media == [] and twilio.marks == []  # not a word was said to the peer
    assert refusals(reason) == refused_before + 1

    sentinel = await sentinel_call(bridge, 2)
    await assert_only_the_sentinel_was_served(bridge, sentinel, 2)


async def test_a_token_is_good_for_one_stream_on_any_replica(
    fast_bridge: Bridge, infra: ServerSet, fresh_schema: str
) -> None:
    first = fast_bridge
    token = stream_token(f"CA{1:032d}", {"direction": "inbound"})
    async with replica(infra, fresh_schema) as second, first.connect() as live:
        original = Twilio(live, 1)
        await original.start_with({"stream_token": token})

        async def streaming() -> bool:
            return bool(await first.pool.fetchval("select count(*) from media_sessions"))

        await eventually(streaming)
        # While the call is live, the same token on the other replica...
        async with second.connect() as ws:
            replay = Twilio(ws, 1)
            await replay.start_with({"stream_token": token})
            await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == POLICY_VIOLATION
        replays = refusals("replayed")
        await original.frames([SILENCE] * 3)
        await original.stop()
        await asyncio.wait_for(live.wait_closed(), 5)
        await reported(first, original.call_sid)
        # ...and after it ended, on the replica that served it.
        async with first.connect() as ws:
            again = Twilio(ws, 1)
            await again.start_with({"stream_token": token})
            await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == POLICY_VIOLATION
        assert refusals("replayed") == replays + 1
        assert second.hangups == [] and second.model.sessions == []

    sentinel = await sentinel_call(first, 2)
    streams = await first.pool.fetch("select call_sid from media_sessions order by started_at")
    assert [r["call_sid"] for r in streams] == [original.call_sid, f"CA{2:032d}"]
    assert [sid for sid, _ in first.hangups] == [original.call_sid, f"CA{2:032d}"]
    assert len(first.model.sessions) == 2
    completed = await first.pool.fetchval(
        "select count(*) from events where type = 'call_completed' and correlation_id <> $1",
        sentinel)
    assert completed == 1


async def test_of_two_streams_racing_with_one_token_exactly_one_is_served(
    fast_bridge: Bridge, infra: ServerSet, fresh_schema: str
) -> None:
    token = stream_token(f"CA{1:032d}", {"direction": "inbound"})
    async with replica(infra, fresh_schema) as second, fast_bridge.connect() as a, \
            second.connect() as b:
        peers = [Twilio(a, 1), Twilio(b, 1)]
        await asyncio.gather(*(p.start_with({"stream_token": token}) for p in peers))

        async def one_refused() -> bool:
            return POLICY_VIOLATION in (a.close_code, b.close_code)

        await eventually(one_refused)
        [served] = [p for p in peers if p.ws.close_code is None]
        await served.frames([SILENCE] * 3)
        await served.stop()
        await asyncio.wait_for(served.ws.wait_closed(), 5)
        assert served.ws.close_code == 1000
    rows = await fast_bridge.pool.fetch("select call_sid from media_sessions")
    assert [r["call_sid"] for r in rows] == [f"CA{1:032d}"]
    assert await fast_bridge.pool.fetchval("select count(*) from used_stream_tokens") == 1
    assert len(fast_bridge.model.sessions) + len(second.model.sessions) == 1


async def test_the_call_is_what_its_token_says_not_what_start_claims(fast_bridge: Bridge) -> None:
    bridge = fast_bridge
    request_id = uuid.uuid4()
    async with bridge.connect() as ws:
        twilio = Twilio(ws, 1)
        token = stream_token(twilio.call_sid, {"direction": "outbound", "tenant_id": str(TENANT),
                                               "request_id": str(request_id), "attempt": "2"})
        await twilio.start_with({
            "stream_token": token,
            # Lies beside a good token: none of them may count.
            "direction": "inbound", "tenant_id": str(OTHER_TENANT),
            "request_id": str(uuid.uuid4()), "attempt": "9",
        })
        await twilio.frames([SILENCE] * 5)
        await twilio.stop()
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 1000
    completed = await reported(bridge, twilio.call_sid)
    assert (completed["tenant_id"], completed["correlation_id"]) == (TENANT, request_id)
    assert completed["aggregate"] == "conversation" and completed["data"]["attempt"] == 2
    row = await bridge.pool.fetchrow("select * from conversations")
    assert (row["tenant_id"], row["request_id"], row["direction"], row["attempt"]) == (
        TENANT, request_id, "outbound", 2)
