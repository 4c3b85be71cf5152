"""``application.ports.CallLogStore`` on the service's pool: API keys, the client check
and the event store (with its outbox, which the relay publishes from)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from ringbook.events import Envelope
from ringbook.store import event_store

from analytics_service.domain.api_keys import ApiKey

_KEY_COLUMNS = "id, tenant_id, name, prefix, created_at, revoked_at"


def _key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(id=row["id"], tenant_id=row["tenant_id"], name=row["name"],
                  prefix=row["prefix"], created_at=row["created_at"],
                  revoked_at=row["revoked_at"])


class PgCallLogStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def add_key(self, key: ApiKey, key_hash: bytes) -> None:
        await self._pool.execute(
            "insert into api_keys (id, tenant_id, name, prefix, key_hash, created_at)"
            " values ($1, $2, $3, $4, $5, $6)",
            key.id, key.tenant_id, key.name, key.prefix, key_hash, key.created_at)

    async def list_keys(self, tenant_id: uuid.UUID) -> list[ApiKey]:
        rows = await self._pool.fetch(
            f"select {_KEY_COLUMNS} from api_keys where tenant_id = $1"
            " and revoked_at is null order by created_at, id", tenant_id)
        return [_key(r) for r in rows]

    async def revoke_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> bool:
        revoked = await self._pool.fetchval(
            "update api_keys set revoked_at = $3 where id = $1 and tenant_id = $2"
            " and revoked_at is null returning true", key_id, tenant_id, at)
        return bool(revoked)

    async def active_key(self, key_hash: bytes) -> ApiKey | None:
        row = await self._pool.fetchrow(
            f"select {_KEY_COLUMNS} from api_keys where key_hash = $1 and revoked_at is null",
            key_hash)
        return _key(row) if row is not None else None

    async def has_client(self, tenant_id: uuid.UUID, client_id: uuid.UUID) -> bool:
        return bool(await self._pool.fetchval(
            "select exists (select 1 from clients where id = $1 and tenant_id = $2"
            " and not deleted)", client_id, tenant_id))

    async def append(self, events: Sequence[Envelope]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await event_store.append(conn, events)
