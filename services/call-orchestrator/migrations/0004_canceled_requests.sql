-- A cancel that arrived before its request (request_canceled handled before
-- request_received: the latter was nak'ed and redelivered, or another replica holds
-- it): the cancel is recorded here, and request_received, when it comes, creates its
-- call job already canceled, with no timer. A row, so the cancel survives restarts.
create table canceled_requests (
    request_id  uuid        primary key,
    tenant_id   uuid        not null,
    event_id    uuid        not null,
    canceled_at timestamptz not null
);
