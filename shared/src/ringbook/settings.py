"""Settings every service shares, read from the environment (pydantic-settings).

Development defaults let ``make run`` work with no configuration at all; the same
defaults are refused when ``ENVIRONMENT=production``, so a deployment that forgot a
secret fails at start-up instead of signing tokens with a value printed in a README.

Variables (all services):

==========================  ==========================================================
ENVIRONMENT                 development | test | production
DATABASE_URL                Postgres DSN (one database; each service owns a schema)
DB_SCHEMA                   the schema this service owns (defaults to the service name)
DB_POOL_MIN / DB_POOL_MAX   asyncpg pool bounds
NATS_URL                    NATS server(s), comma separated
NATS_MONITOR_URL            NATS monitoring endpoint, used to verify sync_interval: always
NATS_STREAM_REPLICAS        JetStream replicas for the streams this service declares
UNREADY_LIVENESS_SECONDS    connected to NATS but not ready for longer than this (streams
                            or consumers not ensured, server refused): /health fails, so
                            the orchestrator restarts the process (120)
JWT_SECRET                  HS256 key shared by all services (>= 32 bytes in production)
JWT_TTL_SECONDS             token lifetime, 24 h by default (seed 002)
INTERNAL_TOKEN              bearer token for service-to-service calls
LOG_LEVEL / LOG_JSON        logging
HTTP_HOST / HTTP_PORT       where the service listens
MAX_BODY_BYTES              larger request bodies answer 413 before they are parsed
WS_MAX_BYTES                largest websocket message accepted
==========================  ==========================================================
"""

from __future__ import annotations

import warnings
from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_JWT_SECRET = "ringbook-development-jwt-secret-not-for-production"
_DEV_INTERNAL_TOKEN = "ringbook-development-internal-token"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "ringbook"
    environment: Environment = Environment.DEVELOPMENT

    database_url: str = "postgresql://postgres@127.0.0.1:5432/ringbook"
    db_schema: str = ""
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)

    nats_url: str = "nats://127.0.0.1:4222"
    nats_monitor_url: str | None = None
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    unready_liveness_seconds: float = Field(default=120.0, gt=0)

    jwt_secret: SecretStr = SecretStr(_DEV_JWT_SECRET)
    jwt_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    internal_token: SecretStr = SecretStr(_DEV_INTERNAL_TOKEN)

    log_level: str = "INFO"
    log_json: bool = True
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    ws_max_bytes: int = Field(default=64 * 1024, ge=1024)

    @property
    def schema_name(self) -> str:
        return self.db_schema or self.service_name.replace("-", "_")

    @property
    def nats_servers(self) -> list[str]:
        return [s.strip() for s in self.nats_url.split(",") if s.strip()]

    @model_validator(mode="after")
    def _refuse_unsafe_production_settings(self) -> Self:
        problems: list[str] = []
        for name, value, default in (
            ("JWT_SECRET", self.jwt_secret, _DEV_JWT_SECRET),
            ("INTERNAL_TOKEN", self.internal_token, _DEV_INTERNAL_TOKEN),
        ):
            if value.get_secret_value() == default:
                problems.append(f"{name} still has its development default")
        if len(self.jwt_secret.get_secret_value().encode()) < 32:
            problems.append("JWT_SECRET must be at least 32 bytes")
        if self.environment is Environment.PRODUCTION:
            if self.nats_monitor_url is None:
                problems.append(
                    "NATS_MONITOR_URL is required: readiness must verify sync_interval: always"
                )
            if self.nats_stream_replicas < 3:
                problems.append("NATS_STREAM_REPLICAS must be >= 3 (R3) in production")
            if problems:
                raise ValueError("unsafe production settings: " + "; ".join(problems))
        elif problems and self.environment is Environment.DEVELOPMENT:
            warnings.warn("; ".join(problems) + " (allowed outside production)", stacklevel=2)
        return self
