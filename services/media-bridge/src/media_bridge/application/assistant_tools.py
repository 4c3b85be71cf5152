"""The tools an assistant brings to its calls: the business's HTTP tools and
``search_knowledge`` over its knowledge files.

An HTTP tool call is one request (``ToolRequests``: guarded, signed, bounded) whose
answer goes back to the model (shapes in :mod:`media_bridge.domain.tool_output`), and
one ``tool_used`` event on the call's own aggregate, success or not: catalog-service
counts a tool's uses, last use and response time from them. The event is written after
the answer is in hand; if it cannot be stored, the model still gets the answer (the
request was made either way) and the loss is logged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.catalog import ToolUsed
from ringbook.events import EventData
from ringbook.logging import get_logger

from media_bridge.application.catalog_ports import (
    BookingFunctions,
    CatalogView,
    ToolRequestFailed,
    ToolRequests,
)
from media_bridge.domain.assistant_session import SEARCH_KNOWLEDGE, AssistantProfile, HttpTool
from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.tool_output import PASSAGES, failed, http_output, knowledge_output

log = get_logger(__name__)

Emit = Callable[[Sequence[EventData]], Awaitable[None]]
# A query longer than this is cut: the model's question, not a document.
MAX_QUERY_CHARS = 500


@dataclass(frozen=True)
class AssistantServices:
    """What a call needs to be answered by a configured assistant (shared by all calls)."""

    catalog: CatalogView
    requests: ToolRequests
    # Who answers a number is read within this (local Postgres); late: the default.
    lookup_timeout_seconds: float = 1.0
    search_timeout_seconds: float = 2.0
    # catalog-service's function handler, for numbers that take bookings; None: no
    # call is offered the booking functions.
    bookings: BookingFunctions | None = None


class AssistantTools:
    def __init__(
        self,
        assistant: AssistantProfile,
        *,
        facts: CallFacts,
        services: AssistantServices,
        emit: Emit,
        clock: Clock,
    ) -> None:
        self._assistant, self._facts = assistant, facts
        self._services, self._emit, self._clock = services, emit, clock

    def kind(self, name: str) -> str | None:
        """``"http"`` or ``"search_knowledge"`` for a tool of this assistant, else None."""
        if name == SEARCH_KNOWLEDGE and self._assistant.has_knowledge:
            return SEARCH_KNOWLEDGE
        return "http" if self._assistant.http_tool(name) is not None else None

    async def run(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        if name == SEARCH_KNOWLEDGE:
            return await self._search(args)
        tool = self._assistant.http_tool(name)
        if tool is None:
            return failed(f"unknown tool {name[:60]!r}")
        return await self._call(tool, args)

    async def _call(self, tool: HttpTool, args: dict[str, Any]) -> dict[str, Any]:
        started_at, started = self._clock.now(), time.monotonic()
        status: int | None = None
        try:
            answer = await self._services.requests.request(tool, args)
            status = answer.status
            output = http_output(answer.status, answer.body, answer.content_type)
        except ToolRequestFailed as exc:
            status, output = exc.status, failed(exc.error)
        except Exception as exc:  # a bug must not reach the model as anything but a failure
            log.error("http_tool_failed", tool=tool.name, error=repr(exc))
            output = failed("the tool could not be used, please try again")
        duration_ms = round((time.monotonic() - started) * 1000)
        ok = bool(output["ok"])
        log.info("http_tool_called", tool=tool.name, tool_id=str(tool.tool_id), status=status,
                 ok=ok, duration_ms=duration_ms)
        used = ToolUsed(
            tool_id=tool.tool_id, assistant_id=self._assistant.assistant_id,
            call_sid=self._facts.call_sid, started_at=started_at, duration_ms=duration_ms,
            status_code=status, ok=ok, error=None if ok else str(output.get("error"))[:500],
        )
        try:
            await self._emit([used])
        except Exception as exc:
            log.error("tool_used_not_recorded", tool_id=str(tool.tool_id), error=repr(exc))
        return output

    async def _search(self, args: dict[str, Any]) -> dict[str, Any]:
        query = str(args.get("query") or "").strip()[:MAX_QUERY_CHARS]
        if not query:
            return failed("query is required: what to look up")
        try:
            async with asyncio.timeout(self._services.search_timeout_seconds):
                passages = await self._services.catalog.search_knowledge(
                    self._assistant, query, PASSAGES)
        except Exception as exc:
            log.error("knowledge_search_failed", error=repr(exc))
            return failed("the knowledge files cannot be searched right now")
        log.info("knowledge_searched", passages=len(passages))
        return knowledge_output(passages)
