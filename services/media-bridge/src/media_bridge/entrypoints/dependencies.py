"""What every call of this process is wired to, built once the runtime has started.

media-bridge's one handler is the media-stream websocket, a plain ASGI endpoint (FastAPI's
``Depends`` does not reach it): it gets its collaborators per call from providers that
read this wiring through :func:`call_wiring`, the one typed read of ``app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from ringbook.clock import Clock

from media_bridge.application.assistant_tools import AssistantServices
from media_bridge.application.ports import (
    CallHangup,
    ConversationStore,
    ModelFactory,
    SessionRecorder,
    StreamGate,
)


@dataclass(frozen=True)
class CallWiring:
    """The collaborators all calls share (``app.state.calls``). None of them holds
    anything of one call: each is a client or a pool behind a port."""

    model_factory: ModelFactory
    store: ConversationStore
    hangup: CallHangup
    # Admits a stream's ``start`` by its one-call token (verified, claimed in Postgres).
    gate: StreamGate
    recorder: SessionRecorder  # the media_sessions row of each stream
    clock: Clock
    # Who answers an inbound call (the CATALOG projection) and the tools' requests.
    assistants: AssistantServices | None = None
    # Clients to close at shutdown (the model's and call-orchestrator's).
    closers: Sequence[Callable[[], Awaitable[None]]] = ()

    async def close(self) -> None:
        for close in self.closers:
            await close()


def call_wiring(app: FastAPI) -> CallWiring:
    wiring = getattr(app.state, "calls", None)
    if not isinstance(wiring, CallWiring):
        raise RuntimeError("media-bridge has not started: no call wiring")
    return wiring
