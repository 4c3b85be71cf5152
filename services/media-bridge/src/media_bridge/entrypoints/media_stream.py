"""The websocket Twilio connects a call's ``<Connect><Stream>`` to: ``/media-stream``.

It is a plain ASGI endpoint (see :mod:`media_bridge.adapters.asgi_socket` for why), routed
by the FastAPI app like any other path.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from ringbook.runtime import ServiceRuntime
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send

from media_bridge.adapters.asgi_socket import AsgiMediaSocket
from media_bridge.adapters.media_sessions_repository import PostgresSessionRecorder
from media_bridge.application.conversation import ConversationConfig
from media_bridge.application.ports import CallHangup, ConversationStore, ModelFactory
from media_bridge.entrypoints.conversations import StreamedConversation as Conversation
from media_bridge.settings import MediaBridgeSettings

MEDIA_STREAM_PATH = "/media-stream"


class MediaStreamEndpoint:
    """One :class:`Conversation` per websocket. The wiring (model, store, hang-up) is read
    from the app's state per call, so it is whatever the lifespan set up."""

    def __init__(
        self,
        settings: MediaBridgeSettings,
        *,
        model_factory: Callable[[FastAPI], ModelFactory],
        store: Callable[[FastAPI], ConversationStore],
        hangup: Callable[[FastAPI], CallHangup],
    ) -> None:
        self._config = ConversationConfig(
            receptionist_instructions=settings.receptionist_instructions,
            connect_timeout=settings.realtime_connect_timeout_seconds,
            receive_timeout=settings.media_receive_timeout_seconds,
            end_call_drain_seconds=settings.end_call_drain_seconds,
        )
        self._model_factory, self._store, self._hangup = model_factory, store, hangup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app: FastAPI = scope["app"]
        runtime: ServiceRuntime = app.state.runtime
        socket = AsgiMediaSocket(scope, receive, send)
        if not await socket.accept():
            return
        conversation = Conversation(
            config=self._config,
            model_factory=self._model_factory(app),
            store=self._store(app),
            hangup=self._hangup(app),
            clock=runtime.clock,
        )
        await conversation.run(socket, PostgresSessionRecorder(runtime.pool))


def media_stream_router(endpoint: MediaStreamEndpoint) -> APIRouter:
    router = APIRouter()
    # An instance, not a function: Starlette hands it the raw ASGI scope/receive/send.
    router.routes.append(WebSocketRoute(MEDIA_STREAM_PATH, endpoint, name="media_stream"))
    return router
