"""Incoming calls on the SIMULATED carrier (``POST /simulate/incoming-call``), over real
sockets: a fake application serves the voice webhook (checking Twilio's signature with
the real SDK's validator) and the status callback; ``MediaStreamRecorder`` is the
media websocket."""

from __future__ import annotations

import xml.sax.saxutils
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import Request, Response
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import (
    CallbackRecorder,
    MediaStreamRecorder,
    ReceivedCallback,
    running_carrier,
    serve_app,
)
from ringbook_simulators.realtime.scripts import caller_lines
from twilio.request_validator import RequestValidator

CALLER, CALLER_E164, OUR_NUMBER = "+49 170 1234567", "+491701234567", "+49305550000"
Answer = Callable[[dict[str, str]], Response]


def twiml_answer(stream_url: str) -> Answer:
    """Like call-orchestrator: a greeting, then the stream with the call's parameters."""

    def answer(params: dict[str, str]) -> Response:
        parameters = {"call_sid": params["CallSid"], "customer_phone": params["From"],
                      "direction": "inbound", "tenant_id": "t-1"}
        tags = "".join(f"<Parameter name={xml.sax.saxutils.quoteattr(k)} "
                       f"value={xml.sax.saxutils.quoteattr(v)}/>" for k, v in parameters.items())
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Say>Willkommen.</Say>'
                f'<Connect><Stream url="{stream_url}">{tags}</Stream></Connect></Response>')
        return Response(body, media_type="text/xml")

    return answer


