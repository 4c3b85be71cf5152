-- Per-business opening hours, keyed by the business's phone number (E.164). Read by
-- call-orchestrator before placing a call; a number without a row uses the default
-- hours (Mon-Fri 08:00-18:00 in the zone derived from the number).

create table business_hours_overrides (
    number_e164  text        primary key check (number_e164 ~ '^\+[1-9][0-9]{1,14}$'),
    tenant_id    uuid        not null,
    weekly_hours text        not null check (length(weekly_hours) between 1 and 500),
    -- IANA zone; null means "derive it from the number" (the caller's default).
    timezone     text,
    updated_at   timestamptz not null default now()
);

create index business_hours_overrides_tenant on business_hours_overrides (tenant_id);
