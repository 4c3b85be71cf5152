-- For projections that must apply one aggregate's events in version order (G8): the last
-- version applied per (consumer, aggregate id).
create table aggregate_positions (
    consumer     text    not null,
    aggregate_id uuid    not null,
    last_version integer not null,
    primary key (consumer, aggregate_id)
);