@dataclass
class App:
    """The carrier, and our side of the call: voice webhook, status callback, media."""

    base_url: str
    http: httpx.AsyncClient
    settings: CarrierSettings
    voice: list[ReceivedCallback]
    callbacks: CallbackRecorder
    media: MediaStreamRecorder
    answer: list[Answer] = field(default_factory=list)

    async def ring(self, body: Any = None, **kwargs: Any) -> httpx.Response:
        json = body if body is not None else {"from": CALLER, "to": OUR_NUMBER}
        return await self.http.post(f"{self.base_url}/simulate/incoming-call", json=json,
                                    **kwargs)

    async def calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = (await self.http.get(f"{self.base_url}/calls")).json()[
            "calls"]
        return calls

    async def call(self, sid: str) -> dict[str, Any]:
        return next(c for c in await self.calls() if c["sid"] == sid)

    async def until(self, sid: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        call: dict[str, Any] = {}

        async def reached() -> bool:
            nonlocal call
            call = await self.call(sid)
            return done(call)

        await eventually(reached, 20, what=lambda: f"call so far: {call}", poll=0.05)
        return call

    async def hang_up(self, sid: str) -> httpx.Response:
        s = self.settings
        return await self.http.post(
            f"{self.base_url}/2010-04-01/Accounts/{s.account_sid}/Calls/{sid}.json",
            data={"Status": "completed"}, auth=(s.account_sid, s.auth_token))


@asynccontextmanager
async def carrier(**overrides: Any) -> AsyncIterator[App]:
    token = CarrierSettings().auth_token
    callbacks, media = CallbackRecorder(token), MediaStreamRecorder(token)
    voice: list[ReceivedCallback] = []
    answers: list[Answer] = []
    app = callbacks.app("/status")

    async def incoming(request: Request) -> Response:
        params = {key: str(value) for key, value in (await request.form()).items()}
        url, signature = str(request.url), request.headers.get("X-Twilio-Signature")
        valid = RequestValidator(token).validate(url, params, signature or "")
        voice.append(ReceivedCallback(url, params, signature, bool(valid)))
        return answers[0](params)

    app.add_api_route("/voice", incoming, methods=["POST"])
    async with serve_app(app) as app_url, media.serving() as media_url:
        answers.append(twiml_answer(f"{media_url}/media-stream"))
        settings = CarrierSettings(**{
            "incoming_call_url": f"{app_url}/voice",
            "incoming_status_callback_url": f"{app_url}/status",
            "incoming_hold_seconds": 30.0,
            "callback_backoff_seconds": 0.01,
            **overrides,
        })
        async with running_carrier(settings) as (base_url, _), httpx.AsyncClient() as http:
            yield App(base_url, http, settings, voice, callbacks, media, answers)


async def test_incoming_call_rings_the_voice_url_streams_and_reports_completed() -> None:
    async with carrier() as app:
        response = await app.ring()
        assert response.status_code == 201, response.text
        call = response.json()
        sid = call["sid"]
        assert sid.startswith("CA") and len(sid) == 34
        assert (call["direction"], call["status"]) == ("inbound", "in-progress")
        assert (call["from"], call["to"]) == (CALLER_E164, OUR_NUMBER)

        # One webhook, signed, with Twilio's fields for a call that comes in.
        (hook,) = app.voice
        assert hook.signature_valid
        assert {k: hook.params[k] for k in ("CallSid", "AccountSid", "From", "To", "Caller",
                                            "Called", "CallStatus", "Direction", "ApiVersion",
                                            "FromCountry", "ToCountry", "FromCity")} == {
            "CallSid": sid, "AccountSid": app.settings.account_sid, "From": CALLER_E164,
            "To": OUR_NUMBER, "Caller": CALLER_E164, "Called": OUR_NUMBER,
            "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01",
            "FromCountry": "DE", "ToCountry": "DE", "FromCity": ""}

        # The TwiML's stream was opened, signed, with its parameters in ``start``.
        expected = {"call_sid": sid, "customer_phone": CALLER_E164, "direction": "inbound",
                    "tenant_id": "t-1"}
        assert call["stream"]["parameters"] == expected
        await app.until(sid, lambda c: c["media"]["connected"])
        await eventually(
            lambda: any(m["event"] == "start" for s in app.media.sessions for m in s.messages))
        (session,) = app.media.sessions
        assert session.path == "/media-stream" and session.signature_valid
        start = next(m for m in session.messages if m["event"] == "start")
        assert start["start"]["callSid"] == sid
        assert start["start"]["customParameters"] == expected

        # The caller speaks the receptionist script's first line at once.
        live = await app.until(sid, lambda c: c["media"].get("caller_said", []) != [])
        assert live["media"]["caller_said"][0]["text"] == caller_lines()[0].text
        assert "practice_said" not in live["media"]

        # The application hangs up through the REST API, as call-orchestrator does.
        hung_up = await app.hang_up(sid)
        assert hung_up.status_code == 200, hung_up.text
        assert hung_up.json()["direction"] == "inbound"
        ended = await app.until(sid, lambda c: c["status"] == "completed" and c["callbacks"])
        assert [h["status"] for h in ended["history"]] == [
            "queued", "ringing", "in-progress", "completed"]
        assert ended["media"]["stop_sent"] and ended["media"]["sent_speech_frames"] > 0
        assert ended["voice_webhook"] == {"url": app.settings.incoming_call_url,
                                          "method": "POST", "http_status": 200,
                                          "error": None}

    # Only the final status reached the number's status callback, signed.
    (final,) = app.callbacks.for_call(sid)
    assert final.signature_valid
    assert final.params["CallStatus"] == "completed"
    assert final.params["Direction"] == "inbound"
    assert (final.params["From"], final.params["To"]) == (CALLER_E164, OUR_NUMBER)
    assert int(final.params["CallDuration"]) >= 1
    assert ended["callbacks"] == [{"sequence_number": 0, "call_status": "completed",
                                   "delivered": True, "http_status": 204}]


async def test_the_caller_hangs_up_after_the_hold_time() -> None:
    async with carrier(incoming_hold_seconds=0.5) as app:
        sid = (await app.ring()).json()["sid"]
        ended = await app.until(sid, lambda c: c["status"] == "completed" and c["callbacks"])
        assert ended["media"]["connected"] and ended["media"]["stop_sent"]
    assert app.callbacks.statuses(sid) == ["completed"]


async def test_twiml_without_a_stream_ends_the_call_once_it_has_run() -> None:
    async with carrier() as app:
        app.answer[0] = lambda _: Response("<Response><Say>Geschlossen.</Say></Response>",
                                           media_type="text/xml")
        response = await app.ring()
        assert response.status_code == 201, response.text
        assert response.json()["stream"] is None
        ended = await app.until(response.json()["sid"], lambda c: c["status"] == "completed")
        assert not ended["media"]["connected"]
        assert app.media.sessions == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda _: Response("oops", status_code=500), "answered HTTP 500"),
        (lambda _: Response("<Response><Connect><Stream url='http://x'/></Connect></Response>",
                            media_type="text/xml"), "unusable TwiML"),
        (lambda _: Response("not xml", media_type="text/plain"), "unusable TwiML"),
    ],
)
async def test_a_failing_voice_webhook_fails_the_call(answer: Answer, reason: str) -> None:
    async with carrier() as app:
        app.answer[0] = answer
        response = await app.ring()
        assert response.status_code == 502
        body = response.json()
        assert reason in body["error"]
        sid = body["details"]["sid"]
        ended = await app.until(sid, lambda c: c["status"] == "failed" and c["callbacks"])
        assert reason in ended["voice_webhook"]["error"]
        assert app.media.sessions == []
    assert app.callbacks.statuses(sid) == ["failed"]


