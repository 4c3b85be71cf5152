"""A tool's secrets: its authentication, its headers, and how responses mask them. Pure.

Every header value and every credential is a secret: responses show ``"••••"`` followed
by the value's last four characters when it is at least 16 characters long (enough to
tell two keys apart without giving away a guessable part), and ``"••••"`` alone
otherwise. A value sent back exactly as masked means "keep what is stored", so a
frontend can send a GET body back after editing other fields; any other value starting
with the mask is refused, so the bullets are never stored as a password.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog_service.domain.tools import header_name, header_value

MASK = "••••"
_REVEAL_FROM_CHARS = 16
MAX_SECRET_CHARS = 4096


class MaskedValueMismatch(ValueError):
    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is masked but matches no stored value: send the value itself")
        self.field = field


def mask(secret: str) -> str:
    return MASK + secret[-4:] if len(secret) >= _REVEAL_FROM_CHARS else MASK


def is_masked(value: str) -> bool:
    return value.startswith(MASK)


def keep_or_replace(sent: str, stored: str | None, field: str) -> str:
    """``stored`` if ``sent`` is its mask, else ``sent`` (which must not look masked)."""
    if not is_masked(sent):
        return sent
    if stored is not None and sent == mask(stored):
        return stored
    raise MaskedValueMismatch(field)


class _Auth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BearerAuth(_Auth):
    """``Authorization: Bearer <token>``."""

    type: Literal["bearer"]
    token: str = Field(min_length=1, max_length=MAX_SECRET_CHARS)


class BasicAuth(_Auth):
    """``Authorization: Basic base64(username:password)``."""

    type: Literal["basic"]
    username: str = Field(min_length=1, max_length=256, pattern=r"^[^:\x00-\x1f\x7f]+$")
    password: str = Field(max_length=MAX_SECRET_CHARS)


class ApiKeyAuth(_Auth):
    """The key in a header of the owner's choosing (``X-API-Key: <value>``)."""

    type: Literal["api_key"]
    header: str
    value: str = Field(min_length=1, max_length=MAX_SECRET_CHARS)

    @field_validator("header")
    @classmethod
    def _header(cls, name: str) -> str:
        return header_name(name)


Authentication = Annotated[BearerAuth | BasicAuth | ApiKeyAuth, Field(discriminator="type")]

_SECRET_FIELD = {"bearer": "token", "basic": "password", "api_key": "value"}


def secret_of(auth: BearerAuth | BasicAuth | ApiKeyAuth) -> str:
    return str(getattr(auth, _SECRET_FIELD[auth.type]))


def masked_authentication(auth: BearerAuth | BasicAuth | ApiKeyAuth) -> dict[str, str]:
    """The authentication as responses show it: the secret masked, the rest clear."""
    shown = auth.model_dump()
    shown[_SECRET_FIELD[auth.type]] = mask(secret_of(auth))
    return shown


def masked_headers(values: dict[str, str]) -> dict[str, str]:
    return {name: mask(value) for name, value in values.items()}


def merge_authentication(
    sent: BearerAuth | BasicAuth | ApiKeyAuth,
    stored: BearerAuth | BasicAuth | ApiKeyAuth | None,
) -> BearerAuth | BasicAuth | ApiKeyAuth:
    """The authentication to store for ``sent``: a masked secret keeps the stored one
    (only if the type is the same: a bearer token is no basic password)."""
    field = _SECRET_FIELD[sent.type]
    same_kind = stored if stored is not None and stored.type == sent.type else None
    kept = keep_or_replace(
        secret_of(sent), None if same_kind is None else secret_of(same_kind),
        f"authentication.{field}",
    )
    return sent.model_copy(update={field: kept})


def merge_headers(sent: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    """The headers to store for ``sent``: each masked value keeps the stored value of the
    same header (names compared case-insensitively, as HTTP does)."""
    by_name = {name.lower(): value for name, value in stored.items()}
    merged = {
        name: keep_or_replace(value, by_name.get(name.lower()), f"headers.{name}")
        for name, value in sent.items()
    }
    for name, value in merged.items():
        header_value(name, value)
    return merged


def authentication_header(auth: BearerAuth | BasicAuth | ApiKeyAuth) -> str:
    """The header the authentication is sent in."""
    return auth.header if isinstance(auth, ApiKeyAuth) else "Authorization"


def check_no_clash(values: dict[str, str],
                   auth: BearerAuth | BasicAuth | ApiKeyAuth | None) -> None:
    """A header given both in ``headers`` and by the authentication is ambiguous."""
    if auth is None:
        return
    name = authentication_header(auth)
    if name.lower() in {n.lower() for n in values}:
        raise ValueError(
            f"the header {name!r} is set by the authentication; remove it from headers")
