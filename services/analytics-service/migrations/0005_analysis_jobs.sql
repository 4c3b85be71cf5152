-- Post-call analysis jobs: one per call of the log, worked by a background loop.
--
-- The key is the call's log id, so the consumers that record jobs (CALLS call_completed,
-- ANALYTICS call_logged) are idempotent beyond their inbox: a replay from sequence 1,
-- or the same call reported twice, finds the job and records nothing.
create table analysis_jobs (
    call_id uuid primary key,
    tenant_id uuid not null,
    -- The event that finished the call: the analysis' causation and correlation.
    source_event_id uuid not null,
    correlation_id uuid not null,
    transcript text not null,
    hints jsonb not null default '[]'::jsonb,
    -- The assistant's extraction fields: [{"name", "type", "description"}].
    fields jsonb not null default '[]'::jsonb,
    -- pending: due at due_at; done: call_analyzed appended; failed: attempts exhausted.
    status text not null default 'pending'
        check (status in ('pending', 'done', 'failed')),
    attempts integer not null default 0 check (attempts >= 0),
    due_at timestamptz not null,
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- The worker's claim: the oldest due pending job (for update skip locked). Partial, so
-- done and failed jobs (the vast majority, over time) cost the claim nothing.
create index analysis_jobs_due on analysis_jobs (due_at) where status = 'pending';
-- What an owner or operator looks at: a tenant's failed analyses.
create index analysis_jobs_tenant_status on analysis_jobs (tenant_id, status);
