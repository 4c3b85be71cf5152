"""Run a service app with uvicorn (uvloop + httptools when installed)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from ringbook.settings import ServiceSettings


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,  # request metrics and structured logs replace the access log
        timeout_graceful_shutdown=10,
        # Our websocket peers (Twilio Media Streams) send frames of a few hundred bytes;
        # uvicorn's 16 MiB default would let any peer make us buffer that much per frame.
        ws_max_size=settings.ws_max_bytes,
    )
