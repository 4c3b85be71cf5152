"""Run a service app with uvicorn (uvloop + httptools when installed)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from ringbook.logging import configure_logging
from ringbook.settings import ServiceSettings
from ringbook.web.inline_websocket import InlineWebSocketProtocol

S = TypeVar("S", bound=ServiceSettings)


def uvicorn_options(settings: ServiceSettings) -> dict[str, Any]:
    """How every service's server is run (tests start theirs with these too)."""
    return {
        "host": settings.http_host,
        "port": settings.http_port,
        "log_config": None,
        "access_log": False,  # request metrics and structured logs replace the access log
        "timeout_graceful_shutdown": 10,
        # Our websocket peers (Twilio Media Streams) send frames of a few hundred bytes;
        # uvicorn's 16 MiB default would let any peer make us buffer that much per frame.
        "ws_max_size": settings.ws_max_bytes,
        # Twilio does not compress Media Streams; a peer that offers permessage-deflate
        # would make us inflate and deflate every 20 ms audio frame (base64 hardly
        # compresses) for nothing but CPU and latency.
        "ws_per_message_deflate": False,
        # uvicorn's sans-I/O websockets, with an inline lane for hot frames (see there).
        "ws": InlineWebSocketProtocol,
    }


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    uvicorn.run(app, **uvicorn_options(settings))


def run_service(settings_class: type[S], create_app: Callable[[S], FastAPI]) -> None:
    """A service's process entry point: settings from the environment, logging, serve.

    Settings that do not validate end the process (exit status 2) with one line per
    problem, each naming its variable: an operator reads it, a traceback hides it."""
    try:
        settings = settings_class()
    except ValidationError as exc:
        name = settings_class.model_fields["service_name"].default
        lines = [f"{name} refuses to start:"]
        for error in exc.errors():
            variable = "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(textwrap.indent(f"{variable}: {message}" if variable else message,
                                         "  "))
        print("\n".join(lines), file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    configure_logging(service=settings.service_name, level=settings.log_level,
                      json=settings.log_json)
    serve(create_app(settings), settings)
