-- The accept's own timeline entry (request_received) wakes no SSE listener: a stream can
-- only be opened for a request that exists, so its first entry is read from the table
-- by every stream. Leaving NOTIFY out of the accept keeps its commit free of the
-- database-wide lock that a notifying transaction holds through its WAL flush.
drop trigger request_timeline_notify on request_timeline;
create trigger request_timeline_notify after insert on request_timeline
    for each row when (new.type <> 'request_received')
    execute function notify_request_timeline();
