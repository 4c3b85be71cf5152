"""SQL writes of the call log projection, on the pull worker's connection.

``merge_call`` is the one upsert every call event goes through; its ``on conflict``
rules are what make the row independent of the order its events arrive in:

* identity (direction, call sid, caller): the first value known stays;
* client: a later known value fills it in; an inbound call's comes from its line
  (``_CLIENT_OF_LINE``, and ``_CALLS_OF_CLIENT`` when the client's event comes later);
* duration: the largest reported (carrier and conversation may differ by a second);
* outcome: the conversation's beats the carrier's guess, whichever came first;
* latencies, transcript, usage, recording, notes: whoever reports them (one writer each);
* success and sentiment of a logged call: only until an analysis has set them;
* created_at: the earliest event of the call.

Each write is guarded by ``calls.tenant_id = excluded.tenant_id``: a conflicting row of
another tenant is left alone and the write answers False.
"""

from __future__ import annotations

import uuid

import orjson
from ringbook.contracts.call_log import CallAnalyzed
from ringbook.contracts.calls import ModelUsage
from ringbook.contracts.catalog import AssistantState, ClientState, PhoneNumberState
from ringbook.events import Envelope
from ringbook.store import sequencing
from ringbook.store.database import Conn

from analytics_service.domain.call_cost import CostInputs, PricedCall
from analytics_service.domain.call_record import CallPatch

_MERGE = """
insert into calls as c (
    id, tenant_id, created_at, direction, client_id, call_sid, caller_phone, caller_name,
    duration_seconds, stt_latency_ms, llm_latency_ms, tts_latency_ms,
    response_latency_p50_ms, response_latency_p95_ms, transcript, transcript_lines,
    outcome, success, sentiment, recording_url, notes, input_text_tokens,
    input_audio_tokens, cached_input_tokens, output_text_tokens, output_audio_tokens, model,
    line)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb,
        $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $29)
on conflict (id) do update set
    created_at = least(c.created_at, excluded.created_at),
    direction = coalesce(c.direction, excluded.direction),
    client_id = coalesce(excluded.client_id, c.client_id),
    call_sid = coalesce(c.call_sid, excluded.call_sid),
    caller_phone = coalesce(c.caller_phone, excluded.caller_phone),
    caller_name = coalesce(c.caller_name, excluded.caller_name),
    duration_seconds = greatest(c.duration_seconds, excluded.duration_seconds),
    stt_latency_ms = coalesce(excluded.stt_latency_ms, c.stt_latency_ms),
    llm_latency_ms = coalesce(excluded.llm_latency_ms, c.llm_latency_ms),
    tts_latency_ms = coalesce(excluded.tts_latency_ms, c.tts_latency_ms),
    response_latency_p50_ms = coalesce(excluded.response_latency_p50_ms,
                                       c.response_latency_p50_ms),
    response_latency_p95_ms = coalesce(excluded.response_latency_p95_ms,
                                       c.response_latency_p95_ms),
    transcript = coalesce(excluded.transcript, c.transcript),
    transcript_lines = case when jsonb_array_length(excluded.transcript_lines) > 0
                            then excluded.transcript_lines else c.transcript_lines end,
    outcome = case when $28 then coalesce(excluded.outcome, c.outcome)
                   else coalesce(c.outcome, excluded.outcome) end,
    success = case when c.analyzed_at is not null then c.success
                   else coalesce(excluded.success, c.success) end,
    sentiment = case when c.analyzed_at is not null then c.sentiment
                     else coalesce(excluded.sentiment, c.sentiment) end,
    recording_url = coalesce(excluded.recording_url, c.recording_url),
    notes = coalesce(excluded.notes, c.notes),
    input_text_tokens = coalesce(excluded.input_text_tokens, c.input_text_tokens),
    input_audio_tokens = coalesce(excluded.input_audio_tokens, c.input_audio_tokens),
    cached_input_tokens = coalesce(excluded.cached_input_tokens, c.cached_input_tokens),
    output_text_tokens = coalesce(excluded.output_text_tokens, c.output_text_tokens),
    output_audio_tokens = coalesce(excluded.output_audio_tokens, c.output_audio_tokens),
    model = coalesce(excluded.model, c.model),
    line = coalesce(c.line, excluded.line)
where c.tenant_id = excluded.tenant_id
returning true
"""

