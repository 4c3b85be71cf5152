-- media-bridge's projection of the CATALOG stream (consumer media-bridge-catalog): who
-- answers a business number, with which instructions, tools and knowledge. A call reads
-- it locally, so it never waits on catalog-service. Rows are written only by the
-- consumer, one event per transaction, each aggregate in version order.
--
-- No foreign keys between these tables, on purpose: aggregates travel independently
-- (a link may arrive before its tool or file), so each row stands alone and a call's
-- read joins them; every join also matches tenant_id, so one tenant's link can never
-- reach another tenant's tool or file.

-- An assistant's whole snapshot (assistant_created/updated), as the event carried it.
create table assistants (
    assistant_id uuid        primary key,
    tenant_id    uuid        not null,
    config       jsonb       not null,
    updated_at   timestamptz not null
);

-- A business's HTTP tool. Its headers, authentication and signing secret stay sealed
-- (ringbook.secret_box): media-bridge opens them only when it makes the request.
create table tools (
    tool_id               uuid             primary key,
    tenant_id             uuid             not null,
    name                  text             not null,
    description           text,
    endpoint              text             not null,
    method                text             not null,
    parameters            jsonb            not null,
    headers_sealed        text,
    authentication_sealed text,
    signing_secret_sealed text             not null,
    timeout_seconds       double precision not null check (timeout_seconds > 0),
    is_active             boolean          not null,
    updated_at            timestamptz      not null
);

create table assistant_tools (
    assistant_id uuid not null,
    tool_id      uuid not null,
    tenant_id    uuid not null,
    primary key (assistant_id, tool_id)
);
-- A deleted tool drops its links.
create index assistant_tools_tool on assistant_tools (tool_id);

create table assistant_files (
    assistant_id uuid  not null,
    file_id      uuid  not null,
    tenant_id    uuid  not null,
    -- how the assistant uses the file; {"enabled": false} leaves it out of searches
    settings     jsonb not null default '{}',
    primary key (assistant_id, file_id)
);
create index assistant_files_file on assistant_files (file_id);

-- A knowledge file: only a processed one is searched.
create table knowledge_files (
    file_id       uuid        primary key,
    tenant_id     uuid        not null,
    original_name text,
    status        text        not null check (status in ('uploading', 'processed', 'error')),
    -- the Postgres text search configuration of its text (german, english, simple, ...)
    language      text,
    updated_at    timestamptz not null
);

-- A file's passages, each indexed in its file's language (to_tsvector(language, text)).
create table knowledge_chunks (
    file_id     uuid     not null,
    chunk_index integer  not null check (chunk_index >= 0),
    tenant_id   uuid     not null,
    language    text     not null,
    text        text     not null,
    tsv         tsvector not null,
    primary key (file_id, chunk_index)
);
create index knowledge_chunks_tsv on knowledge_chunks using gin (tsv);

-- Business numbers: a phone number (routed to an assistant, or none: the default
-- receptionist) or a client's number (its receptionist). One row per aggregate; a
-- number moving between aggregates may briefly have two rows (their events travel
-- independently), and the most recently changed one answers.
create table numbers (
    source_id    uuid        primary key,
    kind         text        not null check (kind in ('phone_number', 'client')),
    number       text        not null,
    tenant_id    uuid        not null,
    assistant_id uuid,
    updated_at   timestamptz not null
);
create index numbers_number on numbers (number, updated_at desc);

-- A client business (seed 002): what its receptionist is built from.
create table clients (
    client_id     uuid        primary key,
    tenant_id     uuid        not null,
    name          text        not null,
    profession    text,
    system_prompt text,
    voice_id      text,
    voice_name    text,
    is_active     boolean     not null,
    updated_at    timestamptz not null
);

-- Aggregates deleted (or numbers released): a link that arrives after the deletion of
-- its tool or file is not stored, so a deletion drops its links in any arrival order.
create table catalog_ended (
    aggregate_id uuid        primary key,
    aggregate    text        not null,
    ended_at     timestamptz not null
);
