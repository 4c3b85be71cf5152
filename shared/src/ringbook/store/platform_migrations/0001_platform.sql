-- Tables every service schema carries: its event store, its transactional outbox, its
-- consumers' inbox and dead letters. Applied to the service's schema (search_path).

create table events (
    id             uuid primary key,
    aggregate      text        not null,
    aggregate_id   uuid        not null,
    version        integer     not null check (version >= 1),
    type           text        not null,
    tenant_id      uuid        not null,
    occurred_at    timestamptz not null,
    correlation_id uuid        not null,
    causation_id   uuid,
    data           jsonb       not null,
    recorded_at    timestamptz not null default now(),
    -- Optimistic concurrency: of two writers appending the same version, one loses.
    unique (aggregate_id, version)
);

-- The event table is append-only: history is never rewritten.
create function forbid_event_mutation() returns trigger language plpgsql as $$
begin
    raise exception 'events are append-only (% refused)', tg_op;
end $$;
create trigger events_append_only before update or delete on events
    for each row execute function forbid_event_mutation();

create table outbox (
    seq          bigserial primary key,
    event_id     uuid        not null unique references events (id),
    subject      text        not null,
    payload      bytea       not null,
    created_at   timestamptz not null default now(),
    published_at timestamptz
);
create index outbox_unpublished on outbox (seq) where published_at is null;

-- Wake the relay on commit (NOTIFY is delivered only when the transaction commits).
create function notify_outbox() returns trigger language plpgsql as $$
begin
    perform pg_notify('ringbook_outbox_' || tg_table_schema, '');
    return null;
end $$;
create trigger outbox_notify after insert on outbox
    for each statement execute function notify_outbox();

create table inbox (
    consumer   text        not null,
    event_id   uuid        not null,
    handled_at timestamptz not null default now(),
    primary key (consumer, event_id)
);

create table dead_letters (
    id         bigserial primary key,
    consumer   text        not null,
    stream     text        not null,
    stream_seq bigint      not null,
    subject    text        not null,
    payload    bytea       not null,
    reason     text        not null,
    failed_at  timestamptz not null default now(),
    unique (consumer, stream, stream_seq)
);
