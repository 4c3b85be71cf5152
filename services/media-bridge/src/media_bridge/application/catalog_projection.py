"""Consumer ``media-bridge-catalog``: media-bridge's own copy of what businesses configure
(CATALOG stream), so an inbound call is answered from local Postgres and never waits on
catalog-service, nor fails while it is down.

Each aggregate's events apply in version order (``in_order``): a snapshot older than
what is stored is skipped, and the worker's inbox makes a redelivery a no-op. Links join
two aggregates that travel independently, so neither side waits for the other: a link
is stored even when its tool or file has not arrived yet, and the call's read joins
them (a link to something unknown offers nothing). A deleted aggregate is remembered
(``end``), so a link that arrives after the deletion of its tool, file or assistant is
not stored; the deletion itself drops every link it had.
"""

from __future__ import annotations

import uuid

from ringbook.contracts import catalog as c
from ringbook.events import Envelope
from ringbook.logging import get_logger

from media_bridge.application.catalog_ports import CatalogProjection

log = get_logger(__name__)

CATALOG_CONSUMER = "media-bridge-catalog"
# The aggregates the projection follows (business hours are call-orchestrator's).
FOLLOWED = (c.ASSISTANT, c.TOOL, c.KNOWLEDGE_FILE, c.PHONE_NUMBER, c.CLIENT)


async def project_catalog_event(projection: CatalogProjection, event: Envelope) -> None:
    if event.aggregate not in FOLLOWED:
        return
    if not await projection.in_order(CATALOG_CONSUMER, event):
        return  # an older version, applied already
    match event.aggregate:
        case c.ASSISTANT:
            await _assistant(projection, event)
        case c.TOOL:
            await _tool(projection, event)
        case c.KNOWLEDGE_FILE:
            await _file(projection, event)
        case c.PHONE_NUMBER | c.CLIENT:
            await _line(projection, event)


async def _assistant(projection: CatalogProjection, event: Envelope) -> None:
    data, assistant_id = event.data, event.aggregate_id
    match data:
        case c.AssistantCreated() | c.AssistantUpdated():
            await projection.put_assistant(event, data.model_dump(mode="json"))
        case c.AssistantDeleted():
            await projection.drop_assistant(assistant_id)
            await projection.end(event)
        case c.AssistantToolLinked():
            if not await _other_side_ended(projection, event, data.tool_id):
                await projection.link_tool(event, data.tool_id)
        case c.AssistantToolUnlinked():
            await projection.unlink_tool(assistant_id, data.tool_id)
        case c.AssistantFileLinked() | c.AssistantFileLinkConfigured():
            if not await _other_side_ended(projection, event, data.file_id):
                await projection.link_file(event, data.file_id, data.settings)
        case c.AssistantFileUnlinked():
            await projection.unlink_file(assistant_id, data.file_id)


async def _other_side_ended(
    projection: CatalogProjection, event: Envelope, other: uuid.UUID
) -> bool:
    # The assistant's own deletion is its last version: no link of it can follow.
    if await projection.ended(other):
        log.info("catalog_link_after_deletion", type=event.type,
                 assistant_id=str(event.aggregate_id), other_id=str(other))
        return True
    return False


async def _tool(projection: CatalogProjection, event: Envelope) -> None:
    match event.data:
        case c.ToolCreated() | c.ToolUpdated():
            await projection.put_tool(event, event.data.model_dump(mode="json"))
        case c.ToolDeleted():
            await projection.drop_tool(event.aggregate_id)
            await projection.end(event)


async def _file(projection: CatalogProjection, event: Envelope) -> None:
    data = event.data
    match data:
        case c.FileUploaded():
            await projection.put_file(event, data.original_name)
        case c.FileUpdated():
            await projection.put_file(event, None)
        case c.FileTextExtracted():
            await projection.add_chunks(event, data.language,
                                        [(chunk.index, chunk.text) for chunk in data.chunks])
        case c.FileProcessed():
            await projection.file_processed(event, data.language, data.chunk_count)
        case c.FileFailed():
            await projection.file_failed(event)
        case c.FileDeleted():
            await projection.drop_file(event.aggregate_id)
            await projection.end(event)


async def _line(projection: CatalogProjection, event: Envelope) -> None:
    data = event.data
    match data:
        case c.PhoneNumberAdded() | c.PhoneNumberUpdated():
            await projection.put_line(event, number=data.phone_number, kind=c.PHONE_NUMBER,
                                      assistant_id=data.assistant_id)
        case c.PhoneNumberReleased():
            await projection.drop_line(event.aggregate_id)
            await projection.end(event)
        case c.ClientCreated() | c.ClientUpdated():
            await projection.put_client(event, data.model_dump(mode="json"))
            await projection.put_line(event, number=data.phone_number, kind=c.CLIENT,
                                      assistant_id=None)
        case c.ClientDeleted():
            await projection.drop_client(event.aggregate_id)
            await projection.drop_line(event.aggregate_id)
            await projection.end(event)
