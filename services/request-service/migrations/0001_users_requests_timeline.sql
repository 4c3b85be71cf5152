-- request-service: users (seed 002 auth), the requests read model and its timeline
-- (seed 000). Tables are unqualified: search_path is the service's schema.

create table users (
    id            uuid        primary key,
    -- A person is their own tenant for now; the tenant id travels in every token and
    -- every event, so giving users a shared tenant later changes no other service.
    tenant_id     uuid        not null unique,
    email         text        not null,
    name          text        not null,
    password_hash text        not null,
    created_at    timestamptz not null,
    updated_at    timestamptz not null
);
-- Addresses are unique regardless of case: Max@Example.com and max@example.com are one
-- mailbox in practice, and two accounts for it would be a takeover waiting to happen.
create unique index users_email_key on users (lower(email));

create table requests (
    id              uuid        primary key,
    tenant_id       uuid        not null,
    user_id         uuid        not null,
    title           text        not null,
    description     text        not null,
    callback_number text        not null,  -- E.164
    number_to_call  text        not null,  -- E.164
    preferred_time  text        not null,
    user_profile    jsonb       not null,
    status          text        not null check (status in (
        'queued', 'outside_business_hours', 'calling', 'in_progress',
        'waiting_for_callback', 'booked', 'failed', 'canceled')),
    summary         text,
    -- sha256 of the normalized body: the same request_id with the same body is a retry
    -- (answered 202 again), with a different body a conflict (409).
    body_hash       text        not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);
-- The list endpoint: one user's requests, newest first.
create index requests_by_owner on requests (tenant_id, user_id, created_at desc, id desc);

create table request_timeline (
    -- The SSE event id. Every insert for a request first locks its `requests` row, so
    -- per request, seq values are allocated in commit order and a client resuming after
    -- seq N can never miss a row committed later with a smaller seq.
    seq         bigserial   primary key,
    request_id  uuid        not null references requests (id),
    -- One row per event, even if the inbox were bypassed (replay, manual fix-up).
    event_id    uuid        not null unique,
    type        text        not null,
    message     text        not null,
    status      text        not null,  -- the request's status after this entry
    occurred_at timestamptz not null,
    recorded_at timestamptz not null default now()
);
create index request_timeline_by_request on request_timeline (request_id, seq);

-- Live timeline: wake this service's SSE listener when a row commits (NOTIFY is
-- delivered at commit, and coalesced per request within one transaction). The channel
-- carries the schema so test schemas in one database never hear each other.
create function notify_request_timeline() returns trigger language plpgsql as $$
begin
    perform pg_notify('request_timeline_' || tg_table_schema, new.request_id::text);
    return null;
end $$;
create trigger request_timeline_notify after insert on request_timeline
    for each row execute function notify_request_timeline();
