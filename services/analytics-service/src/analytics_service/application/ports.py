"""What the projection needs from its store, as a protocol; the asyncpg adapter in
``analytics_service.adapters`` implements it on the pull worker's connection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ringbook.contracts.call_log import CallAnalyzed
from ringbook.contracts.catalog import AssistantState, ClientState, PhoneNumberState
from ringbook.events import Envelope

from analytics_service.domain.api_keys import ApiKey
from analytics_service.domain.call_cost import CostInputs, PricedCall
from analytics_service.domain.call_record import CallPatch
from analytics_service.domain.request_fact import RequestFact


class FactsTransaction(Protocol):
    """The request facts inside the pull worker's transaction (which holds the event's
    inbox claim): whatever a handler writes commits with that claim or not at all."""

    async def insert(self, fact: RequestFact) -> bool:
        """Insert a new fact; False if the request is already projected (a replay)."""
        ...

    async def get_for_update(self, request_id: uuid.UUID) -> RequestFact | None:
        """The fact, row-locked until the transaction ends."""
        ...

    async def update_status(self, fact: RequestFact) -> None: ...

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        """True if ``event`` is its aggregate's next version for ``consumer``; False if
        already applied; raises RetryLater on a gap."""
        ...


class CallLogTransaction(Protocol):
    """The call log and its clients inside the pull worker's transaction. Each write
    returns False when the row belongs to another tenant (nothing is written then)."""

    async def merge_call(self, patch: CallPatch) -> bool:
        """Create the call's row or merge ``patch`` into it (order-independent rules)."""
        ...

    async def record_analysis(self, event: Envelope, analysis: CallAnalyzed) -> bool:
        """Fill in the call's analysis (creating a placeholder row if it came first)."""
        ...

    async def cost_inputs(self, call_id: uuid.UUID) -> CostInputs:
        """What the call's row holds now to be priced from (after a merge)."""
        ...

    async def set_cost(self, call_id: uuid.UUID, priced: PricedCall | None) -> None: ...

    async def put_client(self, event: Envelope, state: ClientState) -> bool: ...

    async def put_assistant(self, event: Envelope, state: AssistantState) -> bool: ...

    async def delete_assistant(self, event: Envelope) -> bool: ...

    async def put_number(self, event: Envelope, state: PhoneNumberState) -> bool: ...

    async def release_number(self, event: Envelope) -> bool: ...

    async def delete_client(self, event: Envelope) -> bool: ...

    async def in_order(self, consumer: str, event: Envelope) -> bool: ...


class CallLogStore(Protocol):
    """The service's own state for the call log's writes: API keys, the clients it
    knows, and its event store (with outbox) for ``call_logged``."""

    async def add_key(self, key: ApiKey, key_hash: bytes) -> None: ...

    async def list_keys(self, tenant_id: uuid.UUID) -> list[ApiKey]:
        """The tenant's keys not revoked, oldest first."""
        ...

    async def revoke_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> bool:
        """False when the tenant has no such key not revoked yet."""
        ...

    async def active_key(self, key_hash: bytes) -> ApiKey | None: ...

    async def has_client(self, tenant_id: uuid.UUID, client_id: uuid.UUID) -> bool:
        """True when the client is the tenant's and not deleted."""
        ...

    async def append(self, events: Sequence[Envelope]) -> None:
        """Store events and queue them for publishing, in one transaction."""
        ...
