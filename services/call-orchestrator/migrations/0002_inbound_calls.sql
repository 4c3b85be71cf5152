-- One row per inbound call (Twilio's "A call comes in" webhook): Twilio retries that
-- webhook, so the CallSid is the idempotency key. The first delivery claims the sid and
-- creates the session's call job (request_id = session_id), its attempt and events in
-- the same transaction; a retry finds the row and answers the same session.
-- Which aggregate a job's events belong to: call_job (a request's outbound calls) or
-- inbound_call (a call someone made to a business; no request behind it).
alter table call_jobs add column aggregate text not null default 'call_job'
    check (aggregate in ('call_job', 'inbound_call'));

create table inbound_calls (
    call_sid    text        primary key,
    -- Deferred: the claim is inserted first (so a retry never creates a second job),
    -- the call job it names later in the same transaction.
    session_id  uuid        not null unique
                            references call_jobs (request_id) deferrable initially deferred,
    tenant_id   uuid        not null,
    from_number text        not null,
    to_number   text        not null,
    assistant   text        not null,
    created_at  timestamptz not null
);
