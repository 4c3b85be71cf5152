"""request-service settings: the shared ones (see :mod:`ringbook.settings`) plus the
gateway's own.

==========================  ==========================================================
CORS_ORIGINS                browser origins allowed to call the API: a JSON list or a
                            comma-separated string (default: the Next.js dev server)
PASSWORD_TIME_COST          argon2id passes
PASSWORD_MEMORY_KIB         argon2id memory per hash, in KiB
PASSWORD_PARALLELISM        argon2id lanes
SSE_PING_SECONDS            keep-alive comment interval on timeline streams
CATALOG_SERVICE_URL         where the gateway forwards catalog-service's public paths
ANALYTICS_SERVICE_URL       where it forwards analytics-service's (both required outside
                            development; see request_service.gateway_routes)
PROXY_MAX_BODY_BYTES        body limit of forwarded requests (MAX_BODY_BYTES is the
                            gateway's own routes'), 25 MiB: above the upstreams' own
PROXY_CONNECT_TIMEOUT_SECONDS   connecting to an upstream (then 504)
PROXY_READ_TIMEOUT_SECONDS  waiting for an upstream's next bytes (then 504, or the
                            response is cut once it has begun); also each write to it
PROXY_POOL_TIMEOUT_SECONDS  waiting for a free upstream connection (then 503)
PROXY_MAX_CONNECTIONS       open upstream connections per process, all upstreams
PROXY_MAX_KEEPALIVE         idle connections kept for reuse
PROXY_CIRCUIT_FAILURES      consecutive failures of an upstream that open its circuit
PROXY_CIRCUIT_OPEN_SECONDS  how long an open circuit answers 503 without trying
OPENAPI_FETCH_TIMEOUT_SECONDS   fetching an upstream's /openapi.json for the merged one
OPENAPI_CACHE_SECONDS       how long a fetched upstream document (or its absence) is kept
==========================  ==========================================================

The argon2 defaults are RFC 9106's low-memory profile (argon2-cffi's own defaults).
Tests lower them to keep a run fast; raising them later is safe because a login
rehashes any hash made with weaker parameters.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
from pydantic import Field, field_validator
from pydantic_settings import NoDecode
from ringbook.settings import ServiceSettings

from request_service.gateway_routes import ANALYTICS, CATALOG, Service

_MIB = 1024 * 1024


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

    # Development defaults: the ports LocalSystem and `make run` use. Outside
    # development each must be set (see development_values_in_use).
    catalog_service_url: str = f"http://127.0.0.1:{CATALOG.port}"
    analytics_service_url: str = f"http://127.0.0.1:{ANALYTICS.port}"
    # catalog-service takes knowledge files of up to 20 MiB (multipart); the gateway must
    # never be the one that refuses a body its upstream accepts.
    proxy_max_body_bytes: int = Field(default=25 * _MIB, ge=1024)
    proxy_connect_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    proxy_read_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    proxy_pool_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    proxy_max_connections: int = Field(default=200, ge=1)
    proxy_max_keepalive: int = Field(default=50, ge=0)
    proxy_circuit_failures: int = Field(default=5, ge=1)
    proxy_circuit_open_seconds: float = Field(default=5.0, gt=0, le=600)
    openapi_fetch_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    openapi_cache_seconds: float = Field(default=30.0, ge=0)

    @field_validator("catalog_service_url", "analytics_service_url")
    @classmethod
    def _upstream_url(cls, value: str) -> str:
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http:// or https:// URL with a host")
        if url.query or url.fragment:
            raise ValueError("must not carry a query or a fragment")
        return value.rstrip("/")

    def upstream_url(self, service: Service) -> str:
        """The base URL of an upstream of the route table (the field its ``url_setting``
        names)."""
        if service.url_setting is None:
            raise ValueError(f"{service.name} is the gateway itself")
        url: str = getattr(self, service.url_setting.lower())
        return url

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        # Where the upstreams listen is deployment-specific: a default could only send
        # public traffic to whatever happens to listen on that local port.
        public += [name for name in ("CATALOG_SERVICE_URL", "ANALYTICS_SERVICE_URL")
                   if name.lower() not in self.model_fields_set]
        return public

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value
