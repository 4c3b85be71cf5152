"""Test helpers of catalog-service: an in-memory store for the use cases' unit tests,
stand-ins for the outside edges (DNS, a blob store), and a client of the HTTP API."""
