"""The tool usage consumer, wired to its handler on the pull worker's transaction."""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.events import Envelope
from ringbook.store.database import Conn

from catalog_service.adapters.pg_catalog import PgToolUsage
from catalog_service.application.tool_usage import SPEC, on_tool_used


def tool_usage_consumer() -> tuple[ConsumerSpec, Handler]:
    async def handle(conn: Conn, event: Envelope) -> None:
        await on_tool_used(PgToolUsage(conn), event)

    return SPEC, handle
