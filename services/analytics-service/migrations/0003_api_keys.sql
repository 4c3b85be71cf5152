-- Tenant API keys for POST /api/calls (a business's own agent logging its calls).
-- Service state, not a projection: a key exists only here, so nothing replays it.

create table api_keys (
    id         uuid        primary key,
    tenant_id  uuid        not null,
    name       text        not null,
    -- The first characters of the key, so an owner can tell keys apart; never enough
    -- to use it.
    prefix     text        not null,
    -- SHA-256 of the whole key: the key itself is shown once and never stored.
    key_hash   bytea       not null unique,
    created_at timestamptz not null,
    revoked_at timestamptz
);

create index api_keys_tenant on api_keys (tenant_id, created_at);
