"""Use cases of request-service and the ports they need; adapters implement the ports."""
