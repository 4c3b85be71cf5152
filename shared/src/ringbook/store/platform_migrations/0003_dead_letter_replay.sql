-- A dead letter names the event it holds (id, aggregate, version), so an in-order
-- consumer can tell a version that will never come from one still on its way, and an
-- operator can replay it once the cause is fixed. status: 'dead' (given up),
-- 'replay' (an operator asked for it; the consumer's running worker picks it up),
-- 'replayed' (applied by the consumer's handler, with its inbox).
alter table dead_letters
    add column event_id            uuid,
    add column aggregate           text,
    add column aggregate_id        uuid,
    add column version             integer,
    add column deliveries          integer,
    add column status              text not null default 'dead'
        check (status in ('dead', 'replay', 'replayed')),
    add column replays             integer not null default 0,
    add column replay_requested_at timestamptz,
    add column replayed_at         timestamptz;
create index dead_letters_by_aggregate on dead_letters (consumer, aggregate_id, version);
create index dead_letters_to_replay on dead_letters (consumer, id) where status = 'replay';

-- Letters written before this migration: read what they hold from their payload, so a
-- gap they left is recognised too. A payload that is not an envelope never had one.
do $$
declare
    letter record;
    body   jsonb;
begin
    for letter in select id, payload from dead_letters loop
        begin
            body := convert_from(letter.payload, 'UTF8')::jsonb;
            update dead_letters
               set event_id     = (body ->> 'id')::uuid,
                   aggregate    = body ->> 'aggregate',
                   aggregate_id = (body ->> 'aggregate_id')::uuid,
                   version      = (body ->> 'version')::integer
             where id = letter.id;
        exception when others then
            null;
        end;
    end loop;
end $$;

-- Failures caused by an event's content, counted per message. JetStream's own delivery
-- count also grows while Postgres or NATS is down, so it cannot decide a dead letter;
-- this count, written only when the handler failed on a healthy database, does.
create table delivery_failures (
    consumer        text        not null,
    stream          text        not null,
    stream_seq      bigint      not null,
    failures        integer     not null,
    last_error      text        not null,
    first_failed_at timestamptz not null default now(),
    last_failed_at  timestamptz not null default now(),
    primary key (consumer, stream, stream_seq)
);

-- Versions an in-order consumer went past because they were dead-lettered: each may
-- still be applied once, late, when its dead letter is replayed.
create table skipped_versions (
    consumer     text        not null,
    aggregate_id uuid        not null,
    version      integer     not null,
    skipped_at   timestamptz not null default now(),
    primary key (consumer, aggregate_id, version)
);
