-- media-bridge's local projection of request_received (consumer media-bridge-requests):
-- what an outbound call's agent is told. One row per request, written once.
create table call_requests (
    request_id uuid  primary key,
    tenant_id  uuid  not null,
    data       jsonb not null
);

-- One row per conversation (one per media stream that started): the transcript and the
-- response latencies, which call_completed cannot carry yet.
create table conversations (
    conversation_id  uuid        primary key,
    stream_sid       text        not null,
    call_sid         text        not null,
    request_id       uuid,
    tenant_id        uuid,
    direction        text        not null,
    attempt          integer     not null,
    outcome          text        not null,
    started_at       timestamptz not null,
    ended_at         timestamptz not null,
    duration_seconds double precision not null check (duration_seconds >= 0),
    interruptions    integer     not null default 0 check (interruptions >= 0),
    latency_p50_ms   integer,
    latency_p95_ms   integer,
    latencies_ms     jsonb       not null default '[]',
    -- [{"speaker": "agent" | "callee", "text": ..., "at_ms": ..., "interrupted": bool}]
    transcript       jsonb       not null default '[]'
);

create index conversations_request on conversations (request_id) where request_id is not null;