async def test_an_unreachable_voice_url_fails_the_call() -> None:
    async with carrier(incoming_call_url="http://127.0.0.1:9/voice") as app:
        response = await app.ring()
        assert response.status_code == 502
        assert "unreachable" in response.json()["error"]
        assert response.json()["details"]["status"] == "failed"


@pytest.mark.parametrize(
    ("kwargs", "status", "fragment"),
    [
        ({"content": b"not json", "headers": {"Content-Type": "application/json"}}, 400,
         "must be JSON"),
        ({"body": ["+491701234567"]}, 400, "JSON object"),
        ({"body": {"from": CALLER}}, 422, "to:"),
        ({"body": {"from": "12345", "to": OUR_NUMBER}}, 422, "from:"),
        ({"body": {"from": CALLER, "to": 4930}}, 422, "to:"),
    ],
)
async def test_bad_input_is_refused_and_rings_nobody(
    kwargs: dict[str, Any], status: int, fragment: str
) -> None:
    async with carrier() as app:
        if "body" in kwargs:
            response = await app.ring(kwargs["body"])
        else:
            response = await app.http.post(f"{app.base_url}/simulate/incoming-call", **kwargs)
        assert response.status_code == status, response.text
        assert fragment in response.json()["error"]
        assert response.headers["X-Simulator"] == "ringbook-simulated-carrier"
        assert await app.calls() == []
        assert app.voice == []


async def test_a_number_without_a_voice_url_is_refused() -> None:
    async with carrier(incoming_call_url="") as app:
        response = await app.ring()
        assert response.status_code == 409
        assert "voice URL" in response.json()["error"]
        assert await app.calls() == []


async def test_a_booking_caller_says_its_scripts_lines() -> None:
    from ringbook_simulators.realtime import BOOKING_CALLER, booking_caller_lines

    lines = booking_caller_lines(BOOKING_CALLER)
    assert lines is not None
    async with carrier() as app:
        response = await app.ring({"from": BOOKING_CALLER, "to": OUR_NUMBER})
        assert response.status_code == 201, response.text
        sid = response.json()["sid"]
        live = await app.until(sid, lambda c: c["media"].get("caller_said", []) != [])
        assert live["media"]["caller_said"][0]["text"] == lines[0].text
        assert lines[0].text != caller_lines()[0].text
        assert (await app.hang_up(sid)).status_code == 200
