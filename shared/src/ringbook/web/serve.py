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
    )
