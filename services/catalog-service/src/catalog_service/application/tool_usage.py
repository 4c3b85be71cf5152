"""How often each tool was called, and how fast it answered: a projection of the CALLS
stream's ``tool_used`` events (media-bridge writes one per HTTP request it made to a
tool), applied by a durable consumer whose inbox makes a redelivery count once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from ringbook.bus.worker import ConsumerSpec
from ringbook.contracts.catalog import ToolUsed
from ringbook.contracts.streams import CALLS
from ringbook.events import Envelope
from ringbook.logging import get_logger

log = get_logger(__name__)

CONSUMER = "catalog-tool-usage"
SPEC = ConsumerSpec(
    durable=CONSUMER, stream=CALLS,
    filter_subjects=[CALLS.subject_filter(event_type="tool_used")],
)


class UsageTransaction(Protocol):
    async def count_use(self, tenant_id: uuid.UUID, tool_id: uuid.UUID, at: datetime,
                        duration_ms: int) -> bool:
        """Add one use to the tenant's tool (running mean of the duration, latest
        ``last_used``); False if the tenant has no such tool (deleted since)."""
        ...


async def on_tool_used(usage: UsageTransaction, event: Envelope) -> None:
    """Handler of the ``catalog-tool-usage`` consumer (in the worker's transaction,
    which already holds the inbox claim)."""
    data = event.data
    if not isinstance(data, ToolUsed):
        return  # the filter lets only tool_used through; anything else is not ours
    counted = await usage.count_use(event.tenant_id, data.tool_id, data.started_at,
                                    data.duration_ms)
    if not counted:
        # A tool deleted since the call (or another tenant's id): nothing to count on.
        log.info("tool_use_of_unknown_tool", tool_id=str(data.tool_id),
                 tenant_id=str(event.tenant_id))
