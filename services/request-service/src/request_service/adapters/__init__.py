"""Implementations of the application's ports: asyncpg, argon2, Postgres LISTEN."""
