"""media-bridge's app: the Media Streams websocket, plus the platform endpoints.

It declares CALLS and runs the outbox relay now, so the conversation events it will
append (booking progress, transcripts) are published from the first one on.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import CALLS
from ringbook.runtime import ServiceRuntime
from ringbook.web.app import create_service_app

import media_bridge
from media_bridge.entrypoints.media_stream import media_stream_router
from media_bridge.settings import MediaBridgeSettings


def migrations_dir() -> Path:
    return Path(media_bridge.__file__).resolve().parents[2] / "migrations"


def create_app(settings: MediaBridgeSettings, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[CALLS],
        relay=True,
        clock=clock or SystemClock(),
    )
    return create_service_app(
        runtime, title="Ringbook media-bridge", routers=[media_stream_router(settings)]
    )
