"""Register, login, current user, refresh (seed 002).

Login answers the same "Invalid email or password" for an unknown address and a wrong
password, and spends the same argon2 work on both (a verify against a dummy hash), so
neither the answer nor its timing tells an attacker which addresses have accounts.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from ringbook.auth import Principal, TokenService
from ringbook.clock import Clock
from ringbook.ids import new_id
from ringbook.logging import get_logger

from request_service.application.ports import PasswordHasher, UserRepository
from request_service.domain.users import User, normalize_email

log = get_logger(__name__)


class InvalidCredentials(Exception):
    pass


class UnknownUser(Exception):
    """A valid token whose user no longer exists."""


@dataclass(frozen=True)
class Session:
    token: str
    user: User


@dataclass
class AuthService:
    users: UserRepository
    hasher: PasswordHasher
    tokens: TokenService
    clock: Clock
    _dummy_hash: str | None = field(default=None, init=False)

    async def register(self, *, email: str, password: str, name: str) -> Session:
        now = self.clock.now()
        user = User(
            id=new_id(),
            tenant_id=uuid.uuid4(),  # a person is their own tenant for now
            email=normalize_email(email),
            name=name,
            password_hash=await self.hasher.hash(password),
            created_at=now,
        )
        await self.users.add(user)  # EmailAlreadyRegistered on a duplicate
        log.info("user_registered", user_id=str(user.id))
        return Session(self.tokens.issue(user.principal()), user)

    async def login(self, *, email: str, password: str) -> Session:
        user = await self.users.by_email(normalize_email(email))
        if user is None:
            await self.hasher.verify(await self._dummy(), password)
            raise InvalidCredentials
        if not await self.hasher.verify(user.password_hash, password):
            raise InvalidCredentials
        if self.hasher.needs_rehash(user.password_hash):
            # Parameters were raised since this hash was made; the plain password is
            # only ever in our hands at login, so this is the moment to upgrade it.
            await self.users.set_password_hash(
                user.id, await self.hasher.hash(password), self.clock.now()
            )
            log.info("password_rehashed", user_id=str(user.id))
        return Session(self.tokens.issue(user.principal()), user)

    async def current_user(self, principal: Principal) -> User:
        user = await self.users.by_id(principal.user_id)
        if user is None or user.tenant_id != principal.tenant_id:
            raise UnknownUser
        return user

    async def refresh(self, principal: Principal) -> Session:
        """A fresh 24 h token, re-read from the user row so a changed name shows."""
        user = await self.current_user(principal)
        return Session(self.tokens.issue(user.principal()), user)

    async def prepare(self) -> None:
        """Make the dummy hash at start-up, so the first unknown-address login is not
        the one request that takes twice as long."""
        await self._dummy()

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash
