"""The MediaSocket port over a Starlette (ASGI) websocket."""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect


class StarletteMediaSocket:
    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket
        self._open = True

    async def receive(self) -> str | bytes | None:
        if not self._open:
            return None
        message = await self._ws.receive()
        if message["type"] == "websocket.disconnect":
            self._open = False
            return None
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    async def send_text(self, data: str) -> None:
        await self._ws.send_text(data)

    async def close(self, code: int, reason: str = "") -> None:
        if not self._open:
            return
        self._open = False
        # The peer may have gone away first: then there is nothing left to close.
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self._ws.close(code=code, reason=reason)
