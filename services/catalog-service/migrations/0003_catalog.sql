-- The catalog's read models (seeds 001 and 002): projections of the CATALOG events,
-- written in the same transaction as the events they follow (catalog_service.adapters).
-- Each aggregate's row carries the version of the last event applied to it; a command
-- reads it and appends the next version, so of two concurrent writers one loses.
--
-- Every row carries its tenant: every query of the API filters by it.

create table assistants (
    id                       uuid             primary key,
    tenant_id                uuid             not null,
    name                     text             not null,
    description              text,
    system_prompt            text,
    llm_provider             text             not null,
    llm_model                text             not null,
    temperature              double precision not null,
    max_tokens               integer          not null,
    voice_provider           text             not null,
    voice_id                 text,
    voice_speed              double precision,
    voice_pitch              double precision,
    voice_stability          double precision,
    language                 text             not null,
    fallback_language        text,
    first_message            text,
    interruption_sensitivity double precision,
    silence_timeout          double precision,
    response_delay           double precision,
    status                   text             not null
                             check (status in ('draft', 'testing', 'deployed')),
    is_active                boolean          not null,
    capabilities             jsonb            not null,
    version                  integer          not null check (version >= 1),
    created_at               timestamptz      not null,
    updated_at               timestamptz      not null
);
create index assistants_tenant on assistants (tenant_id, created_at);

create table tools (
    id                    uuid             primary key,
    tenant_id             uuid             not null,
    name                  text             not null,
    description           text,
    endpoint              text             not null,
    method                text             not null
                          check (method in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
    category              text,
    parameters            jsonb            not null,
    -- Ciphertext (ringbook.secret_box); the clear values never reach this schema.
    headers_sealed        text,
    authentication_sealed text,
    signing_secret_sealed text             not null,
    timeout_seconds       double precision not null,
    is_active             boolean          not null,
    -- Usage, projected from the CALLS stream's tool_used events (not the tool's own).
    total_calls           bigint           not null default 0,
    last_used             timestamptz,
    avg_response_time     double precision,
    version               integer          not null check (version >= 1),
    created_at            timestamptz      not null,
    updated_at            timestamptz      not null
);
-- A tool's name is the function name the model sees: unique per tenant, whatever case.
create unique index tools_tenant_name on tools (tenant_id, lower(name));

create table assistant_tools (
    assistant_id uuid        not null references assistants (id) on delete cascade,
    tool_id      uuid        not null references tools (id) on delete cascade,
    linked_at    timestamptz not null,
    primary key (assistant_id, tool_id)
);
create index assistant_tools_tool on assistant_tools (tool_id);

create table assistant_files (
    assistant_id uuid        not null references assistants (id) on delete cascade,
    file_id      uuid        not null references knowledge_files (id) on delete cascade,
    settings     jsonb       not null,
    linked_at    timestamptz not null,
    primary key (assistant_id, file_id)
);
create index assistant_files_file on assistant_files (file_id);

create table phone_numbers (
    id            uuid        primary key,
    tenant_id     uuid        not null,
    phone_number  text        not null unique check (phone_number ~ '^\+[1-9][0-9]{1,14}$'),
    friendly_name text,
    capabilities  jsonb       not null,
    country       text,
    region        text,
    locality      text,
    provider      text        not null,
    provider_sid  text,
    monthly_price double precision,
    currency      text,
    configuration jsonb       not null,
    status        text        not null,
    usage         jsonb       not null,
    -- Who answers the number; null: the default receptionist. An assistant's deletion
    -- sets it to null through its phone_number_updated events, never by cascade.
    assistant_id  uuid        references assistants (id),
    version       integer     not null check (version >= 1),
    purchased_at  timestamptz not null,
    updated_at    timestamptz not null
);
create index phone_numbers_tenant on phone_numbers (tenant_id, purchased_at);
create index phone_numbers_assistant on phone_numbers (assistant_id);

create table clients (
    id            uuid        primary key,
    tenant_id     uuid        not null,
    name          text        not null,
    phone_number  text        not null unique check (phone_number ~ '^\+[1-9][0-9]{1,14}$'),
    profession    text,
    voice_id      text,
    voice_name    text,
    system_prompt text,
    is_active     boolean     not null,
    version       integer     not null check (version >= 1),
    created_at    timestamptz not null,
    updated_at    timestamptz not null
);
create index clients_tenant on clients (tenant_id, created_at);

-- A number routes to exactly one business, across all tenants: a phone number and a
-- client claim their number here, in the transaction of their event; a second claim
-- of the same number (any tenant, either kind) fails on the primary key.
create table number_claims (
    number     text        primary key check (number ~ '^\+[1-9][0-9]{1,14}$'),
    tenant_id  uuid        not null,
    kind       text        not null check (kind in ('phone_number', 'client')),
    holder_id  uuid        not null unique,
    claimed_at timestamptz not null
);

-- A tenant's opening hours for a number it calls (or owns); call-orchestrator keeps
-- its own projection of the same events. A cleared aggregate has no row.
create table business_hours (
    id           uuid        primary key,  -- business_hours_id(tenant_id, number)
    tenant_id    uuid        not null,
    number       text        not null check (number ~ '^\+[1-9][0-9]{1,14}$'),
    weekly_hours text        not null,
    timezone     text,
    version      integer     not null check (version >= 1),
    updated_at   timestamptz not null,
    unique (tenant_id, number)
);
