"""The MediaSocket port straight over ASGI's ``receive``/``send``.

Starlette's ``WebSocket`` wraps every frame in state checks and a second layer of
message dicts; on a path that carries 100 frames a second per call each way, we talk
ASGI to uvicorn directly instead (the messages are those of the ASGI websocket spec:
``websocket.connect/accept/receive/send/close/disconnect``).
"""

from __future__ import annotations

from starlette.types import Receive, Send


class AsgiMediaSocket:
    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive, self._send = receive, send
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

    async def close(self, code: int, reason: str = "") -> None:
        if not self._open:
            return
        self._open = False
        # The peer may have gone away first: then there is nothing left to close.
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except (RuntimeError, OSError):
            return
