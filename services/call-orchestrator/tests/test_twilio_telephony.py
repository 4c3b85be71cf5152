"""The real Twilio adapter (official SDK) against the in-process SIMULATED carrier."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from call_orchestrator.adapters.twilio_signature import is_valid_twilio_signature
from call_orchestrator.adapters.twilio_telephony import TwilioTelephony
from call_orchestrator.adapters.twiml import stream_twiml
from call_orchestrator.application.telephony import (
    CallRejected,
    PlaceCall,
    TelephonyUnavailable,
)
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.scenarios import ANSWERING_NUMBER, BUSY_NUMBER
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import (
    CallbackRecorder,
    MediaStreamRecorder,
    running_carrier,
    serve_app,
)

FROM = "+49305550050"


@dataclass
class Env:
    carrier_url: str
    settings: CarrierSettings
    callbacks: CallbackRecorder
    media: MediaStreamRecorder
    callback_url: str
    answer_url: str
    stream_url: str
    answers: list[dict[str, str]]

    def telephony(self, auth_token: str | None = None) -> TwilioTelephony:
        token = auth_token or self.settings.auth_token
        return TwilioTelephony(self.settings.account_sid, token, api_base_url=self.carrier_url)

    def call(self, to: str) -> PlaceCall:
        return PlaceCall(to=to, from_=FROM, answer_url=self.answer_url,
                         status_callback_url=self.callback_url)

    async def carrier_calls(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as http:
            calls: list[dict[str, Any]] = (await http.get(f"{self.carrier_url}/calls")).json()[
                "calls"
            ]
            return calls


@asynccontextmanager
async def environment() -> AsyncIterator[Env]:
    settings = CarrierSettings(answer_after_seconds=0.05, answered_hold_seconds=30.0)
    callbacks = CallbackRecorder(settings.auth_token)
    media = MediaStreamRecorder(settings.auth_token)
    receiver = callbacks.app("/twilio/status")
    answers: list[dict[str, str]] = []
    stream_url: list[str] = []

    async def answer(request: Request) -> Response:
        """Our answer URL: the stream, its parameters escaped by the SDK's TwiML."""
        answers.append({k: str(v) for k, v in (await request.form()).items()})
        parameters = {"call_attempt_id": "att-7", "tenant": "acme & co"}
        return Response(stream_twiml(stream_url[0], parameters), media_type="text/xml")

    receiver.add_api_route("/twilio/answer", answer, methods=["POST"])
    async with (
        media.serving() as media_url,
        serve_app(receiver) as receiver_url,
        running_carrier(settings) as (carrier_url, _),
    ):
        stream_url.append(f"{media_url}/media")
        yield Env(
            carrier_url,
            settings,
            callbacks,
            media,
            f"{receiver_url}/twilio/status",
            f"{receiver_url}/twilio/answer?attempt_id=att-7",
            stream_url[0],
            answers,
        )


async def test_place_call_and_hang_up_through_the_sdk() -> None:
    async with environment() as env:
        telephony = env.telephony()
        sid = await telephony.place_call(env.call(ANSWERING_NUMBER))
        assert re.fullmatch(r"CA[0-9a-f]{32}", sid)

        [seen] = await env.carrier_calls()
        assert (seen["sid"], seen["to"], seen["from"]) == (sid, ANSWERING_NUMBER, FROM)
        # The TwiML comes from our answer URL, asked by POST once the callee answered.
        assert (seen["voice_webhook"]["url"], seen["voice_webhook"]["method"]) == (
            env.answer_url, "POST")
        assert seen["status_callback"] == env.callback_url
        assert seen["status_callback_method"] == "POST"
        assert seen["status_callback_events"] == ["answered", "completed", "initiated", "ringing"]

        await eventually(lambda: "in-progress" in env.callbacks.statuses(sid))
        await eventually(lambda: len(env.media.sessions) == 1)
        assert [a["CallSid"] for a in env.answers] == [sid]
        await telephony.hang_up(sid)

        await eventually(lambda: env.callbacks.statuses(sid)[-1:] == ["completed"])
        await eventually(lambda: env.media.sessions[0].closed)
        assert env.callbacks.statuses(sid) == ["initiated", "ringing", "in-progress", "completed"]
        session = env.media.sessions[0]
        assert session.path == "/media" and session.signature_valid
        assert session.messages[1]["start"]["customParameters"] == {
            "call_attempt_id": "att-7",
            "tenant": "acme & co",
        }
        assert session.messages[-1]["event"] == "stop"
        [ended] = await env.carrier_calls()
        assert ended["status"] == "completed"
        await telephony.hang_up(sid)  # idempotent: the call has already ended


