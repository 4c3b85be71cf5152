"""Rewriting error answers after the fact, for endpoints whose contract words errors its
own way (seed 000's ``{"status": "error", ...}``, seed 001's ``{"success": false, ...}``).

Errors are answered by many layers: a route, the platform's exception handlers, and the
platform middleware before any route runs (a body over the limit, a NUL character). A
contract's error shape holds only if every one of them is rewritten, so the rewrite sits
outside all of them, as ASGI middleware: it holds an error's ``http.response.start``
until the body is whole, then sends what :data:`Rewrite` makes of it. Success answers
pass through untouched and unbuffered (they may be streams).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class ErrorAnswer:
    """An error answer as the inner layers sent it, and the request's body as far as it
    was read (whole chunks until ``remember_request_bytes`` were passed; a body refused
    unread is empty)."""

    status: int
    headers: Headers
    body: bytes
    request_body: bytes


@dataclass(frozen=True)
class Rewritten:
    body: bytes
    headers: Headers  # replace the inner answer's headers of the same names


Rewrite = Callable[[ErrorAnswer], Rewritten | None]  # None: send the answer unchanged


class ErrorBodyRewriter:
    def __init__(self, app: ASGIApp, *, applies: Callable[[str], bool], rewrite: Rewrite,
                 remember_request_bytes: int = 0) -> None:
        self.app, self.applies, self.rewrite = app, applies, rewrite
        self.remember_request_bytes = remember_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        received = bytearray()
        start: Message | None = None
        held = bytearray()

        async def remembering_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(received) < self.remember_request_bytes:
                received.extend(message.get("body", b""))
            return message

        async def rewriting_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] >= 400:
                start = message  # held until its body is known
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            held.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            inner: Headers = list(start.get("headers", []))
            answer = ErrorAnswer(start["status"], inner, bytes(held), bytes(received))
            rewritten = self.rewrite(answer)
            body = answer.body if rewritten is None else rewritten.body
            given = [] if rewritten is None else rewritten.headers
            replaced = {b"content-length"} | {k.lower() for k, _ in given}
            headers = [(k, v) for k, v in inner if k.lower() not in replaced]
            headers += [(k, v) for k, v in given if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, remembering_receive, rewriting_send)
