"""The websocket server of the SIMULATED realtime model (OpenAI Realtime GA protocol).

It serves ``/v1/realtime?model=...``, the URL the official SDK builds from
``base_url=http://host:port/v1``. A ``Authorization: Bearer`` header is required so our
clients are exercised with their real auth path, but any non-empty key is accepted:
this is a simulator, it holds no secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from http import HTTPStatus
from types import TracebackType
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from ringbook.clock import Clock, SystemClock
from ringbook.logging import get_logger
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from ringbook_simulators.realtime.session import RealtimeSession

log = get_logger(__name__)

REALTIME_PATH = "/v1/realtime"
_BERLIN = ZoneInfo("Europe/Berlin")


def berlin_today(clock: Clock) -> Callable[[], date]:
    """Scripts date their slots in the practice's local time (Europe/Berlin)."""
    return lambda: clock.now().astimezone(_BERLIN).date()


class RealtimeModelSimulator:
    """Run with ``async with RealtimeModelSimulator() as sim:``; ``sim.base_url`` is for
    ``AsyncOpenAI(base_url=...)``. Every session is kept in ``sessions`` for tests."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        speed: float = 1.0,
    ) -> None:
        """``speed`` > 1 streams agent audio faster than real time (tests only)."""
        self._host, self._port = host, port
        self._speed = speed
        self._today = berlin_today(clock or SystemClock())
        self._server: Server | None = None
        self.sessions: list[RealtimeSession] = []
        # The SIMULATED callers' memory, shared by every session: caller number -> the
        # booking reference last told them (``bookings.remember_booking``).
        self.caller_memory: dict[str, str] = {}

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def base_url(self) -> str:
        """The HTTP base URL the OpenAI SDK expects (it derives ``ws://.../v1/realtime``)."""
        return f"http://{self._host}:{self.port}/v1"

    async def start(self) -> None:
        # No compression and no size limit, as the SDK asks (max_size=None).
        self._server = await serve(
            self._handle,
            self._host,
            self._port,
            process_request=self._check_request,
            max_size=None,
            compression=None,
        )
        log.info(
            "SIMULATED realtime model listening (scripted, not AI)",
            url=f"ws://{self._host}:{self.port}{REALTIME_PATH}",
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        # Closing the server closes every connection (1001); each session's handler then
        # leaves its receive loop and stops its streaming tasks before wait_closed returns.
        self._server.close(close_connections=True)
        await self._server.wait_closed()
        self._server = None
        log.info("SIMULATED realtime model stopped")

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def __aenter__(self) -> RealtimeModelSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path.rstrip("/") != REALTIME_PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"Not found: {url.path}\n")
        auth = request.headers.get("Authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return connection.respond(
                HTTPStatus.UNAUTHORIZED, "Missing 'Authorization: Bearer <any key>'.\n"
            )
        if not parse_qs(url.query).get("model"):
            return connection.respond(HTTPStatus.BAD_REQUEST, "Missing query parameter 'model'.\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None  # process_request has seen it
        model = parse_qs(urlsplit(connection.request.path).query)["model"][0]
        session = RealtimeSession(connection, model=model, today=self._today, speed=self._speed,
                                  memory=self.caller_memory)
        self.sessions.append(session)
        await session.run()
