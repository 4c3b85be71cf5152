"""A front between call-orchestrator and the simulated carrier, both ways, on real HTTP.

Twilio's REST API (``/2010-04-01/...``) is forwarded to the carrier, and the carrier's
status callbacks (``/webhook/...``, the orchestrator's PUBLIC_BASE_URL points here) to
the orchestrator, byte for byte: the carrier signed the URL it was given, which is this
front's, and the orchestrator checks it against PUBLIC_BASE_URL, as behind any proxy.

A test makes the carrier misbehave the way real ones do: hold a call's creation, or its
answer, or the status callbacks (an answer overtaken by a callback, or the reverse),
and answer hang-ups with 503 or 429 for as long as it says.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import orjson
from fastapi import FastAPI, Request, Response
from ringbook_simulators.carrier.testing import serve_app

_API = "/2010-04-01/"
_CALL = re.compile(r"/Calls/(CA[0-9a-f]{32})\.json$")
_FORWARDED = ("authorization", "content-type", "x-twilio-signature", "accept")


def _gate() -> asyncio.Event:
    opened = asyncio.Event()
    opened.set()
    return opened


@dataclass
class CarrierFront:
    carrier_url: str
    orchestrator_url: str = ""  # known once the orchestrator serves (behind this front)
    # Each gate is open (set) unless a test closes it; what it holds waits until reopened.
    creates: asyncio.Event = field(default_factory=_gate)
    create_answers: asyncio.Event = field(default_factory=_gate)
    callbacks: asyncio.Event = field(default_factory=_gate)
    # Hang-ups answered with ``refusal`` instead of reaching the carrier: this many more
    # (None: every one, until a test sets a number).
    refuse_hangups: int | None = 0
    refusal: int = 503
    held_creates: int = 0
    created: list[str] = field(default_factory=list)
    hangups: list[tuple[str, int]] = field(default_factory=list)  # (sid, our answer)
    _client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))

    def hangups_of(self, sid: str) -> list[int]:
        return [status for s, status in self.hangups if s == sid]

    def app(self) -> FastAPI:
        app = FastAPI()

        async def forward(request: Request, path: str) -> Response:
            body = await request.body()
            if request.url.path.startswith(_API):
                return await self._api(request, body)
            await self.callbacks.wait()
            return await self._send(self.orchestrator_url, request, body)

        app.add_api_route("/{path:path}", forward, methods=["GET", "POST"])
        return app

    async def _api(self, request: Request, body: bytes) -> Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/Calls.json"):
            if not self.creates.is_set():
                self.held_creates += 1
            await self.creates.wait()
            answer = await self._send(self.carrier_url, request, body)
            if answer.status_code == 201:
                self.created.append(orjson.loads(answer.body)["sid"])
            await self.create_answers.wait()
            return answer
        hangup = _CALL.search(path)
        form = urllib.parse.parse_qs(body.decode())
        if request.method == "POST" and hangup and form.get("Status") == ["completed"]:
            sid = hangup.group(1)
            if self.refuse_hangups is None or self.refuse_hangups > 0:
                if self.refuse_hangups is not None:
                    self.refuse_hangups -= 1
                self.hangups.append((sid, self.refusal))
                return Response(orjson.dumps({
                    "code": 20429 if self.refusal == 429 else 20500,
                    "message": "Too Many Requests" if self.refusal == 429
                    else "Service Unavailable", "status": self.refusal,
                }), status_code=self.refusal, media_type="application/json")
            answer = await self._send(self.carrier_url, request, body)
            self.hangups.append((sid, answer.status_code))
            return answer
        return await self._send(self.carrier_url, request, body)

    async def _send(self, base: str, request: Request, body: bytes) -> Response:
        url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
        answer = await self._client.request(request.method, url, content=body,
                                            headers=headers)
        return Response(answer.content, status_code=answer.status_code,
                        media_type=answer.headers.get("content-type"))


@asynccontextmanager
async def serving(front: CarrierFront) -> AsyncIterator[str]:
    try:
        async with serve_app(front.app()) as url:
            yield url
    finally:
        await front._client.aclose()
