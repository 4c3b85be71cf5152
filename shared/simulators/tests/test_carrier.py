"""The SIMULATED carrier over real sockets: REST API, signed callbacks, Media Streams."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.scenarios import (
    ANSWERING_NUMBER,
    BUSY_NUMBER,
    FAILING_NUMBER,
    NO_ANSWER_NUMBER,
    Outcome,
    scenario_for,
)
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import (
    CallbackRecorder,
    MediaStreamRecorder,
    running_carrier,
    serve_app,
)
from ringbook_simulators.carrier.twiml import TwimlError, extract_stream

FROM = "+49305550050"
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


@dataclass
class Env:
    base_url: str
    settings: CarrierSettings
    http: httpx.AsyncClient
    callbacks: CallbackRecorder
    callback_url: str
    media: MediaStreamRecorder

    @property
    def calls_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.settings.account_sid}/Calls"

    def twiml(self, **params: str) -> str:
        parameters = "".join(f'<Parameter name="{k}" value="{v}"/>' for k, v in params.items())
        stream = f'<Stream url="{self.media.base_url}/media">{parameters}</Stream>'
        return f"<Response><Connect>{stream}</Connect></Response>"

    async def create(self, to: str, **params: str) -> httpx.Response:
        form = {
            "To": to,
            "From": FROM,
            "Twiml": self.twiml(**params),
            "StatusCallback": self.callback_url,
            "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
            "StatusCallbackMethod": "POST",
        }
        return await self.http.post(f"{self.calls_url}.json", data=form)


@asynccontextmanager
async def environment(**overrides: Any) -> AsyncIterator[Env]:
    settings = CarrierSettings(
        **{
            "ring_seconds": 0.3,
            "answer_after_seconds": 0.05,
            "answered_hold_seconds": 0.6,
            "callback_backoff_seconds": 0.01,
            **overrides,
        }
    )
    callbacks = CallbackRecorder(settings.auth_token)
    media = MediaStreamRecorder(settings.auth_token)
    async with (
        media.serving(),
        serve_app(callbacks.app()) as callback_base,
        running_carrier(settings) as (base_url, _),
        httpx.AsyncClient(auth=(settings.account_sid, settings.auth_token)) as http,
    ):
        yield Env(base_url, settings, http, callbacks, f"{callback_base}/status", media)


def ended(env: Env, sid: str) -> Callable[[], bool]:
    return lambda: any(status in FINAL for status in env.callbacks.statuses(sid))


# Answers, but no practice script: the callee stays silent (see test_carrier_practice).
UNSCRIPTED_NUMBER = "+4915112345678"


async def test_answered_call_reports_progress_and_streams_media() -> None:
    async with environment() as env:
        response = await env.create(UNSCRIPTED_NUMBER, tenant="t-1", request_id="r-42")
        assert response.status_code == 201
        assert response.headers["X-Simulator"] == "ringbook-simulated-carrier"
        call = response.json()
        assert re.fullmatch(r"CA[0-9a-f]{32}", call["sid"])
        assert call["status"] == "queued" and call["direction"] == "outbound-api"
        assert (call["to"], call["from"]) == (UNSCRIPTED_NUMBER, FROM)
        assert parsedate_to_datetime(call["date_created"]).tzinfo is not None

        await eventually(ended(env, call["sid"]))
        callbacks = env.callbacks.for_call(call["sid"])
        statuses = env.callbacks.statuses(call["sid"])
        assert statuses == ["initiated", "ringing", "in-progress", "completed"]
        assert all(c.signature_valid for c in callbacks)
        assert [c.params["SequenceNumber"] for c in callbacks] == ["0", "1", "2", "3"]
        assert all(c.params["CallbackSource"] == "call-progress-events" for c in callbacks)
        assert int(callbacks[-1].params["CallDuration"]) >= 1

        await eventually(lambda: bool(env.media.sessions) and env.media.sessions[0].closed)
        session = env.media.sessions[0]
        assert session.signature_valid
        messages = session.messages
        assert messages[0] == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
        start = messages[1]["start"]
        assert start["callSid"] == call["sid"] and start["tracks"] == ["inbound"]
        assert re.fullmatch(r"MZ[0-9a-f]{32}", start["streamSid"])
        assert start["customParameters"] == {"tenant": "t-1", "request_id": "r-42"}
        assert start["mediaFormat"] == {
            "encoding": "audio/x-mulaw",
            "sampleRate": 8000,
            "channels": 1,
        }
        media = [m for m in messages if m["event"] == "media"]
        assert len(media) >= 10
        assert all(base64.b64decode(m["media"]["payload"]) == b"\xff" * 160 for m in media)
        assert [int(m["media"]["chunk"]) for m in media] == list(range(1, len(media) + 1))
        marks = [m for m in messages if m["event"] == "mark"]
        assert [m["mark"]["name"] for m in marks] == ["greeting-done"]
        assert messages[-1]["event"] == "stop"
        sequence = [int(m["sequenceNumber"]) for m in messages[1:]]
        assert sequence == list(range(1, len(sequence) + 1))

        fetched = await env.http.get(f"{env.calls_url}/{call['sid']}.json")
        assert fetched.json()["status"] == "completed"
        listing = (await env.http.get(f"{env.base_url}/calls")).json()["calls"]
        stats = listing[0]["media"]
        assert stats["received_media"] == stats["received_clears"] == stats["received_marks"] == 1
        assert stats["sent_speech_frames"] == 0 and stats["practice_said"] == []
        assert listing[0]["stream"]["parameters"] == {"tenant": "t-1", "request_id": "r-42"}


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (BUSY_NUMBER, ["initiated", "busy"]),
        (NO_ANSWER_NUMBER, ["initiated", "ringing", "no-answer"]),
        (FAILING_NUMBER, ["initiated", "failed"]),
    ],
)
async def test_unanswered_outcomes(number: str, expected: list[str]) -> None:
    async with environment() as env:
        started = time.monotonic()
        sid = (await env.create(number)).json()["sid"]
        await eventually(ended(env, sid))
        callbacks = env.callbacks.for_call(sid)
        assert env.callbacks.statuses(sid) == expected
        assert all(c.signature_valid for c in callbacks)
        assert env.media.sessions == []
        if number == NO_ANSWER_NUMBER:
            assert time.monotonic() - started >= env.settings.ring_seconds


async def test_rest_hang_up_while_in_progress_completes_and_closes_websocket() -> None:
    async with environment(answered_hold_seconds=30.0) as env:
        sid = (await env.create(ANSWERING_NUMBER)).json()["sid"]
        await eventually(lambda: len(env.media.sessions) == 1)
        session = env.media.sessions[0]
        await eventually(lambda: sum(m["event"] == "media" for m in session.messages) >= 3)

        hung_up = await env.http.post(f"{env.calls_url}/{sid}.json", data={"Status": "completed"})
        assert hung_up.status_code == 200
        assert hung_up.json()["status"] == "completed"

        await eventually(ended(env, sid))
        await eventually(lambda: session.closed)
        assert session.messages[-1]["event"] == "stop"
        statuses = env.callbacks.statuses(sid)
        assert statuses == ["initiated", "ringing", "in-progress", "completed"]

        again = await env.http.post(f"{env.calls_url}/{sid}.json", data={"Status": "completed"})
        assert again.status_code == 400 and again.json()["code"] == 21220


async def test_rest_hang_up_while_ringing_cancels() -> None:
    async with environment(ring_seconds=10.0) as env:
        sid = (await env.create(NO_ANSWER_NUMBER)).json()["sid"]
        await eventually(lambda: len(env.callbacks.for_call(sid)) == 2)
        canceled = await env.http.post(f"{env.calls_url}/{sid}.json", data={"Status": "canceled"})
        assert canceled.json()["status"] == "canceled"
        await eventually(ended(env, sid))
        statuses = env.callbacks.statuses(sid)
        assert statuses == ["initiated", "ringing", "canceled"]


async def test_websocket_closed_by_application_completes_call() -> None:
    async with environment(answered_hold_seconds=30.0) as env:
        sid = (await env.create(ANSWERING_NUMBER, close="now")).json()["sid"]
        await eventually(ended(env, sid))
        assert env.callbacks.statuses(sid)[-1] == "completed"


async def test_unreachable_callback_receiver_is_retried_then_given_up() -> None:
    async with environment() as env:
        env.callback_url = "http://127.0.0.1:9/status"  # discard port: nothing listens
        sid = (await env.create(BUSY_NUMBER)).json()["sid"]
        listing_url = f"{env.base_url}/calls"

        async def final_attempted() -> bool:
            calls = (await env.http.get(listing_url)).json()["calls"]
            return len(calls[0]["callbacks"]) == 2 and calls[0]["status"] == "busy"

        for _ in range(100):
            if await final_attempted():
                break
            await asyncio.sleep(0.05)
        calls = (await env.http.get(listing_url)).json()["calls"]
        assert calls[0]["sid"] == sid
        assert [c["delivered"] for c in calls[0]["callbacks"]] == [False, False]


async def test_rest_errors_are_twilio_shaped() -> None:
    async with environment() as env:
        wrong = await env.http.post(
            f"{env.calls_url}.json",
            data={"To": ANSWERING_NUMBER, "From": FROM, "Twiml": env.twiml()},
            auth=(env.settings.account_sid, "wrong-token"),
        )
        assert wrong.status_code == 401
        assert wrong.json()["code"] == 20003 and wrong.json()["status"] == 401
        assert wrong.headers["X-Simulator"] == "ringbook-simulated-carrier"

        missing_to = await env.http.post(
            f"{env.calls_url}.json", data={"From": FROM, "Twiml": env.twiml()}
        )
        assert missing_to.status_code == 400 and missing_to.json()["code"] == 21201

        unknown = await env.http.get(f"{env.calls_url}/CA{'0' * 32}.json")
        assert unknown.status_code == 404 and unknown.json()["code"] == 20404
        assert (await env.http.get(f"{env.base_url}/health")).json()["status"] == "ok"


def test_twiml_parsing_and_scenarios() -> None:
    stream = extract_stream(
        '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
        '<Stream url="wss://bridge.example/media?x=1&amp;y=2">'
        '<Parameter name="a" value="1"/><Parameter name="b" value="&lt;2&gt;"/>'
        "</Stream></Connect></Response>"
    )
    assert stream is not None
    assert stream.url == "wss://bridge.example/media?x=1&y=2"
    assert stream.parameters == {"a": "1", "b": "<2>"}
    assert extract_stream("<Response><Say>hi</Say></Response>") is None
    with pytest.raises(TwimlError):
        extract_stream('<!DOCTYPE r [<!ENTITY a "x">]><Response>&a;</Response>')
    with pytest.raises(TwimlError):
        extract_stream("<Response><Connect>")
    assert scenario_for(BUSY_NUMBER).outcome is Outcome.BUSY
    assert scenario_for("+4915112345678").outcome is Outcome.ANSWER