async def test_carrier_refusals_map_to_call_rejected() -> None:
    async with environment() as env:
        with pytest.raises(CallRejected) as bad_credentials:
            await env.telephony(auth_token="not-the-token").place_call(env.call(ANSWERING_NUMBER))
        assert bad_credentials.value.carrier_code == 20003

        with pytest.raises(CallRejected) as bad_number:
            await env.telephony().place_call(env.call("12345"))
        assert bad_number.value.carrier_code == 21211

        with pytest.raises(CallRejected) as unknown:
            await env.telephony().hang_up("CA" + "0" * 32)
        assert unknown.value.carrier_code == 20404
        assert await env.carrier_calls() == []


@pytest.mark.parametrize(("status", "may_have_been_sent"), [(503, True), (429, False)])
async def test_carrier_overload_maps_to_unavailable(status: int, may_have_been_sent: bool) -> None:
    overloaded = FastAPI()

    @overloaded.post("/2010-04-01/Accounts/{account_sid}/Calls.json")
    async def refuse(account_sid: str) -> JSONResponse:
        body = {"code": 20429 if status == 429 else 20500, "message": "busy", "status": status}
        return JSONResponse(body, status_code=status)

    async with serve_app(overloaded) as url:
        telephony = TwilioTelephony("AC" + "1" * 32, "token", api_base_url=url)
        call = PlaceCall(ANSWERING_NUMBER, FROM, "http://127.0.0.1:1/answer", "")
        with pytest.raises(TelephonyUnavailable) as caught:
            await telephony.place_call(call)
    assert caught.value.request_may_have_been_sent is may_have_been_sent


async def test_unreachable_carrier_maps_to_unavailable_and_not_sent() -> None:
    with socket.socket() as sock:  # bound but never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        telephony = TwilioTelephony(
            "AC" + "1" * 32, "token", api_base_url=f"http://127.0.0.1:{port}"
        )
        call = PlaceCall(ANSWERING_NUMBER, FROM, "http://127.0.0.1:1/answer", "")
        with pytest.raises(TelephonyUnavailable) as caught:
            await telephony.place_call(call)
    assert caught.value.request_may_have_been_sent is False


async def test_signature_check_on_a_genuine_carrier_callback() -> None:
    async with environment() as env:
        sid = await env.telephony().place_call(env.call(BUSY_NUMBER))
        await eventually(lambda: env.callbacks.statuses(sid)[-1:] == ["busy"])
    received = env.callbacks.for_call(sid)[-1]
    url, params, signature = received.url, received.params, received.signature
    token = env.settings.auth_token
    assert signature is not None
    assert is_valid_twilio_signature(token, url, params, signature)
    assert not is_valid_twilio_signature(
        token, url, {**params, "CallStatus": "completed"}, signature
    )
    assert not is_valid_twilio_signature(token, url + "?forged=1", params, signature)
    assert not is_valid_twilio_signature(token, url.replace("/twilio/", "/x/"), params, signature)
    assert not is_valid_twilio_signature(token, url, params, None)
    assert not is_valid_twilio_signature("another-token", url, params, signature)
