"""The websocket Twilio connects a call's ``<Connect><Stream>`` to."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, WebSocket
from ringbook.runtime import ServiceRuntime

from media_bridge.adapters.media_sessions_repository import PostgresSessionRecorder
from media_bridge.adapters.starlette_socket import StarletteMediaSocket
from media_bridge.application.conversation import Conversation, ConversationConfig
from media_bridge.application.ports import CallHangup, ConversationStore, ModelFactory
from media_bridge.settings import MediaBridgeSettings


def media_stream_router(
    settings: MediaBridgeSettings,
    *,
    model_factory: Callable[[WebSocket], ModelFactory],
    store: Callable[[WebSocket], ConversationStore],
    hangup: Callable[[WebSocket], CallHangup],
) -> APIRouter:
    router = APIRouter()
    config = ConversationConfig(
        receptionist_instructions=settings.receptionist_instructions,
        connect_timeout=settings.realtime_connect_timeout_seconds,
        receive_timeout=settings.media_receive_timeout_seconds,
        end_call_drain_seconds=settings.end_call_drain_seconds,
    )

    @router.websocket("/media-stream")
    async def media_stream(websocket: WebSocket) -> None:
        runtime: ServiceRuntime = websocket.app.state.runtime
        await websocket.accept()
        conversation = Conversation(
            config=config,
            model_factory=model_factory(websocket),
            store=store(websocket),
            hangup=hangup(websocket),
            clock=runtime.clock,
        )
        await conversation.run(
            StarletteMediaSocket(websocket), PostgresSessionRecorder(runtime.pool)
        )

    return router
