"""What a use case refuses, independent of HTTP (the routes choose the status codes)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable


class NotFound(Exception):
    """Nothing of the caller's has this id (another tenant's counts as nothing)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class InvalidInput(ValueError):
    """A value the request gave cannot be accepted; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


class UnknownIds(InvalidInput):
    """Ids in a list that name nothing of the caller's."""

    def __init__(self, field: str, ids: Iterable[uuid.UUID]) -> None:
        self.ids = sorted(ids)
        super().__init__(field, "not yours or not found: " + ", ".join(map(str, self.ids)))


class Conflict(Exception):
    """The request collides with the current state (a concurrent change, a taken name
    or number); the message says which, for the caller."""


class UnsupportedFile(ValueError):
    """The upload's type is not one the catalog extracts text from."""


class FileTooLarge(ValueError):
    pass


class ProvisioningFailed(Exception):
    """The carrier could not be asked; nothing was stored, the request may be retried."""
