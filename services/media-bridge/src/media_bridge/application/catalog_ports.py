"""What media-bridge needs for the business configuration of a call, as protocols: its
projection of the CATALOG stream (written by the ``media-bridge-catalog`` consumer, read
when an inbound call starts and when the model searches the knowledge files) and the
requests to a business's HTTP tools. Adapters implement them (Postgres, httpx); the
call's own ports are in :mod:`media_bridge.application.ports`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ringbook.events import Envelope

from media_bridge.domain.assistant_session import AssistantProfile, HttpTool, LineAnswer
from media_bridge.domain.booking_line import BookingLine
from media_bridge.domain.tool_output import Passage


class CatalogView(Protocol):
    """media-bridge's own projection of the CATALOG stream, read during a call (local
    Postgres: a call never asks catalog-service)."""

    async def answering(self, line: str) -> LineAnswer | None:
        """Who answers the business number ``line`` (E.164): its assistant, its client's
        receptionist, or None (the default receptionist)."""
        ...

    async def booking_line(self, line: str) -> BookingLine | None:
        """The bookings of the business number ``line`` (E.164), if it takes any."""
        ...

    async def search_knowledge(
        self, assistant: AssistantProfile, query: str, limit: int
    ) -> list[Passage]:
        """The best passages of the assistant's processed files for ``query``."""
        ...


@dataclass(frozen=True)
class ToolAnswer:
    status: int
    body: bytes  # within the size limit
    content_type: str


class ToolRequestFailed(Exception):
    """A tool request that brought no usable answer. ``error`` is told to the model (and
    recorded in ``tool_used``); ``status`` is the HTTP status if an answer came."""

    def __init__(self, error: str, *, status: int | None = None) -> None:
        super().__init__(error)
        self.error, self.status = error, status


class ToolRequests(Protocol):
    async def request(self, tool: HttpTool, arguments: dict[str, Any]) -> ToolAnswer:
        """Make ``tool``'s request with ``arguments``; raises ToolRequestFailed."""
        ...


class BookingFunctionFailed(Exception):
    """The function handler gave no answer the model can use (unreachable, late, 5xx,
    429, not JSON); the message is for the logs."""


class BookingFunctions(Protocol):
    """catalog-service's function handler (seed 004), which owns the slots and bookings."""

    async def call(self, function_name: str, arguments: dict[str, Any],
                   context: dict[str, str | None]) -> dict[str, Any]:
        """The handler's JSON answer; raises BookingFunctionFailed."""
        ...


class CatalogProjection(Protocol):
    """The projection's writes, inside the consumer's transaction (one event each)."""

    async def in_order(self, consumer: str, event: Envelope) -> bool: ...

    async def ended(self, aggregate_id: uuid.UUID) -> bool:
        """Whether the aggregate was deleted (released): links to it are not kept."""
        ...

    async def end(self, event: Envelope) -> None:
        """Remember that ``event``'s aggregate is gone (its deletion)."""
        ...

    async def put_assistant(self, event: Envelope, config: dict[str, Any]) -> None: ...

    async def drop_assistant(self, assistant_id: uuid.UUID) -> None:
        """The assistant and its tool and file links."""
        ...

    async def link_tool(self, event: Envelope, tool_id: uuid.UUID) -> None: ...

    async def unlink_tool(self, assistant_id: uuid.UUID, tool_id: uuid.UUID) -> None: ...

    async def link_file(
        self, event: Envelope, file_id: uuid.UUID, settings: dict[str, Any]
    ) -> None: ...

    async def unlink_file(self, assistant_id: uuid.UUID, file_id: uuid.UUID) -> None: ...

    async def put_tool(self, event: Envelope, tool: dict[str, Any]) -> None: ...

    async def drop_tool(self, tool_id: uuid.UUID) -> None:
        """The tool and every link to it."""
        ...

    async def put_file(self, event: Envelope, original_name: str | None) -> None: ...

    async def add_chunks(
        self, event: Envelope, language: str, chunks: Sequence[tuple[int, str]]
    ) -> None: ...

    async def file_processed(self, event: Envelope, language: str, chunk_count: int) -> None: ...

    async def file_failed(self, event: Envelope) -> None:
        """Status ``error``; its passages are no longer searched."""
        ...

    async def drop_file(self, file_id: uuid.UUID) -> None:
        """The file, its passages and every link to it."""
        ...

    async def put_line(
        self, event: Envelope, *, number: str, kind: str, assistant_id: uuid.UUID | None
    ) -> None: ...

    async def drop_line(self, source_id: uuid.UUID) -> None: ...

    async def put_client(self, event: Envelope, client: dict[str, Any]) -> None: ...

    async def drop_client(self, client_id: uuid.UUID) -> None: ...
