"""Postgres for conversations: the request projection, the conversation events (through
ringbook's event store and outbox) and the finished conversation's row.

A batch of events is written in one transaction, and only if none of its events is
stored yet: when a commit's answer is lost (the connection died after COMMIT), the
conversation writes the same batch again, and finding it stored is success, not a
second copy or a version conflict."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import orjson
from ringbook.contracts.requests import RequestReceived
from ringbook.events import Envelope
from ringbook.store import event_store
from ringbook.store.database import Conn
from ringbook.store.event_store import ConcurrencyConflict

from media_bridge.adapters.pg_errors import (
    ACQUIRE_TIMEOUT_SECONDS,
    store_unavailable_on_connection_errors,
)
from media_bridge.application.ports import VersionConflict
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
        with store_unavailable_on_connection_errors():
            data = await self._pool.fetchval(
                "select data from call_requests where request_id = $1", request_id
            )
        if data is None:
            return None
        parsed = orjson.loads(data) if isinstance(data, str | bytes) else data
        return parsed if isinstance(parsed, dict) else None

    async def append(self, events: Sequence[Envelope]) -> None:
        with store_unavailable_on_connection_errors():
            try:
                async with self._transaction() as conn:
                    await _append_unless_stored(conn, events)
            except (ConcurrencyConflict, asyncpg.UniqueViolationError) as exc:
                await self._stored_meanwhile(events, exc)

    async def stored_version(self, aggregate_id: uuid.UUID) -> int:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                return await event_store.current_version(conn, aggregate_id)

    async def completed(self, record: ConversationRecord, events: Sequence[Envelope]) -> None:
        """The conversation's row and its last events (call_completed), atomically;
        written again, neither is stored twice."""
        with store_unavailable_on_connection_errors():
            try:
                async with self._transaction() as conn:
                    await _insert_record(conn, record)
                    await _append_unless_stored(conn, events)
            except (ConcurrencyConflict, asyncpg.UniqueViolationError) as exc:
                await self._stored_meanwhile(events, exc)

    async def _stored_meanwhile(self, events: Sequence[Envelope], exc: Exception) -> None:
        """After a unique violation: success if the batch is stored now, else the
        conflict. A unique index makes an insert wait for the transaction that holds
        the same key to end, so an earlier attempt of this batch (its COMMIT sent, its
        answer lost) has finished by now: if it committed, its events are visible."""
        stored = await self._pool.fetchval(
            "select count(*) from events where id = any($1::uuid[])", [e.id for e in events]
        )
        if events and stored == len(events):
            return
        if isinstance(exc, ConcurrencyConflict):
            raise VersionConflict(str(exc)) from exc
        raise exc

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn, conn.transaction():
            yield conn


async def _append_unless_stored(conn: Conn, events: Sequence[Envelope]) -> None:
    if not events:
        return
    ids = [event.id for event in events]
    stored = await conn.fetchval("select count(*) from events where id = any($1::uuid[])", ids)
    if stored == len(ids):
        return  # an earlier attempt of this very batch committed
    if stored:
        # Batches commit whole; part of one stored means two batches shared events.
        raise RuntimeError(f"{stored} of {len(ids)} events of a batch are already stored")
    await event_store.append(conn, events)


async def _insert_record(conn: Conn, record: ConversationRecord) -> None:
    await conn.execute(
        "insert into conversations (conversation_id, stream_sid, call_sid, request_id,"
        " tenant_id, direction, attempt, outcome, started_at, ended_at,"
        " duration_seconds, interruptions, latency_p50_ms, latency_p95_ms,"
        " latencies_ms, transcript, usage)"
        " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
        " $15::jsonb, $16::jsonb, $17::jsonb) on conflict (conversation_id) do nothing",
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
        None if record.usage is None else record.usage.model_dump_json(),
    )
