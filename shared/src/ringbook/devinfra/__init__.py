"""Embedded infrastructure for laptops, tests and CI: nats-server and Postgres from wheels."""
