"""Tenant API keys: created (shown once), listed, revoked, and checked on each logged
call. The key itself never leaves this module except in ``create_key``'s answer."""

from __future__ import annotations

import uuid

from ringbook.clock import Clock

from analytics_service.application.errors import InvalidApiKey, NotFound, TooManyKeys
from analytics_service.application.ports import CallLogStore
from analytics_service.domain.api_keys import (
    ApiKey,
    is_well_formed,
    key_hash,
    new_key,
    shown_prefix,
)

# Enough for one key per agent or integration; a bound, so no client can grow the table
# (and every listing) without end.
MAX_ACTIVE_KEYS = 50


async def create_key(store: CallLogStore, clock: Clock, tenant_id: uuid.UUID,
                     name: str) -> tuple[ApiKey, str]:
    """The new key's record and the key itself (the only time anyone sees it)."""
    if len(await store.list_keys(tenant_id)) >= MAX_ACTIVE_KEYS:
        raise TooManyKeys(f"At most {MAX_ACTIVE_KEYS} active API keys; revoke one first")
    key = new_key()
    record = ApiKey(id=uuid.uuid4(), tenant_id=tenant_id, name=name,
                    prefix=shown_prefix(key), created_at=clock.now())
    await store.add_key(record, key_hash(key))
    return record, key


async def list_keys(store: CallLogStore, tenant_id: uuid.UUID) -> list[ApiKey]:
    return await store.list_keys(tenant_id)


async def revoke_key(store: CallLogStore, clock: Clock, tenant_id: uuid.UUID,
                     key_id: uuid.UUID) -> None:
    if not await store.revoke_key(tenant_id, key_id, clock.now()):
        raise NotFound("API key not found")


async def authenticate(store: CallLogStore, key: str | None) -> ApiKey:
    """The active key ``key`` names; InvalidApiKey for anything else."""
    if key is None or not is_well_formed(key):
        raise InvalidApiKey("Missing or invalid API key")
    record = await store.active_key(key_hash(key))
    if record is None:
        raise InvalidApiKey("Missing or invalid API key")
    return record
