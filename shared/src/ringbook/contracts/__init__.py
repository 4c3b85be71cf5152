"""Event contracts: the only way services know each other's events."""
