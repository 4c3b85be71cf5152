"""``fetch_call``: the Twilio adapter (official SDK) asks the SIMULATED carrier what became
of a call, as the reconcile sweep does when a status callback never arrived."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from call_orchestrator.adapters.twilio_telephony import TwilioTelephony
from call_orchestrator.adapters.twiml import stream_twiml
from call_orchestrator.application.telephony import (
    CallNotFound,
    CallRejected,
    CarrierCall,
    PlaceCall,
)
from fastapi import Response
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
    url: str
    settings: CarrierSettings
    callbacks: CallbackRecorder
    callback_url: str
    answer_url: str

    def telephony(self, auth_token: str | None = None) -> TwilioTelephony:
        return TwilioTelephony(self.settings.account_sid, auth_token or self.settings.auth_token,
                               api_base_url=self.url)

    def call(self, to: str) -> PlaceCall:
        return PlaceCall(to=to, from_=FROM, answer_url=self.answer_url,
                         status_callback_url=self.callback_url)

    async def raw_resource(self, sid: str) -> dict[str, Any]:
        path = f"/2010-04-01/Accounts/{self.settings.account_sid}/Calls/{sid}.json"
        auth = (self.settings.account_sid, self.settings.auth_token)
        async with httpx.AsyncClient(auth=auth) as http:
            resource: dict[str, Any] = (await http.get(self.url + path)).json()
            return resource


@asynccontextmanager
async def carrier() -> AsyncIterator[Env]:
    settings = CarrierSettings(answer_after_seconds=0.05, answered_hold_seconds=30.0)
    callbacks = CallbackRecorder(settings.auth_token)
    media = MediaStreamRecorder(settings.auth_token)  # the answered call holds its stream
    receiver = callbacks.app("/status")
    stream_url: list[str] = []

    async def answer() -> Response:
        """Our answer URL, asked once the callee picks up: the call's stream."""
        return Response(stream_twiml(stream_url[0], {}), media_type="text/xml")

    receiver.add_api_route("/answer", answer, methods=["POST"])
    async with (media.serving() as media_url,
                serve_app(receiver) as receiver_url,
                running_carrier(settings) as (url, _)):
        stream_url.append(f"{media_url}/media")
        yield Env(url, settings, callbacks, f"{receiver_url}/status", f"{receiver_url}/answer")


async def test_fetch_follows_a_call_from_ringing_to_its_end() -> None:
    async with carrier() as env:
        telephony = env.telephony()
        sid = await telephony.place_call(env.call(ANSWERING_NUMBER))
        first = await telephony.fetch_call(sid)
        assert first.sid == sid and first.status in ("queued", "ringing", "in-progress")
        assert first.duration_seconds == 0.0

        await eventually(lambda: "in-progress" in env.callbacks.statuses(sid))
        assert await telephony.fetch_call(sid) == CarrierCall(sid, "in-progress", 0.0)

        await telephony.hang_up(sid)
        await eventually(lambda: env.callbacks.statuses(sid)[-1:] == ["completed"])
        ended = await telephony.fetch_call(sid)
        assert ended.status == "completed" and ended.duration_seconds >= 1
        # What Twilio's fetch answers, as the SDK reads it.
        resource = await env.raw_resource(sid)
        assert {"sid", "status", "duration", "start_time", "end_time", "direction", "to",
                "from", "account_sid", "date_created", "date_updated", "uri"} <= set(resource)
        assert resource["duration"] == str(int(ended.duration_seconds))


async def test_fetch_of_an_unanswered_call_gives_its_final_status() -> None:
    async with carrier() as env:
        telephony = env.telephony()
        sid = await telephony.place_call(env.call(BUSY_NUMBER))
        await eventually(lambda: env.callbacks.statuses(sid)[-1:] == ["busy"])
        assert await telephony.fetch_call(sid) == CarrierCall(sid, "busy", 0.0)


async def test_an_unknown_call_and_bad_credentials_are_told_apart() -> None:
    async with carrier() as env:
        with pytest.raises(CallNotFound) as unknown:
            await env.telephony().fetch_call("CA" + "0" * 32)
        assert unknown.value.carrier_code == 20404
        sid = await env.telephony().place_call(env.call(BUSY_NUMBER))
        with pytest.raises(CallRejected) as refused:
            await env.telephony(auth_token="not-the-token").fetch_call(sid)
        assert not isinstance(refused.value, CallNotFound)
        assert refused.value.carrier_code == 20003
