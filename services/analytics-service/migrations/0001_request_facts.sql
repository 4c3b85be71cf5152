-- One row per request: the facts an analyst slices by (tenant, day, current status).
-- Written only by the REQUESTS/CALLS projection; rebuilt by replaying both streams.

create table request_facts (
    request_id uuid        primary key,
    tenant_id  uuid        not null,
    -- The UTC date of request_received.occurred_at: a request belongs to the day it was
    -- asked for, whatever happens to it later.
    day        date        not null,
    status     text        not null check (status in (
        'queued', 'outside_business_hours', 'calling', 'in_progress',
        'waiting_for_callback', 'booked', 'failed', 'canceled')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Every query is per tenant over a range of days.
create index request_facts_tenant_day on request_facts (tenant_id, day);

-- For analysts querying Postgres directly (and for the API, which reads it too, so the
-- two can never disagree): requests per tenant, day and current status.
create view requests_per_day as
select tenant_id, day, status, count(*)::bigint as requests
from request_facts
group by tenant_id, day, status;
