"""Postgres for conversations: the request projection, the conversation events (through
ringbook's event store and outbox) and the finished conversation's row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson
from ringbook.contracts.requests import RequestReceived
from ringbook.events import Envelope
from ringbook.store import event_store
from ringbook.store.database import Conn

from media_bridge.domain.conversation_record import ConversationRecord


async def on_request_received(conn: Conn, event: Envelope) -> None:
    """Consumer ``media-bridge-requests``: keep what an outbound call's agent needs.
    Idempotent (the inbox already makes a redelivery a no-op; the conflict clause makes a
    replay from sequence 1 one too)."""
    if not isinstance(event.data, RequestReceived):
        return
    await conn.execute(
        "insert into call_requests (request_id, tenant_id, data) values ($1, $2, $3::jsonb)"
        " on conflict (request_id) do nothing",
        event.aggregate_id,
        event.tenant_id,
        orjson.dumps(event.data.model_dump(mode="json")).decode(),
    )


class PostgresConversationStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def call_request(self, request_id: uuid.UUID) -> dict[str, Any] | None:
        data = await self._pool.fetchval(
            "select data from call_requests where request_id = $1", request_id
        )
        if data is None:
            return None
        parsed = orjson.loads(data) if isinstance(data, str | bytes) else data
        return parsed if isinstance(parsed, dict) else None

    async def append(self, events: Sequence[Envelope]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await event_store.append(conn, events)

    async def completed(self, record: ConversationRecord, events: Sequence[Envelope]) -> None:
        """The conversation's row and its last events (call_completed), atomically."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "insert into conversations (conversation_id, stream_sid, call_sid, request_id,"
                " tenant_id, direction, attempt, outcome, started_at, ended_at,"
                " duration_seconds, interruptions, latency_p50_ms, latency_p95_ms,"
                " latencies_ms, transcript)"
                " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                " $15::jsonb, $16::jsonb) on conflict (conversation_id) do nothing",
                record.conversation_id,
                record.stream_sid,
                record.call_sid,
                record.request_id,
                record.tenant_id,
                record.direction,
                record.attempt,
                record.outcome,
                record.started_at,
                record.ended_at,
                record.duration_seconds,
                record.interruptions,
                record.latency_p50_ms,
                record.latency_p95_ms,
                orjson.dumps(record.latencies_ms).decode(),
                orjson.dumps([line.as_json() for line in record.transcript]).decode(),
            )
            await event_store.append(conn, events)
