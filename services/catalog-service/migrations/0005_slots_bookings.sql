-- Capacity-limited slots and their bookings (seed 004).
--
-- slot_schedules is the read model of the slot_schedule aggregate (SlotScheduleSet is a
-- snapshot: the row is rewritten; SlotScheduleCleared deletes it). A business is a
-- client or a phone number; callers reach it at `number`, which is resolved through
-- number_claims, so a schedule follows only the number its business holds now.
create table slot_schedules (
    id               uuid        primary key,  -- slot_schedule_id(business_kind, business_id)
    tenant_id        uuid        not null,
    business_kind    text        not null check (business_kind in ('client', 'phone_number')),
    business_id      uuid        not null unique,
    business_name    text        not null,
    number           text        not null check (number ~ '^\+[1-9][0-9]{1,14}$'),
    timezone         text        not null,
    reference_prefix text        not null check (reference_prefix ~ '^[A-Z]{2,6}$'),
    weekly           jsonb       not null,
    exceptions       jsonb       not null,
    version          integer     not null check (version >= 1),
    updated_at       timestamptz not null
);
create index slot_schedules_number on slot_schedules (number);
create index slot_schedules_tenant on slot_schedules (tenant_id);

-- One row per slot that has been booked at least once (created by the first booking,
-- its capacity taken from the schedule then). `booked` only moves by one, under the
-- row lock of a conditional UPDATE, and the CHECK makes overbooking impossible even
-- for a writer that forgot the condition.
create table slots (
    id          bigserial   primary key,
    business_id uuid        not null,
    tenant_id   uuid        not null,
    slot_date   date        not null,
    start_time  time        not null,
    end_time    time        not null,
    capacity    integer     not null check (capacity >= 0),
    booked      integer     not null default 0,
    check (booked >= 0 and booked <= capacity),
    unique (business_id, slot_date, start_time)
);

-- id is the booking number of the reference (SPA-000123).
create table bookings (
    id              bigserial   primary key,
    aggregate_id    uuid        not null unique,
    reference       text        not null unique,
    business_id     uuid        not null,
    tenant_id       uuid        not null,
    slot_id         bigint      not null references slots (id),
    customer_name   text        not null,
    customer_phone  text        not null,
    status          text        not null check (status in ('confirmed', 'cancelled')),
    idempotency_key text,
    created_at      timestamptz not null,
    cancelled_at    timestamptz,
    unique (business_id, idempotency_key)
);
create index bookings_tenant_slot on bookings (tenant_id, slot_id);
create index bookings_slot on bookings (slot_id);
