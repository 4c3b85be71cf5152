-- An assistant's own extraction fields (AssistantState.analysis_fields): what post-call
-- analysis in analytics-service pulls out of each of its calls. A JSON array of
-- {"name", "type", "description"}, read and written whole with the rest of the row;
-- the existing assistants had none.

alter table assistants add column analysis_fields jsonb not null default '[]';
