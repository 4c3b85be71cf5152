-- A writer may commit outbox rows without NOTIFY: a transaction that notifies takes a
-- database-wide lock at commit and holds it through its WAL flush, so notifying commits
-- are flushed one at a time and never share an fsync (group commit). A session that sets
-- `ringbook.outbox_notify` to 'off' (request-service's accept path, at connect) wakes the
-- relay itself after commit instead (ringbook.store.outbox_wake). Any other session, and
-- a missing setting, notifies as before.
create or replace function notify_outbox() returns trigger language plpgsql as $$
begin
    if coalesce(current_setting('ringbook.outbox_notify', true), '') <> 'off' then
        perform pg_notify('ringbook_outbox_' || tg_table_schema, '');
    end if;
    return null;
end $$;
