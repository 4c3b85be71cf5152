"""request-service settings: the shared ones (see :mod:`ringbook.settings`) plus the
gateway's own.

==========================  ==========================================================
CORS_ORIGINS                browser origins allowed to call the API: a JSON list or a
                            comma-separated string (default: the Next.js dev server)
PASSWORD_TIME_COST          argon2id passes
PASSWORD_MEMORY_KIB         argon2id memory per hash, in KiB
PASSWORD_PARALLELISM        argon2id lanes
SSE_PING_SECONDS            keep-alive comment interval on timeline streams
ANALYTICS_SERVICE_URL       where the gateway forwards analytics-service's public paths
CATALOG_SERVICE_URL         likewise for catalog-service (its paths join the route
                            table as its endpoints are built)
PROXY_CONNECT_SECONDS       connecting to an upstream takes longer: 502 (default 2)
PROXY_READ_SECONDS          an upstream silent this long: 504 (default 30)
PROXY_MAX_CONNECTIONS       connections to each upstream, pooled (default 100)
==========================  ==========================================================

The argon2 defaults are RFC 9106's low-memory profile (argon2-cffi's own defaults).
Tests lower them to keep a run fast; raising them later is safe because a login
rehashes any hash made with weaker parameters.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode
from ringbook.settings import ServiceSettings


class RequestServiceSettings(ServiceSettings):
    service_name: str = "request-service"
    http_port: int = 8000
    # NoDecode: accept "https://a,https://b" from the environment as well as JSON.
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:3000"]
    )

    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=64 * 1024, ge=8)
    password_parallelism: int = Field(default=4, ge=1)

    sse_ping_seconds: float = Field(default=15.0, gt=0)

    # Where the gateway forwards other services' public paths (gateway_routes); the
    # defaults are the ports `make run` gives them on one machine.
    analytics_service_url: str = "http://127.0.0.1:8004"
    catalog_service_url: str = "http://127.0.0.1:8003"
    proxy_connect_seconds: float = Field(default=2.0, gt=0)
    proxy_read_seconds: float = Field(default=30.0, gt=0)
    proxy_max_connections: int = Field(default=100, ge=1)

    def upstreams(self) -> dict[str, str]:
        return {"analytics-service": self.analytics_service_url.rstrip("/"),
                "catalog-service": self.catalog_service_url.rstrip("/")}

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value
