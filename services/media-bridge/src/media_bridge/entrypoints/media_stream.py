"""The websocket Twilio connects a call's ``<Connect><Stream>`` to: ``/media-stream``.

It is a plain ASGI endpoint (see :mod:`media_bridge.adapters.asgi_socket` for why), routed
by the FastAPI app like any other path.

Two checks stand between a peer and a call. The upgrade must carry Twilio's signature
over our public stream URL (``MEDIA_STREAM_URL``), or the handshake is refused (HTTP
403, as a Twilio webhook with a bad signature is): nothing is read from that peer. Then
the call's ``start`` must be admitted by its stream token
(:mod:`media_bridge.application.stream_admission`), or the socket is closed with 1008
before any model session opens.

A draining process (SIGTERM, see :mod:`media_bridge.application.live_calls`) refuses
every new upgrade the same way (HTTP 403: Twilio fails the stream, and the call's
retry reaches a replica that is ready), and every new ``start`` with 1008.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from ringbook.logging import get_logger
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send

from media_bridge.adapters.asgi_socket import AsgiMediaSocket
from media_bridge.adapters.twilio_signature import is_twilio_upgrade
from media_bridge.application.conversation import ConversationConfig
from media_bridge.application.live_calls import DrainingGate, LiveCalls
from media_bridge.application.stream_admission import STREAMS_REFUSED
from media_bridge.entrypoints.conversations import StreamedConversation as Conversation
from media_bridge.entrypoints.dependencies import call_wiring
from media_bridge.settings import MediaBridgeSettings

MEDIA_STREAM_PATH = "/media-stream"
SIGNATURE_HEADER = b"x-twilio-signature"
# What an ASGI server answers a websocket closed before its handshake: HTTP 403.
_REFUSE_HANDSHAKE = {"type": "websocket.close", "code": 1008}

log = get_logger(__name__)


def _signature(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name.lower() == SIGNATURE_HEADER:
            return bytes(value).decode("latin-1")
    return None


class MediaStreamEndpoint:
    """One :class:`Conversation` per websocket. Its collaborators (model, store, hang-up,
    gate, recorder, clock) are the app's :class:`~media_bridge.entrypoints.dependencies.
    CallWiring`, read per call, so they are whatever the lifespan set up."""

    def __init__(self, settings: MediaBridgeSettings) -> None:
        self._config = ConversationConfig(
            receptionist_instructions=settings.receptionist_instructions,
            connect_timeout=settings.realtime_connect_timeout_seconds,
            receive_timeout=settings.media_receive_timeout_seconds,
            end_call_drain_seconds=settings.end_call_drain_seconds,
            realtime_model=settings.realtime_model,
        )
        self._stream_url = settings.media_stream_url
        self._auth_token = settings.twilio_auth_token.get_secret_value()
        # The calls of this process: what a drain waits for (app.create_app wires it).
        self.calls = LiveCalls()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app: FastAPI = scope["app"]
        if not is_twilio_upgrade(self._auth_token, self._stream_url, _signature(scope)):
            STREAMS_REFUSED.labels("unsigned").inc()
            log.warning("media_stream_refused", reason="unsigned")
            await self._refuse_handshake(receive, send)
            return
        if self.calls.refused("upgrade"):
            await self._refuse_handshake(receive, send)
            return
        wiring = call_wiring(app)
        conversation = Conversation(
            config=self._config,
            model_factory=wiring.model_factory,
            store=wiring.store,
            hangup=wiring.hangup,
            gate=DrainingGate(wiring.gate, self.calls),
            clock=wiring.clock,
            assistants=wiring.assistants,
        )
        # Live from the handshake on: a drain starting now waits for this socket too.
        with self.calls.serving(conversation):
            socket = AsgiMediaSocket(scope, receive, send)
            if not await socket.accept():
                return
            await conversation.run(socket, wiring.recorder)

    @staticmethod
    async def _refuse_handshake(receive: Receive, send: Send) -> None:
        if (await receive())["type"] == "websocket.connect":
            await send(_REFUSE_HANDSHAKE)


def media_stream_router(endpoint: MediaStreamEndpoint) -> APIRouter:
    router = APIRouter()
    # An instance, not a function: Starlette hands it the raw ASGI scope/receive/send.
    router.routes.append(WebSocketRoute(MEDIA_STREAM_PATH, endpoint, name="media_stream"))
    return router
