"""A fault in front of call-orchestrator's webhooks: chosen status callbacks are lost.

Twilio does not retry a status callback, so a webhook that answers 5xx once has lost that
callback for good. The proxy stands where the carrier sends its callbacks (the service's
PUBLIC_BASE_URL is the proxy's URL, so the carrier's signatures still verify) and passes
every request on unchanged (path, query, signature, body), except the first callback of
each CallStatus it was told to lose: that one it answers 500 and never passes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_PASSED_HEADERS = ("content-type", "x-twilio-signature", "user-agent")


@dataclass
class CallbackFaults:
    target: str = ""  # the orchestrator's own URL, known once it listens
    to_lose: set[str] = field(default_factory=set)
    lost: list[tuple[str, str]] = field(default_factory=list)  # (CallSid, CallStatus)

    def lose_once(self, *statuses: str) -> None:
        self.to_lose.update(statuses)

    def lost_statuses(self) -> list[str]:
        return [status for _, status in self.lost]

    def app(self) -> Starlette:
        async def relay(request: Request) -> Response:
            body = await request.body()
            form = parse_qs(body.decode(), keep_blank_values=True)
            status = form.get("CallStatus", [""])[0]
            if request.url.path == "/webhook/call-status" and status in self.to_lose:
                self.to_lose.discard(status)
                self.lost.append((form.get("CallSid", [""])[0], status))
                return Response("internal error (injected)", status_code=500)
            url = self.target + request.url.path
            if request.url.query:
                url += "?" + request.url.query
            headers = {k: v for k, v in request.headers.items() if k in _PASSED_HEADERS}
            async with httpx.AsyncClient() as http:
                upstream = await http.request(request.method, url, content=body,
                                              headers=headers, timeout=10)
            return Response(upstream.content, status_code=upstream.status_code,
                            media_type=upstream.headers.get("content-type"))

        return Starlette(routes=[Route("/{path:path}", relay, methods=["GET", "POST"])])
