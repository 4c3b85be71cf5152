"""A tiny stand-in for Twilio's REST API, the ``IncomingPhoneNumbers`` subset the catalog
uses (list filtered by ``PhoneNumber``, update of ``VoiceUrl``/``StatusCallback``), with
the JSON shapes of Twilio's docs and its basic authentication, served on 127.0.0.1 so
the official SDK runs its real code path against it. A test double, not a simulator:
the simulated carrier (``ringbook_simulators.carrier``) is what ``make run`` uses."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API = "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers"


@dataclass
class FakeTwilio:
    account_sid: str = "ACtest0000000000000000000000000000"
    auth_token: str = "test-auth-token"
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by sid
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    fail_with: int | None = None  # answer every request with this status

    def own(self, number: str, sid: str = "PN0123456789abcdef0123456789abcdef") -> None:
        self.numbers[sid] = {
            "sid": sid, "account_sid": self.account_sid, "phone_number": number,
            "friendly_name": f"Line {number[-4:]}", "voice_url": None, "voice_method": "POST",
            "status_callback": None, "status_callback_method": "POST",
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "uri": f"{API.format(account=self.account_sid)}/{sid}.json",
        }

    def _refusal(self, request: Request) -> JSONResponse | None:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}" or (
                request.path_params["account"] != self.account_sid):
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401},
                                status_code=401)
        if self.fail_with is not None:
            return JSONResponse({"code": 20500, "message": "Internal Server Error",
                                 "status": self.fail_with}, status_code=self.fail_with)
        return None

    async def _list(self, request: Request) -> JSONResponse:
        self.requests.append(("GET", request.url.path, dict(request.query_params)))
        if (refused := self._refusal(request)) is not None:
            return refused
        wanted = request.query_params.get("PhoneNumber")
        found = [n for n in self.numbers.values() if wanted in (None, n["phone_number"])]
        uri = API.format(account=self.account_sid) + ".json"
        return JSONResponse({
            "incoming_phone_numbers": found, "end": max(len(found) - 1, 0),
            "first_page_uri": f"{uri}?PageSize=50&Page=0", "next_page_uri": None,
            "page": 0, "page_size": 50, "previous_page_uri": None, "start": 0, "uri": uri,
        })

    async def _update(self, request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.requests.append(("POST", request.url.path, form))
        if (refused := self._refusal(request)) is not None:
            return refused
        number = self.numbers.get(request.path_params["sid"])
        if number is None:
            return JSONResponse({"code": 20404, "message": "Not found", "status": 404},
                                status_code=404)
        for name, key in (("VoiceUrl", "voice_url"), ("VoiceMethod", "voice_method"),
                          ("StatusCallback", "status_callback"),
                          ("StatusCallbackMethod", "status_callback_method")):
            if name in form:
                number[key] = form[name]
        return JSONResponse(number)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route(API + ".json", self._list, methods=["GET"]),
            Route(API + "/{sid}.json", self._update, methods=["POST"]),
        ])

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Serve on a free loopback port; yields the base URL (``TWILIO_API_BASE_URL``)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.app(), log_config=None, access_log=False,
                                               lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:  # uvicorn offers no event for it
            if task.done():
                task.result()
                raise RuntimeError("the fake Twilio server stopped before it started")
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task
            sock.close()
