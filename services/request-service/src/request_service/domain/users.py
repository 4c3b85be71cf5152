"""Users of the gateway (seed 002): who may sign in, and the principal a token carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ringbook.auth import Principal

MIN_PASSWORD_LENGTH = 8
# Hashing cost grows with input length; an unbounded password is a cheap way to make
# the server burn CPU, so the API refuses anything longer than a passphrase needs.
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
MAX_NAME_LENGTH = 200


def normalize_email(email: str) -> str:
    """The spelling we store and compare: one account per mailbox, whatever the case."""
    return email.strip().lower()


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    name: str
    password_hash: str
    created_at: datetime

    def principal(self) -> Principal:
        return Principal(
            user_id=self.id, tenant_id=self.tenant_id, email=self.email, name=self.name
        )
