-- One row per Twilio Media Stream: written when the stream starts and when it ends
-- (two small writes per call, never one per audio frame).

create table media_sessions (
    stream_sid text        primary key,
    call_sid   text        not null,
    started_at timestamptz not null,
    ended_at   timestamptz,
    frames_in  bigint      not null default 0 check (frames_in >= 0),
    -- "stop" (Twilio ended the stream), "socket closed", "receive timeout", ...
    end_reason text
);

-- Operators look for streams that never ended (a crashed replica) by start time.
create index media_sessions_open on media_sessions (started_at) where ended_at is null;
