-- Business numbers that take bookings (seed 004): the slot schedules of the CATALOG
-- stream (consumer media-bridge-booking-lines). A call on such a number is given the
-- booking functions, today's date in the business's time zone and the caller's number;
-- the bookings themselves are catalog-service's (its function handler), never kept here.
-- One row per schedule (a business has one); the consumer applies each schedule's
-- events in version order, so a late snapshot never overwrites a newer one.
create table booking_lines (
    schedule_id   uuid        primary key,
    tenant_id     uuid        not null,
    business_kind text        not null check (business_kind in ('client', 'phone_number')),
    business_id   uuid        not null,
    number        text        not null,
    timezone      text        not null,
    business_name text        not null,
    updated_at    timestamptz not null
);
create index booking_lines_number on booking_lines (number, updated_at desc);
