-- Which assistant answered an inbound call, and what it asks post-call analysis to
-- extract. From CATALOG: the tenant's numbers (who answers each) and its assistants
-- (their extraction fields). A call's assistant is its line's, matched both ways like
-- its client (0007): the call's events look it up, a number's event claims its calls.

create table phone_numbers (
    id           uuid    primary key,
    tenant_id    uuid    not null,
    phone_number text    not null,
    assistant_id uuid,
    released     boolean not null default false
);

create index phone_numbers_tenant_number on phone_numbers (tenant_id, phone_number);

create table assistants (
    id              uuid    primary key,
    tenant_id       uuid    not null,
    name            text    not null,
    -- [{"name", "type", "description"}]: the assistant's own extraction fields.
    analysis_fields jsonb   not null default '[]'::jsonb,
    deleted         boolean not null default false
);

alter table calls add column assistant_id uuid;

create or replace view call_log as
select id, tenant_id, client_id, direction, call_sid, caller_phone, caller_name,
       duration_seconds, stt_latency_ms, llm_latency_ms, tts_latency_ms,
       response_latency_p50_ms, response_latency_p95_ms, transcript, outcome, success,
       sentiment, summary, extraction, recording_url, notes, input_text_tokens,
       input_audio_tokens, cached_input_tokens, output_text_tokens, output_audio_tokens,
       model, created_at, analyzed_at, billed_minutes, carrier_cost, model_cost,
       total_cost, cost_currency, line, assistant_id
from calls
where direction is not null;
