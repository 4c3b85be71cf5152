"""What the call log's use cases refuse; the routes turn each into its JSON error."""

from __future__ import annotations


class InvalidApiKey(Exception):
    """No key, a malformed one, an unknown one or a revoked one: all answer alike (401),
    so a caller learns nothing about which keys exist."""


class NotFound(Exception):
    """The thing named does not exist for the caller's tenant (another tenant's is
    reported exactly like an unknown one)."""


class TooManyKeys(Exception):
    """The tenant holds the most active keys allowed: one must be revoked first."""
