"""The same-run baseline: the least a durable accept can cost on this machine.

One FastAPI route that parses the gateway's request body with pydantic, inserts one
row into Postgres (a committed, fsynced transaction, like Ringbook's accept) and
answers 202. Served by uvicorn in a single worker with the settings every Ringbook
service uses (:func:`ringbook.web.serve.serve`), against the same embedded Postgres,
so the only difference left is what Ringbook does on top of a durable insert.

Run as ``python -m benchmarks.baseline_app`` with ``BENCH_DATABASE_URL`` and
``BENCH_PORT`` in the environment.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict

SCHEMA = """
create table if not exists bench_accept(
    id uuid primary key,
    body jsonb not null,
    created_at timestamptz not null default now()
)
"""


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = None
    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


class Body(BaseModel):
    """The seed-000 body, field for field (without Ringbook's domain validation)."""

    model_config = ConfigDict(extra="forbid")

    request_id: uuid.UUID
    user_id: uuid.UUID
    title: str
    description: str
    callback_number: str
    number_to_call: str
    preferred_time: str
    user_profile: Profile


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    request_id: uuid.UUID
    message: str


def create_app(dsn: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Pool bounds as Ringbook's services (DB_POOL_MIN/DB_POOL_MAX defaults 2/10).
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        assert pool is not None
        await pool.execute(SCHEMA)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="bench-baseline", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/process-request", status_code=202, response_model=Accepted)
    async def accept(body: Body, request: Request) -> Accepted:
        await request.app.state.pool.execute(
            "insert into bench_accept(id, body) values ($1, $2::jsonb)",
            body.request_id,
            body.model_dump_json(),
        )
        return Accepted(request_id=body.request_id, message="Request is being processed")

    return app


def main() -> None:
    uvicorn.run(
        create_app(os.environ["BENCH_DATABASE_URL"]),
        host="127.0.0.1",
        port=int(os.environ["BENCH_PORT"]),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
