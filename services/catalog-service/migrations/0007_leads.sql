-- Sales leads (seed 003): the read model of the lead aggregate, and its analysis jobs.
--
-- `leads` is rewritten from each snapshot event (lead_created / _updated / _analyzed) in
-- the transaction that appends it. A person is one lead per tenant: the partial unique
-- indexes on e-mail and on phone make a second row for the same person impossible even
-- for two imports racing each other (the loser's transaction fails and is retried).
create table leads (
    id                      uuid        primary key,
    tenant_id               uuid        not null,
    version                 integer     not null check (version >= 1),
    name                    text        not null,
    email                   text,
    phone                   text,
    status                  text,
    channel                 text,
    notes                   text,
    last_contact            date,
    disg_type               text        check (disg_type in ('D', 'I', 'S', 'G')),
    language                text,
    extra                   jsonb       not null default '{}',
    needs_action            boolean     not null,
    next_action_at          date,
    next_action_description text,
    import_batch_id         uuid,
    -- pending: waiting for the model's verdict on `version`; analyzed: `analyzed_version`
    -- is the verdict's; failed: the model gave none after every attempt.
    analysis_state          text        not null default 'pending'
                            check (analysis_state in ('pending', 'analyzed', 'failed')),
    analysis_reason         text,
    analysis_model          text,
    analyzed_at             timestamptz,
    created_at              timestamptz not null,
    updated_at              timestamptz not null,
    check (email is not null or phone is not null)
);
create unique index leads_tenant_email on leads (tenant_id, email) where email is not null;
create unique index leads_tenant_phone on leads (tenant_id, phone) where phone is not null;
create index leads_tenant_created on leads (tenant_id, created_at desc, id desc);
create index leads_tenant_needs_action on leads (tenant_id, updated_at desc)
    where needs_action;

-- One job per lead, for the version to analyse (a newer change replaces it). A lane
-- leases a job (leased_until) instead of holding a row lock across the model's answer,
-- so an edit of the lead never waits for the model; a lease that runs out (the replica
-- died) makes the job due again.
create table lead_analysis_jobs (
    lead_id      uuid        primary key references leads (id) on delete cascade,
    tenant_id    uuid        not null,
    of_version   integer     not null,
    due_at       timestamptz not null,
    leased_until timestamptz,
    attempts     integer     not null default 0,
    state        text        not null default 'pending' check (state in ('pending', 'failed')),
    last_error   text
);
create index lead_analysis_jobs_due on lead_analysis_jobs (due_at) where state = 'pending';
