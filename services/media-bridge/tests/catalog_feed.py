"""CATALOG events as catalog-service would publish them, for media-bridge's tests: each
aggregate's versions counted up, published to the real stream with a ``Nats-Msg-Id``
(``again`` re-publishes an event under a new message id: a redelivery JetStream's own
de-duplication does not catch, so only the consumer's inbox can)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import nats
from ringbook.clock import SystemClock
from ringbook.contracts import catalog as c
from ringbook.events import Envelope, EventData, new_event
from ringbook.secret_box import DEV_SECRETS_ENCRYPTION_KEY, SecretBox

BOX = SecretBox([DEV_SECRETS_ENCRYPTION_KEY])  # what the bridge opens with in development
SIGNING_SECRET = "whsec-test-signing-secret"
TOOL_TOKEN = "tool-api-token-123"


class CatalogFeed:
    def __init__(self, nats_url: str, tenant_id: uuid.UUID) -> None:
        self._url, self.tenant_id = nats_url, tenant_id
        self._versions: dict[uuid.UUID, int] = defaultdict(int)

    def event(self, aggregate_id: uuid.UUID, data: EventData, *,
              tenant_id: uuid.UUID | None = None) -> Envelope:
        self._versions[aggregate_id] += 1
        return new_event(data, aggregate_id=aggregate_id,
                         version=self._versions[aggregate_id],
                         tenant_id=tenant_id or self.tenant_id, correlation_id=aggregate_id,
                         clock=SystemClock())

    async def publish(self, *events: Envelope, again: bool = False) -> None:
        nc = await nats.connect(self._url)
        try:
            js = nc.jetstream()
            for event in events:
                msg_id = f"{event.id}-again-{uuid.uuid4()}" if again else str(event.id)
                await js.publish(event.subject, event.to_json(),
                                 headers={"Nats-Msg-Id": msg_id})
        finally:
            await nc.close()

    async def emit(self, aggregate_id: uuid.UUID, data: EventData, **kwargs: Any) -> Envelope:
        event = self.event(aggregate_id, data, **kwargs)
        await self.publish(event)
        return event


def assistant(**changes: Any) -> c.AssistantCreated:
    values: dict[str, Any] = {
        "name": "Praxis Sonnenschein", "system_prompt": "Du bist die Rezeption der Praxis.",
        "language": "de-DE", "voice_id": "coral", "max_tokens": 500,
        "first_message": "Praxis Sonnenschein, guten Tag! Wie kann ich helfen?",
        **changes,
    }
    return c.AssistantCreated(**values)


def tool(endpoint: str, **changes: Any) -> c.ToolCreated:
    values: dict[str, Any] = {
        "name": "check_slots", "description": "Free appointment slots on a day.",
        "endpoint": endpoint, "method": "POST",
        "parameters": {"type": "object", "properties": {"day": {"type": "string"}},
                       "required": ["day"]},
        "headers_sealed": BOX.seal('{"X-Practice": "sonnenschein"}'),
        "authentication_sealed": BOX.seal(f'{{"type": "bearer", "token": "{TOOL_TOKEN}"}}'),
        "signing_secret_sealed": BOX.seal(SIGNING_SECRET),
        "timeout_seconds": 5.0,
        **changes,
    }
    return c.ToolCreated(**values)


def file_events(feed: CatalogFeed, file_id: uuid.UUID, name: str, language: str,
                passages: list[str]) -> list[Envelope]:
    """A file's upload, its text in one batch, and its processing."""
    return [
        feed.event(file_id, c.FileUploaded(
            filename=f"{file_id}.txt", original_name=name, file_type="txt",
            file_size=sum(map(len, passages)), s3_url=f"file:///tmp/{file_id}")),
        feed.event(file_id, c.FileTextExtracted(language=language, chunks=tuple(
            c.TextChunk(index=i, text=text) for i, text in enumerate(passages)))),
        feed.event(file_id, c.FileProcessed(language=language, chunk_count=len(passages),
                                            extracted_chars=sum(map(len, passages)))),
    ]


def number(phone: str, assistant_id: uuid.UUID | None) -> c.PhoneNumberAdded:
    return c.PhoneNumberAdded(phone_number=phone, assistant_id=assistant_id)
