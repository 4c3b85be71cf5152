-- The realtime model's tokens of a conversation: the sum of the usage of every
-- response.done it sent, as call_completed reports it ({"model", "input_text_tokens",
-- "input_audio_tokens", "cached_input_tokens", "output_text_tokens",
-- "output_audio_tokens"}), so the call's cost can be priced from either. Nullable: rows
-- written before this column, and calls whose model reported no usage, have none
-- (which is not a usage of zero tokens).
alter table conversations add column usage jsonb;
