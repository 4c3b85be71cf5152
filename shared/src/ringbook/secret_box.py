"""Secrets at rest: the headers and credentials businesses give their HTTP tools.

catalog-service seals them before they are stored in an event, and media-bridge opens
them only at the moment it calls the tool, so they are ciphertext everywhere in between:
the event table, the outbox, the CATALOG stream and every projection of it. Fernet
(AES-128-CBC with an HMAC-SHA256, from ``cryptography``) authenticates as well as
encrypts: a tampered value fails to open instead of decrypting to garbage.

``SECRETS_ENCRYPTION_KEYS`` is a comma-separated list of Fernet keys, the first used to
seal; every key opens. Rotating is: put a new key first, keep the old ones until every
tool has been saved again, then drop them.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr, field_validator

from ringbook.settings import ServiceSettings

# Public, so worthless as protection: accepted only with ENVIRONMENT=development.
DEV_SECRETS_ENCRYPTION_KEY = "cmluZ2Jvb2stZGV2LWtleS1ub3QtYS1zZWNyZXQhISE="


class SecretUnreadable(Exception):
    """A sealed value that none of our keys opens (tampered, or sealed with a key
    that has since been dropped)."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise SecretUnreadable("a sealed secret could not be opened") from exc


def parse_keys(raw: str) -> list[str]:
    """The keys of a ``SECRETS_ENCRYPTION_KEYS`` value; each must be a Fernet key
    (32 url-safe base64 bytes: ``Fernet.generate_key()``)."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ValueError("SECRETS_ENCRYPTION_KEYS holds no key")
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError:
            raise ValueError(
                "each key must be a Fernet key: 32 url-safe base64-encoded bytes"
                " (python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())')"
            ) from None
    return keys


class SecretBoxSettings(ServiceSettings):
    """Settings of a service that seals or opens tool secrets (catalog-service seals,
    media-bridge opens), both with ``SECRETS_ENCRYPTION_KEYS``."""

    secrets_encryption_keys: SecretStr = SecretStr(DEV_SECRETS_ENCRYPTION_KEY)

    @field_validator("secrets_encryption_keys")
    @classmethod
    def _keys_are_fernet_keys(cls, value: SecretStr) -> SecretStr:
        parse_keys(value.get_secret_value())
        return value

    def secret_box(self) -> SecretBox:
        return SecretBox(parse_keys(self.secrets_encryption_keys.get_secret_value()))

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        keys = parse_keys(self.secrets_encryption_keys.get_secret_value())
        if DEV_SECRETS_ENCRYPTION_KEY in keys:
            public.append("SECRETS_ENCRYPTION_KEYS")  # it seals every tool's credentials
        return public
