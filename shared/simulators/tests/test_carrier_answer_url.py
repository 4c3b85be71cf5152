"""Calls created with ``Url`` on the SIMULATED carrier, as Twilio does them: nothing is
known of the call's TwiML until the callee answers; then the carrier asks the Url (a
signed request carrying the CallSid), and runs what it answers: a ``<Connect><Stream>``
(the upgrade signed, the ``<Parameter>``s in ``start``), a ``<Hangup/>``, or nothing
usable, which ends the answered call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import Request, Response
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.scenarios import ANSWERING_NUMBER, BUSY_NUMBER
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import (
    CallbackRecorder,
    MediaStreamRecorder,
    ReceivedCallback,
    running_carrier,
    serve_app,
)
from twilio.request_validator import RequestValidator

FROM = "+49305550050"
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
Answer = Callable[[dict[str, str]], Response]


@dataclass
class Env:
    carrier_url: str
    settings: CarrierSettings
    http: httpx.AsyncClient
    app_url: str
    callbacks: CallbackRecorder
    media: MediaStreamRecorder
    answered: list[ReceivedCallback] = field(default_factory=list)
    answer: list[Answer] = field(default_factory=list)

    @property
    def calls_url(self) -> str:
        return f"{self.carrier_url}/2010-04-01/Accounts/{self.settings.account_sid}/Calls"

    async def create(self, to: str, method: str = "POST", **form: str) -> str:
        response = await self.http.post(f"{self.calls_url}.json", data={
            "To": to, "From": FROM, "Url": f"{self.app_url}/answer?attempt_id=a-7",
            "Method": method, "StatusCallback": f"{self.app_url}/status",
            "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
            **form,
        })
        assert response.status_code == 201, response.text
        sid: str = response.json()["sid"]
        return sid

    async def call(self, sid: str) -> dict[str, Any]:
        calls = (await self.http.get(f"{self.carrier_url}/calls")).json()["calls"]
        found: dict[str, Any] = next(c for c in calls if c["sid"] == sid)
        return found

    def ended(self, sid: str) -> Callable[[], bool]:
        return lambda: any(s in FINAL for s in self.callbacks.statuses(sid))


def stream_answer(stream_url: str) -> Answer:
    """Like call-orchestrator at answer time: a stream whose parameter names the call."""
    def answer(params: dict[str, str]) -> Response:
        body = (f'<Response><Connect><Stream url="{stream_url}">'
                f'<Parameter name="stream_token" value="for-{params["CallSid"]}"/>'
                "</Stream></Connect></Response>")
        return Response(body, media_type="text/xml")
    return answer


@asynccontextmanager
async def environment() -> AsyncIterator[Env]:
    settings = CarrierSettings(answer_after_seconds=0.05, answered_hold_seconds=0.6,
                               ring_seconds=0.3, callback_backoff_seconds=0.01)
    callbacks, media = CallbackRecorder(settings.auth_token), MediaStreamRecorder(
        settings.auth_token)
    app = callbacks.app("/status")
    answered: list[ReceivedCallback] = []
    answers: list[Answer] = []

    async def answer(request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        params = form or dict(request.query_params)
        url, signature = str(request.url), request.headers.get("X-Twilio-Signature")
        valid = RequestValidator(settings.auth_token).validate(url, form, signature or "")
        answered.append(ReceivedCallback(url, params, signature, bool(valid)))
        return answers[0](params)

    app.add_api_route("/answer", answer, methods=["GET", "POST"])
    async with (
        serve_app(app) as app_url,
        media.serving() as media_url,
        running_carrier(settings) as (carrier_url, _),
        httpx.AsyncClient(auth=(settings.account_sid, settings.auth_token)) as http,
    ):
        answers.append(stream_answer(f"{media_url}/media-stream"))
        yield Env(carrier_url, settings, http, app_url, callbacks, media, answered, answers)


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_the_url_is_asked_for_twiml_once_the_callee_answers(method: str) -> None:
    async with environment() as env:
        sid = await env.create(ANSWERING_NUMBER, method=method)
        await eventually(env.ended(sid))
        [asked] = env.answered
        assert asked.signature_valid
        assert urlsplit(asked.url).query.startswith("attempt_id=a-7")
        assert (asked.params["CallSid"], asked.params["CallStatus"]) == (sid, "in-progress")
        assert asked.params["Direction"] == "outbound-api"
        assert (asked.params["To"], asked.params["From"]) == (ANSWERING_NUMBER, FROM)
        assert asked.params["AccountSid"] == env.settings.account_sid

        [session] = env.media.sessions
        assert session.signature_valid and session.path == "/media-stream"
        start = next(m["start"] for m in session.messages if m["event"] == "start")
        assert start["callSid"] == sid
        assert start["customParameters"] == {"stream_token": f"for-{sid}"}
        assert env.callbacks.statuses(sid) == ["initiated", "ringing", "in-progress",
                                               "completed"]
        call = await env.call(sid)
        assert call["voice_webhook"]["http_status"] == 200
        assert call["stream"]["parameters"] == {"stream_token": f"for-{sid}"}


async def test_an_unanswered_call_never_asks_the_url() -> None:
    async with environment() as env:
        sid = await env.create(BUSY_NUMBER)
        await eventually(env.ended(sid))
        assert env.answered == [] and env.media.sessions == []


@pytest.mark.parametrize(
    "answer",
    [lambda _: Response("<Response><Hangup/></Response>", media_type="text/xml"),
     lambda _: Response("nope", status_code=500),
     lambda _: Response("<Response><Connect>", media_type="text/xml")],
    ids=["hangup", "server-error", "broken-twiml"],
)
async def test_an_answer_without_a_stream_ends_the_call(answer: Answer) -> None:
    async with environment() as env:
        env.answer[0] = answer
        sid = await env.create(ANSWERING_NUMBER)
        await eventually(env.ended(sid))
        assert len(env.answered) == 1 and env.media.sessions == []
        assert env.callbacks.statuses(sid)[-1] == "completed"
        assert (await env.call(sid))["status"] == "completed"


async def test_a_create_needs_twiml_or_a_usable_url() -> None:
    async with environment() as env:
        neither = await env.http.post(f"{env.calls_url}.json",
                                      data={"To": ANSWERING_NUMBER, "From": FROM})
        assert neither.status_code == 400 and neither.json()["code"] == 21205
        bad_method = await env.http.post(f"{env.calls_url}.json", data={
            "To": ANSWERING_NUMBER, "From": FROM, "Url": f"{env.app_url}/answer",
            "Method": "PUT"})
        assert bad_method.status_code == 400 and bad_method.json()["code"] == 21200
        not_http = await env.http.post(f"{env.calls_url}.json", data={
            "To": ANSWERING_NUMBER, "From": FROM, "Url": "ftp://example.com/answer"})
        assert not_http.status_code == 400 and not_http.json()["code"] == 21205
