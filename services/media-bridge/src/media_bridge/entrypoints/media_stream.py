"""The websocket Twilio connects a call's ``<Connect><Stream>`` to."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket
from ringbook.runtime import ServiceRuntime

from media_bridge.adapters.media_sessions_repository import PostgresSessionRecorder
from media_bridge.adapters.starlette_socket import StarletteMediaSocket
from media_bridge.application.call_session import CallSession
from media_bridge.settings import MediaBridgeSettings


def media_stream_router(settings: MediaBridgeSettings) -> APIRouter:
    router = APIRouter()

    @router.websocket("/media-stream")
    async def media_stream(websocket: WebSocket) -> None:
        runtime: ServiceRuntime = websocket.app.state.runtime
        await websocket.accept()
        session = CallSession(
            socket=StarletteMediaSocket(websocket),
            recorder=PostgresSessionRecorder(runtime.pool),
            clock=runtime.clock,
            receive_timeout=settings.media_receive_timeout_seconds,
        )
        await session.run()

    return router
