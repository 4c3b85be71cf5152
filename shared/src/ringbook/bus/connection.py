"""Connecting to NATS and checking that the server is safe to rely on.

Services refuse readiness against a server older than 2.12, without JetStream, or (when
a monitoring URL is configured) without ``sync_interval: always``: by default NATS
acknowledges writes it has not yet fsynced (Jepsen, 2025), and a 202 we answered must
survive a power cut.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import nats
from nats.aio.client import Client as NATS

from ringbook.logging import get_logger

MIN_SERVER_VERSION = (2, 12, 0)
log = get_logger(__name__)


@dataclass(frozen=True)
class ServerCheck:
    ok: bool
    problems: tuple[str, ...]


Callback = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


async def connect_forever(
    servers: list[str], *, name: str,
    on_disconnect: Callback = _nothing, on_reconnect: Callback = _nothing,
) -> NATS:
    """Connect, retrying until a server answers; reconnects forever afterwards.

    ``on_reconnect`` runs once a reconnect is complete; the server may be another one
    than before, so whatever was checked about the old one must be checked again."""

    async def _on_error(exc: Exception) -> None:
        log.warning("nats_error", error=repr(exc))

    async def _on_disconnect() -> None:
        log.warning("nats_disconnected")
        await on_disconnect()

    async def _on_reconnect() -> None:
        log.info("nats_reconnected")
        await on_reconnect()

    return await nats.connect(
        servers,
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=2,
        error_cb=_on_error,
        disconnected_cb=_on_disconnect,
        reconnected_cb=_on_reconnect,
    )


async def check_server(nc: NATS, monitor_url: str | None) -> ServerCheck:
    problems: list[str] = []
    info = nc._server_info  # the INFO the server sent on connect (nats-py keeps it)
    version = nc.connected_server_version
    if (version.major, version.minor, version.patch) < MIN_SERVER_VERSION:
        problems.append(f"nats-server {version} is older than 2.12")
    if not info.get("jetstream"):
        problems.append("JetStream is not enabled on the server")
    if monitor_url:
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                varz = (await client.get(f"{monitor_url.rstrip('/')}/varz")).json()
            if not varz.get("jetstream", {}).get("config", {}).get("sync_always"):
                problems.append("JetStream runs without sync_interval: always")
        except (httpx.HTTPError, ValueError) as exc:
            problems.append(f"cannot read {monitor_url}/varz: {exc!r}")
    return ServerCheck(ok=not problems, problems=tuple(problems))
