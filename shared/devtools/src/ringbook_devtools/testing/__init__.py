"""Test support: real Postgres and NATS for every integration test (never mocks)."""
