-- Every stream token media-bridge ever admitted (one row per token id, ``jti``): a token
-- call-orchestrator minted for one call opens ONE stream. The row is inserted before
-- the stream is served, so a second stream with the same token, on any replica and
-- after any restart, finds it and is refused; of two racing streams the primary key
-- lets exactly one in.
create table used_stream_tokens (
    token_id   uuid        primary key,
    call_sid   text        not null,
    expires_at timestamptz not null,
    used_at    timestamptz not null
);

-- A row is needed only while its token could still verify; long-expired rows are
-- pruned by expiry as new tokens are recorded.
create index used_stream_tokens_expiry on used_stream_tokens (expires_at);
