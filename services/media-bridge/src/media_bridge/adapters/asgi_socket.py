"""The MediaSocket port straight over ASGI's ``receive``/``send``, plus the server's
inline lane when it has one.

Starlette's ``WebSocket`` wraps every frame in state checks and a second layer of
message dicts; on a path that carries 100 frames a second per call each way, we talk
ASGI to uvicorn directly instead (the messages are those of the ASGI websocket spec:
``websocket.connect/accept/receive/send/close/disconnect``). On our own server
(:mod:`ringbook.web.inline_websocket`) the hot frames skip even that: they are handed
over, and written back, inside the protocol's callbacks.
"""

from __future__ import annotations

from collections.abc import Sequence

from ringbook.web.inline_websocket import INLINE_EXTENSION, InlineLane
from starlette.types import Receive, Scope, Send

from media_bridge.application.ports import InlineSink


class AsgiMediaSocket:
    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._receive, self._send = receive, send
        lane = (scope.get("extensions") or {}).get(INLINE_EXTENSION, {}).get("lane")
        self._lane = lane if isinstance(lane, InlineLane) else None
        self._open = False

    async def accept(self) -> bool:
        """Complete the handshake; False if the peer left before it."""
        message = await self._receive()
        if message["type"] != "websocket.connect":
            return False
        await self._send({"type": "websocket.accept"})
        self._open = True
        return True

    async def receive(self) -> str | bytes | None:
        if not self._open:
            return None
        message = await self._receive()
        if message["type"] == "websocket.receive":
            text = message.get("text")
            return text if text is not None else bytes(message.get("bytes") or b"")
        self._open = False  # websocket.disconnect
        return None

    async def send_text(self, data: str) -> None:
        await self._send({"type": "websocket.send", "text": data})

    def deliver_inline(self, sink: InlineSink | None) -> bool:
        if self._lane is None:
            return False
        self._lane.deliver_to(sink)
        return True

    def can_send_now(self) -> bool:
        return self._open and self._lane is not None and self._lane.can_send_now()

    def send_now(self, texts: Sequence[str]) -> bool:
        return self._open and self._lane is not None and self._lane.send_now(texts)

    async def close(self, code: int, reason: str = "") -> None:
        if not self._open:
            return
        self._open = False
        if self._lane is not None:
            self._lane.deliver_to(None)
        # The peer may have gone away first: then there is nothing left to close.
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except (RuntimeError, OSError):
            return