# An analysis that overtakes its call's events creates a row without a direction, which
# reads skip until the call's own events merge into it.
_ANALYSIS = """
insert into calls as c (id, tenant_id, created_at, success, sentiment, summary, extraction,
                        analysis_model, analyzed_at)
values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $3)
on conflict (id) do update set
    success = excluded.success, sentiment = excluded.sentiment, summary = excluded.summary,
    extraction = excluded.extraction, analysis_model = excluded.analysis_model,
    analyzed_at = excluded.analyzed_at
where c.tenant_id = excluded.tenant_id
returning true
"""

_PUT_CLIENT = """
insert into clients as c (id, tenant_id, name, phone_number) values ($1, $2, $3, $4)
on conflict (id) do update set name = excluded.name, phone_number = excluded.phone_number,
    deleted = false
where c.tenant_id = excluded.tenant_id
returning true
"""

_DELETE_CLIENT = """
insert into clients as c (id, tenant_id, name, phone_number, deleted)
values ($1, $2, '', $3, true)
on conflict (id) do update set deleted = true
where c.tenant_id = excluded.tenant_id
returning true
"""


_TOKEN_COLUMNS = ("input_text_tokens", "input_audio_tokens", "cached_input_tokens",
                  "output_text_tokens", "output_audio_tokens")
_COST_INPUTS = f"""
select direction, duration_seconds, model, {", ".join(_TOKEN_COLUMNS)} from calls where id = $1
"""
_SET_COST = """
update calls set billed_minutes = $2, carrier_cost = $3, model_cost = $4, total_cost = $5,
                 cost_currency = $6
where id = $1
"""


# An inbound call belongs to the tenant's client on its line. The call's own events look
# the client up; a client's event claims its line's calls that have none yet. A call
# keeps the client it was first given (a number moved later does not move old calls).
_CLIENT_OF_LINE = """
update calls c set client_id = k.id
from clients k
where c.id = $1 and c.client_id is null and c.line is not null
  and k.tenant_id = c.tenant_id and k.phone_number = c.line and not k.deleted
"""
_CALLS_OF_CLIENT = """
update calls set client_id = $1
where tenant_id = $2 and line = $3 and client_id is null
"""
# Likewise the assistant that answers the line (0008).
_ASSISTANT_OF_LINE = """
update calls c set assistant_id = n.assistant_id
from phone_numbers n
where c.id = $1 and c.assistant_id is null and c.line is not null
  and n.tenant_id = c.tenant_id and n.phone_number = c.line and not n.released
  and n.assistant_id is not null
"""
_CALLS_OF_NUMBER = """
update calls set assistant_id = $1
where tenant_id = $2 and line = $3 and assistant_id is null
"""
_PUT_NUMBER = """
insert into phone_numbers as n (id, tenant_id, phone_number, assistant_id)
values ($1, $2, $3, $4)
on conflict (id) do update set phone_number = excluded.phone_number,
    assistant_id = excluded.assistant_id, released = false
where n.tenant_id = excluded.tenant_id
returning true
"""
_RELEASE_NUMBER = """
insert into phone_numbers as n (id, tenant_id, phone_number, released)
values ($1, $2, $3, true)
on conflict (id) do update set released = true
where n.tenant_id = excluded.tenant_id
returning true
"""
_PUT_ASSISTANT = """
insert into assistants as a (id, tenant_id, name, analysis_fields)
values ($1, $2, $3, $4::jsonb)
on conflict (id) do update set name = excluded.name,
    analysis_fields = excluded.analysis_fields, deleted = false
where a.tenant_id = excluded.tenant_id
returning true
"""
_DELETE_ASSISTANT = """
insert into assistants as a (id, tenant_id, name, deleted) values ($1, $2, '', true)
on conflict (id) do update set deleted = true
where a.tenant_id = excluded.tenant_id
returning true
"""


