"""Tenant API keys: what a key looks like and how it is stored.

A key is ``rbk_`` followed by 32 random bytes (urlsafe base64): the prefix lets an owner
(and a secret scanner) recognise a Ringbook key at a glance. Only its SHA-256 is stored.
argon2 (what passwords get) is not needed here: a slow, salted hash protects secrets a
person chose, which an attacker holding the hashes could guess by trying likely ones; a
key of 256 random bits has no likely ones, so even billions of SHA-256 guesses a second
never find one. And an unsalted fast hash can be looked up by a unique index in one
query, where a salted one would have to be checked against every key in turn.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

KEY_PREFIX = "rbk_"
KEY_BYTES = 32
# What the owner sees of a key in listings: enough to tell keys apart, useless alone.
SHOWN_CHARS = len(KEY_PREFIX) + 6
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class ApiKey:
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def shown_prefix(key: str) -> str:
    return key[:SHOWN_CHARS]


def is_well_formed(key: str) -> bool:
    """A cheap check before any query: a string that cannot be a key is refused as is."""
    return key.startswith(KEY_PREFIX) and len(key) <= MAX_KEY_LENGTH and key.isascii()
