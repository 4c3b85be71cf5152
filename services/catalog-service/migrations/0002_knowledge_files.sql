-- Knowledge files (seed 001's ``files``): the projection of the knowledge_file
-- aggregate, written in the same transaction as its events. The HTTP API writes the
-- upload (status 'uploading'); the extraction worker writes the outcome ('processed'
-- with language, chunk count and text, or 'error' with the reason). A deleted file's
-- row is deleted.

create table knowledge_files (
    id             uuid        primary key,
    tenant_id      uuid        not null,
    filename       text        not null,
    original_name  text        not null,
    file_type      text        not null
                   check (file_type in ('pdf', 'docx', 'txt', 'md', 'csv', 'html')),
    file_size      bigint      not null check (file_size >= 0),
    s3_url         text        not null,
    description    text,
    status         text        not null default 'uploading'
                   check (status in ('uploading', 'processed', 'error')),
    error          text,
    -- A Postgres text search configuration (german, english, simple, ...).
    language       text,
    chunk_count    integer,
    extracted_text text,
    -- The knowledge_file aggregate's version this row reflects.
    version        integer     not null check (version >= 1),
    created_at     timestamptz not null,
    updated_at     timestamptz not null
);

create index knowledge_files_tenant_status on knowledge_files (tenant_id, status);
