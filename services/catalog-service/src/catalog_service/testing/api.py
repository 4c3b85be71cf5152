"""A client of the catalog's HTTP API for the integration tests: tokens per tenant, and
what the service stored (event rows, read-model rows) to check that a refusal stored
nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from ringbook.auth import Principal
from ringbook.runtime import ServiceRuntime


@dataclass
class CatalogApi:
    client: httpx.AsyncClient
    app: FastAPI

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    def auth(self, tenant: uuid.UUID) -> dict[str, str]:
        principal = Principal(user_id=uuid.uuid4(), tenant_id=tenant, email="owner@example.com",
                              name=None)
        return {"Authorization": f"Bearer {self.runtime.tokens.issue(principal)}"}

    async def call(self, method: str, path: str, tenant: uuid.UUID, **kwargs: Any
                   ) -> httpx.Response:
        headers = {**self.auth(tenant), **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def created(self, path: str, tenant: uuid.UUID, body: dict[str, Any]
                      ) -> dict[str, Any]:
        """POST ``body``; the created resource (the answer must be 201)."""
        response = await self.call("POST", path, tenant, json=body)
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        created: dict[str, Any] = answer.get("data", answer)
        return created

    async def event_types(self, aggregate_id: uuid.UUID | str | None = None) -> list[str]:
        if aggregate_id is None:
            rows = await self.pool.fetch("select type from events order by recorded_at, version")
        else:
            rows = await self.pool.fetch(
                "select type from events where aggregate_id = $1 order by version",
                uuid.UUID(str(aggregate_id)))
        return [r["type"] for r in rows]

    async def count(self, table: str) -> int:
        return int(await self.pool.fetchval(f"select count(*) from {table}"))

    async def stored(self) -> dict[str, int]:
        """How many rows every table the API writes holds (events and read models)."""
        tables = ("events", "outbox", "assistants", "tools", "assistant_tools",
                  "assistant_files", "knowledge_files", "phone_numbers", "clients",
                  "number_claims", "business_hours", "slot_schedules", "slots", "bookings",
                  "leads", "lead_analysis_jobs")
        return {t: await self.count(t) for t in tables}
