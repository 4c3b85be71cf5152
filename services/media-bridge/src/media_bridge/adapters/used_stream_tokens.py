"""``used_stream_tokens`` (migration 0003): the stream tokens already admitted."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from ringbook.stream_tokens import MAX_CLOCK_SKEW, StreamGrant

# A token is refused by its expiry alone once this long past it, even by a replica whose
# clock runs behind (by up to the skew tokens tolerate): only then may its row go.
PRUNE_AFTER_EXPIRY = timedelta(hours=1) + MAX_CLOCK_SKEW


class PostgresUsedStreamTokens:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def first_use(self, grant: StreamGrant, at: datetime) -> bool:
        # One statement, one round trip: the insert that claims the token (the primary
        # key decides between racing streams) and the pruning of long-dead rows.
        claimed = await self._pool.fetchval(
            "with pruned as (delete from used_stream_tokens where expires_at < $5)"
            " insert into used_stream_tokens (token_id, call_sid, expires_at, used_at)"
            " values ($1, $2, $3, $4) on conflict (token_id) do nothing returning true",
            grant.token_id,
            grant.call_sid,
            grant.expires_at,
            at,
            at - PRUNE_AFTER_EXPIRY,
        )
        return bool(claimed)
