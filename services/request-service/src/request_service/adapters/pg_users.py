"""Users in Postgres (``users`` table of the service schema)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from request_service.adapters.pg_errors import (
    ACQUIRE_TIMEOUT_SECONDS,
    store_unavailable_on_connection_errors,
)
from request_service.application.ports import EmailAlreadyRegistered
from request_service.domain.users import User

_COLUMNS = "id, tenant_id, email, name, password_hash, created_at"


def _user(row: asyncpg.Record) -> User:
    return User(
        id=row["id"],
        tenant_id=row["tenant_id"],
        email=row["email"],
        name=row["name"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
    )


class PgUserRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def add(self, user: User) -> None:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                try:
                    await conn.execute(
                        "insert into users (id, tenant_id, email, name, password_hash,"
                        " created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6)",
                        user.id,
                        user.tenant_id,
                        user.email,
                        user.name,
                        user.password_hash,
                        user.created_at,
                    )
                except asyncpg.UniqueViolationError as exc:
                    if exc.constraint_name == "users_email_key":
                        raise EmailAlreadyRegistered(user.email) from exc
                    raise

    async def by_email(self, email: str) -> User | None:
        return await self._one(
            f"select {_COLUMNS} from users where lower(email) = lower($1)", email
        )

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return await self._one(f"select {_COLUMNS} from users where id = $1", user_id)

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str, at: datetime) -> None:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                await conn.execute(
                    "update users set password_hash = $2, updated_at = $3 where id = $1",
                    user_id,
                    password_hash,
                    at,
                )

    async def _one(self, sql: str, arg: object) -> User | None:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                row = await conn.fetchrow(sql, arg)
        return None if row is None else _user(row)
