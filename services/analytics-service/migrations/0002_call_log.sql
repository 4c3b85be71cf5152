-- The call log (seed 002): one row per call, ours (CALLS: call_job, conversation,
-- inbound_call) and those logged by other agents (ANALYTICS: call_logged), merged by the
-- projection whatever order their events arrive in. Rebuilt by replaying both streams.

create table calls (
    -- call_log_id(call_sid) for our own calls, the logged_call aggregate id otherwise.
    id                      uuid        primary key,
    tenant_id               uuid        not null,
    client_id               uuid,
    -- Null only while the row holds nothing but an analysis that overtook its call's
    -- events (ANALYTICS and CALLS are consumed independently); reads skip such rows.
    direction               text        check (direction in ('inbound', 'outbound', 'logged')),
    call_sid                text,
    caller_phone            text,
    caller_name             text,
    duration_seconds        double precision check (duration_seconds >= 0),
    stt_latency_ms          double precision,
    llm_latency_ms          double precision,
    tts_latency_ms          double precision,
    response_latency_p50_ms double precision,
    response_latency_p95_ms double precision,
    -- "Agent: ...\nCaller: ..." lines as seed 002 shows a transcript, and for our own
    -- calls the structured lines (speaker, text, at_ms, interrupted) they came from.
    transcript              text,
    transcript_lines        jsonb       not null default '[]'::jsonb,
    outcome                 text,
    success                 boolean,
    sentiment               text        check (sentiment in ('POSITIVE', 'NEGATIVE', 'NEUTRAL')),
    summary                 text,
    extraction              jsonb,
    analysis_model          text,
    recording_url           text,
    notes                   text,
    -- The realtime model's tokens over the call (media-bridge's call_completed.usage).
    input_text_tokens       bigint,
    input_audio_tokens      bigint,
    cached_input_tokens     bigint,
    output_text_tokens      bigint,
    output_audio_tokens     bigint,
    model                   text,
    -- The earliest event of the call (its start): least() of every event applied.
    created_at              timestamptz not null,
    analyzed_at             timestamptz
);

-- Every read is one tenant's calls, newest first, maybe of one client.
create index calls_tenant_created on calls (tenant_id, created_at desc);
create index calls_tenant_client on calls (tenant_id, client_id, created_at desc);

-- The catalog's clients (CATALOG client events): a logged call must name one of its
-- tenant's clients, and client stats answer with the client's name.
create table clients (
    id           uuid        primary key,
    tenant_id    uuid        not null,
    name         text        not null,
    phone_number text        not null,
    deleted      boolean     not null default false
);

create index clients_tenant_phone on clients (tenant_id, phone_number);
