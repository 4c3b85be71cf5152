-- What each of our own calls cost (domain.call_cost): written by the call log projection
-- when a call's duration or model usage arrives, at the prices in force then (so a
-- rebuild prices every call again at the current ones). A call another agent logged
-- (POST /api/calls) ran on its own carrier and model: no cost of ours, null here.

alter table calls
    add column billed_minutes integer check (billed_minutes >= 0),
    add column carrier_cost   numeric(18, 6) check (carrier_cost >= 0),
    add column model_cost     numeric(18, 6) check (model_cost >= 0),
    add column total_cost     numeric(18, 6) check (total_cost >= 0),
    add column cost_currency  text check (cost_currency ~ '^[A-Z]{3}$');

-- The same columns, added at the end of the analysts' view of calls (create or replace
-- may only add columns after the existing ones).
create or replace view call_log as
select id, tenant_id, client_id, direction, call_sid, caller_phone, caller_name,
       duration_seconds, stt_latency_ms, llm_latency_ms, tts_latency_ms,
       response_latency_p50_ms, response_latency_p95_ms, transcript, outcome, success,
       sentiment, summary, extraction, recording_url, notes, input_text_tokens,
       input_audio_tokens, cached_input_tokens, output_text_tokens, output_audio_tokens,
       model, created_at, analyzed_at, billed_minutes, carrier_cost, model_cost,
       total_cost, cost_currency
from calls
where direction is not null;

-- Cost per tenant, client (null: calls no client answered) and UTC day of the call's
-- start, per currency (a change of PRICE_CURRENCY starts new rows, never mixes sums).
create view cost as
select tenant_id, client_id, (created_at at time zone 'UTC')::date as day,
       cost_currency as currency, count(*)::bigint as calls,
       sum(billed_minutes)::bigint as billed_minutes, sum(carrier_cost) as carrier_cost,
       sum(model_cost) as model_cost, sum(total_cost) as total_cost
from call_log
where total_cost is not null
group by tenant_id, client_id, day, cost_currency;

grant select on cost to ringbook_analyst;
