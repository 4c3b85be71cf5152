-- call-orchestrator's projection of the CATALOG stream (catalog-service's events), kept
-- by the durable consumer call-orchestrator-catalog in the inbox's transaction, so a
-- call never waits on catalog-service: a number's owner and a tenant's opening hours
-- are read here, in this schema, even while catalog-service is down.

-- Who owns a business number: a tenant's phone number or client (seed 001 / 002), one
-- row per owner, moved when its snapshot names another number and dropped when the
-- owner is released or deleted.
create table catalog_numbers (
    kind         text        not null check (kind in ('phone_number', 'client')),
    owner_id     uuid        not null,
    tenant_id    uuid        not null,
    phone_number text        not null,  -- E.164
    -- When catalog-service wrote the snapshot applied last (its event's occurred_at).
    as_of        timestamptz not null,
    primary key (kind, owner_id)
);
-- Not unique. catalog-service gives a number to one owner at a time, but each owner's
-- events are applied in its own order: a number that moved from A to B can briefly
-- stand on both rows (B's snapshot applied, A's move not yet). The owner whose
-- snapshot is the most recent holds it (see adapters.catalog_repository).
create index catalog_numbers_by_number on catalog_numbers (phone_number, as_of desc);

-- A tenant's opening hours for a number it calls (business_hours_set): the text is
-- ringbook.weekly_hours' format, checked when applied; timezone null means the
-- number's own zone.
create table business_hours (
    tenant_id    uuid not null,
    number       text not null,  -- E.164
    weekly_hours text not null,
    timezone     text,
    primary key (tenant_id, number)
);
