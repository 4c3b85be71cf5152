"""Run a service app with uvicorn (uvloop + httptools when installed).

The server is uvicorn's own, but for one thing: a service whose runtime registered a
drain (:meth:`ringbook.runtime.ServiceRuntime.drain_with`) takes its first SIGTERM as
"finish what is under way, then exit 0" instead of a prompt stop. A second SIGTERM, or
any SIGINT, is uvicorn's usual shutdown (and its exit by the signal)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import textwrap
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from ringbook.logging import configure_logging, get_logger
from ringbook.runtime import ServiceRuntime
from ringbook.settings import ServiceSettings
from ringbook.web.inline_websocket import InlineWebSocketProtocol

S = TypeVar("S", bound=ServiceSettings)
# uvicorn's exit status when the app did not start (uvicorn.main.STARTUP_FAILURE).
STARTUP_FAILURE = 3

log = get_logger(__name__)


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


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the first SIGTERM of a draining service turned into a drain.

    The signal handler only notes the request (it runs between two bytecodes of
    whatever the loop was doing); the drain itself starts on the server's next tick, in
    the loop, and sets ``should_exit`` when it is done, as a signal would have at once."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app
        self._drain_requested = False
        self._draining: asyncio.Task[None] | None = None

    def _runtime(self) -> ServiceRuntime | None:
        runtime = getattr(self._app.state, "runtime", None)  # set once the lifespan ran
        return runtime if isinstance(runtime, ServiceRuntime) else None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        runtime = self._runtime()
        if (sig == signal.SIGTERM and not self._drain_requested and not self.should_exit
                and runtime is not None and runtime.drains):
            # Not recorded as captured: once drained, the process exits 0, not by SIGTERM.
            self._drain_requested = True
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._drain_requested and self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await super().on_tick(counter)

    async def _drain(self) -> None:
        runtime = self._runtime()
        try:
            if runtime is not None:
                await runtime.drain_now()
        except Exception as exc:  # a failed drain must still let the process stop
            log.error("drain_failed", error=repr(exc))
        finally:
            self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._draining is not None and not self._draining.done():
            self._draining.cancel()  # a second signal: stop now, as uvicorn does
        await super().shutdown(sockets)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """``uvicorn.run`` with :class:`DrainingServer` (no reload, one worker: as we run)."""
    server = DrainingServer(uvicorn.Config(app, **uvicorn_options(settings)), app)
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run: a SIGINT stop is no error
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


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
