"""``POST /api/calls``: a business's own agent logs a call with its tenant's API key.

The call becomes a ``call_logged`` event (event store + outbox, published by the relay),
and its row appears through the projection like any other call's: the log is rebuilt
by replay, so nothing may exist only in a table written here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.call_log import CallLogged
from ringbook.events import new_event

from analytics_service.application.errors import NotFound
from analytics_service.application.ports import CallLogStore
from analytics_service.domain.api_keys import ApiKey


async def log_call(store: CallLogStore, clock: Clock, key: ApiKey,
                   fields: dict[str, Any]) -> tuple[uuid.UUID, uuid.UUID, datetime]:
    """The logged call's id, client and time. ``fields`` is seed 002's body, validated."""
    client_id: uuid.UUID = fields["client_id"]
    if not await store.has_client(key.tenant_id, client_id):
        # Another tenant's client reads exactly like an unknown one.
        raise NotFound("Client not found")
    call_id = uuid.uuid4()
    data = CallLogged(tenant_id=key.tenant_id, api_key_id=key.id, **fields)
    event = new_event(data, aggregate_id=call_id, version=1, tenant_id=key.tenant_id,
                      correlation_id=call_id, clock=clock)
    await store.append([event])
    return call_id, client_id, event.occurred_at
