-- Views for analysts (and for the API, which reads them too, so the two never disagree),
-- and the read-only role that may select them and nothing else. Every view exposes
-- tenant_id: an analyst filters by it; the role sees every tenant's rows.

-- Calls of the log (rows holding only an early analysis are not calls yet).
create view call_log as
select id, tenant_id, client_id, direction, call_sid, caller_phone, caller_name,
       duration_seconds, stt_latency_ms, llm_latency_ms, tts_latency_ms,
       response_latency_p50_ms, response_latency_p95_ms, transcript, outcome, success,
       sentiment, summary, extraction, recording_url, notes, input_text_tokens,
       input_audio_tokens, cached_input_tokens, output_text_tokens, output_audio_tokens,
       model, created_at, analyzed_at
from calls
where direction is not null;

-- Calls per tenant and UTC day of their start.
create view calls_per_day as
select tenant_id, (created_at at time zone 'UTC')::date as day, count(*)::bigint as calls
from call_log
group by tenant_id, day;

-- Calls per tenant and sentiment (calls without one are not counted).
create view sentiment as
select tenant_id, sentiment, count(*)::bigint as calls
from call_log
where sentiment is not null
group by tenant_id, sentiment;

-- Per client: its calls' count, duration, success rate (percent of the calls whose
-- success is known) and the mean of each latency over the calls that reported it.
create view client_stats as
select c.tenant_id, c.id as client_id, c.name as client_name,
       count(l.id)::bigint as total_calls,
       coalesce(sum(l.duration_seconds), 0)::double precision as total_duration,
       coalesce(100.0 * count(*) filter (where l.success)
                / nullif(count(l.success), 0), 0)::double precision as success_rate,
       avg(l.stt_latency_ms)::double precision as avg_stt_latency_ms,
       avg(l.llm_latency_ms)::double precision as avg_llm_latency_ms,
       avg(l.tts_latency_ms)::double precision as avg_tts_latency_ms
from clients c
left join call_log l on l.client_id = c.id and l.tenant_id = c.tenant_id
group by c.tenant_id, c.id, c.name;

-- The role is cluster-wide while this runs once per schema (every service replica and
-- every test schema): create it only when missing, and tolerate a concurrent creator.
-- NOLOGIN: an operator grants it to a login role (or sets a password) deliberately.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'ringbook_analyst') then
        begin
            create role ringbook_analyst nologin;
        exception when duplicate_object or unique_violation then
            null;
        end;
    end if;
end
$$;

-- Usage of this schema and select on the views only: a view reads its tables with its
-- owner's rights, so the role sees the views' columns and never a table.
do $$
begin
    execute format('grant usage on schema %I to ringbook_analyst', current_schema());
end
$$;
grant select on call_log, calls_per_day, sentiment, client_stats, requests_per_day
    to ringbook_analyst;
