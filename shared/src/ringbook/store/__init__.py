"""Postgres: the source of truth. Event store, outbox, inbox, dead letters, migrations."""
