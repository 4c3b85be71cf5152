"""Dead letters: events a consumer gave up on, kept with enough to replay them by hand."""

from __future__ import annotations

import asyncpg


async def record(
    pool: asyncpg.Pool,
    *,
    consumer: str,
    stream: str,
    stream_seq: int,
    subject: str,
    payload: bytes,
    reason: str,
) -> None:
    await pool.execute(
        "insert into dead_letters (consumer, stream, stream_seq, subject, payload, reason)"
        " values ($1, $2, $3, $4, $5, $6) on conflict (consumer, stream, stream_seq)"
        " do update set reason = excluded.reason, failed_at = now()",
        consumer,
        stream,
        stream_seq,
        subject,
        payload,
        reason[:4000],
    )