class PgCallLogTransaction:
    """``application.ports.CallLogTransaction`` on the pull worker's connection."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def merge_call(self, p: CallPatch) -> bool:
        merged = await self._merge(p)
        if merged and p.line is not None:
            await self._conn.execute(_CLIENT_OF_LINE, p.id)
            await self._conn.execute(_ASSISTANT_OF_LINE, p.id)
        return merged

    async def _merge(self, p: CallPatch) -> bool:
        usage = p.usage or {}
        return bool(await self._conn.fetchval(
            _MERGE, p.id, p.tenant_id, p.created_at, p.direction, p.client_id, p.call_sid,
            p.caller_phone, p.caller_name, p.duration_seconds, p.stt_latency_ms,
            p.llm_latency_ms, p.tts_latency_ms, p.response_latency_p50_ms,
            p.response_latency_p95_ms, p.transcript,
            orjson.dumps(p.transcript_lines).decode(), p.outcome, p.success, p.sentiment,
            p.recording_url, p.notes, usage.get("input_text_tokens"),
            usage.get("input_audio_tokens"), usage.get("cached_input_tokens"),
            usage.get("output_text_tokens"), usage.get("output_audio_tokens"),
            usage.get("model"), p.outcome_authoritative, p.line,
        ))

    async def record_analysis(self, event: Envelope, analysis: CallAnalyzed) -> bool:
        return bool(await self._conn.fetchval(
            _ANALYSIS, analysis.call_id, event.tenant_id, event.occurred_at, analysis.success,
            analysis.sentiment, analysis.summary, orjson.dumps(analysis.extraction).decode(),
            analysis.model,
        ))

    async def cost_inputs(self, call_id: uuid.UUID) -> CostInputs:
        row = await self._conn.fetchrow(_COST_INPUTS, call_id)
        if row is None:
            return CostInputs(direction=None, duration_seconds=None, usage=None)
        usage = None
        if row["model"] is not None:
            usage = ModelUsage(model=row["model"], **{
                name: row[name] or 0 for name in _TOKEN_COLUMNS})
        return CostInputs(row["direction"], row["duration_seconds"], usage)

    async def set_cost(self, call_id: uuid.UUID, priced: PricedCall | None) -> None:
        if priced is None:
            await self._conn.execute(_SET_COST, call_id, None, None, None, None, None)
            return
        cost = priced.cost
        await self._conn.execute(_SET_COST, call_id, priced.billed_minutes, cost.carrier,
                                 cost.model, cost.total, cost.currency)

    async def put_client(self, event: Envelope, state: ClientState) -> bool:
        written = bool(await self._conn.fetchval(
            _PUT_CLIENT, event.aggregate_id, event.tenant_id, state.name, state.phone_number))
        if written:
            await self._conn.execute(_CALLS_OF_CLIENT, event.aggregate_id, event.tenant_id,
                                     state.phone_number)
        return written

    async def put_number(self, event: Envelope, state: PhoneNumberState) -> bool:
        written = bool(await self._conn.fetchval(
            _PUT_NUMBER, event.aggregate_id, event.tenant_id, state.phone_number,
            state.assistant_id))
        if written and state.assistant_id is not None:
            await self._conn.execute(_CALLS_OF_NUMBER, state.assistant_id, event.tenant_id,
                                     state.phone_number)
        return written

    async def release_number(self, event: Envelope) -> bool:
        phone = getattr(event.data, "phone_number", "")
        return bool(await self._conn.fetchval(
            _RELEASE_NUMBER, event.aggregate_id, event.tenant_id, phone))

    async def put_assistant(self, event: Envelope, state: AssistantState) -> bool:
        fields = orjson.dumps([f.model_dump() for f in state.analysis_fields]).decode()
        return bool(await self._conn.fetchval(
            _PUT_ASSISTANT, event.aggregate_id, event.tenant_id, state.name, fields))

    async def delete_assistant(self, event: Envelope) -> bool:
        return bool(await self._conn.fetchval(
            _DELETE_ASSISTANT, event.aggregate_id, event.tenant_id))

    async def delete_client(self, event: Envelope) -> bool:
        phone = getattr(event.data, "phone_number", "")
        return bool(await self._conn.fetchval(
            _DELETE_CLIENT, event.aggregate_id, event.tenant_id, phone))

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        return await sequencing.in_order(self._conn, consumer, event)
