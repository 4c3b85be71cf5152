"""Inbound calls' sessions in Postgres (``inbound_calls``, migration 0002): one row per
CallSid, claimed by the first delivery of its webhook."""

from __future__ import annotations

from datetime import datetime

from ringbook.store.database import Conn

from call_orchestrator.domain.inbound_calls import InboundSession


class PgInboundCalls:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def claim(self, session: InboundSession, at: datetime) -> bool:
        # The unique CallSid makes a concurrent retry wait for this claim's outcome.
        claimed = await self._conn.fetchval(
            "insert into inbound_calls (call_sid, session_id, tenant_id, from_number,"
            " to_number, assistant, created_at) values ($1, $2, $3, $4, $5, $6, $7)"
            " on conflict (call_sid) do nothing returning true",
            session.call_sid, session.session_id, session.tenant_id, session.customer_phone,
            session.to_number, session.assistant, at,
        )
        return bool(claimed)

    async def session(self, call_sid: str) -> InboundSession | None:
        row = await self._conn.fetchrow(
            "select * from inbound_calls where call_sid = $1", call_sid)
        if row is None:
            return None
        return InboundSession(call_sid, row["session_id"], row["tenant_id"], row["from_number"],
                              row["to_number"], row["assistant"], created=False)
