-- Calls that must end: a live call of a canceled request, or of an attempt already given
-- up. A row is committed in the same transaction that learns the call must end (the
-- cancel, or whoever learns the sid), and the carrier is asked only after that commit,
-- by the hang-up loop, retried with backoff until it answers. So a carrier error (429,
-- 5xx, timeout) never rolls back the cancel, and a hang-up survives any restart: a row,
-- not an in-memory promise.
create table pending_hangups (
    call_sid   text        primary key,
    request_id uuid        not null,
    reason     text        not null,
    -- Hang-ups asked of the carrier so far; due_at is when to ask (again). A claim moves
    -- due_at past the backoff before the carrier is asked, so a crash mid-request only
    -- delays the retry.
    tries      integer     not null default 0,
    due_at     timestamptz not null,
    last_error text,
    created_at timestamptz not null
);
create index pending_hangups_due on pending_hangups (due_at);

create function notify_pending_hangup() returns trigger language plpgsql as $$
begin
    perform pg_notify('ringbook_hangups_' || tg_table_schema, '');
    return null;
end $$;
create trigger pending_hangups_notify after insert on pending_hangups
    for each statement execute function notify_pending_hangup();
