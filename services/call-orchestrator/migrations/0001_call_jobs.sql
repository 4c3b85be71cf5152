-- One call job per request: the orchestrator's process state (a projection of its
-- call_job aggregate, written in the same transaction as the events).
create table call_jobs (
    request_id     uuid primary key,
    tenant_id      uuid        not null,
    number_to_call text        not null,
    timezone       text        not null,
    request        jsonb       not null,
    state          text        not null check (state in ('active', 'finished', 'canceled')),
    version        integer     not null default 0,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);

-- Durable timers: the promise "call at T" lives here, never only in memory. At most one
-- pending timer per request (the next attempt).
create table call_timers (
    request_id uuid primary key references call_jobs (request_id),
    attempt    integer     not null check (attempt >= 1),
    due_at     timestamptz not null
);
create index call_timers_due on call_timers (due_at);

create function notify_call_timer() returns trigger language plpgsql as $$
begin
    perform pg_notify('ringbook_timers_' || tg_table_schema, '');
    return null;
end $$;
create trigger call_timers_notify after insert or update on call_timers
    for each statement execute function notify_call_timer();

-- An attempt row is committed BEFORE the carrier is asked to dial: the unique
-- (request_id, attempt) makes a second dial of the same attempt impossible (G4), and
-- after a crash the row is reconciled (by callback or timeout), never redialed.
create table call_attempts (
    id         uuid primary key,
    request_id uuid        not null references call_jobs (request_id),
    attempt    integer     not null check (attempt >= 1),
    state      text        not null,
    call_sid   text unique,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    unique (request_id, attempt)
);
create index call_attempts_open on call_attempts (updated_at)
    where state in ('dialing', 'placed');
