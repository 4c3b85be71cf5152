-- What an answered attempt came to: its conversation's outcome (media-bridge's
-- call_completed) or 'no_conversation' when none reported in time. Null while unknown.
-- The first result decides the job's next step (finish, or a retry); later ones are
-- ignored, so a second report can never schedule a second retry.
alter table call_attempts add column result text;
-- The carrier's duration of an answered call, once it has ended.
alter table call_attempts add column duration_seconds double precision;
-- Set when the carrier says an answered call ended before its conversation reported:
-- at this time the sweep records 'no_conversation'. A row, not an in-memory timer, so
-- the promise survives a restart.
alter table call_attempts add column result_due_at timestamptz;
create index call_attempts_result_due on call_attempts (result_due_at)
    where result is null and result_due_at is not null;
