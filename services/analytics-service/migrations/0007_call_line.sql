-- An inbound call's line (the business's number it came in on, from call_started): the
-- client it belongs to is the tenant's client with that number. Matched both ways, so
-- the order of the CALLS and CATALOG consumers does not matter: a call's events look
-- the client up, and a client's event claims the calls of its line that have none.

alter table calls add column line text;

create index calls_tenant_line on calls (tenant_id, line) where line is not null;

create or replace view call_log as
select id, tenant_id, client_id, direction, call_sid, caller_phone, caller_name,
       duration_seconds, stt_latency_ms, llm_latency_ms, tts_latency_ms,
       response_latency_p50_ms, response_latency_p95_ms, transcript, outcome, success,
       sentiment, summary, extraction, recording_url, notes, input_text_tokens,
       input_audio_tokens, cached_input_tokens, output_text_tokens, output_audio_tokens,
       model, created_at, analyzed_at, billed_minutes, carrier_cost, model_cost,
       total_cost, cost_currency, line
from calls
where direction is not null;
