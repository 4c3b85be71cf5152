"""Test helpers of catalog-service: an in-memory store for the use cases' unit tests,
stand-ins for the outside edges (DNS, Twilio), and a client of the HTTP API."""
