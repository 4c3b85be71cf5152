"""Settings every service shares, read from the environment (pydantic-settings).

Some settings have a default that is public: it is printed here and in the README, so it
protects nothing (the JWT key, the internal token, a simulated carrier's token…). Those
defaults are used only with ``ENVIRONMENT=development``, set explicitly (``make run``
and the test suite set it). In any other environment, ENVIRONMENT unset included, the
service refuses to start until each of them has a real value, and says which.

The environments:

- ``development``: one machine, embedded or local servers; the public defaults apply.
- ``test``: a deployed system used for testing (staging, a CI run against deployed
  services). It is reachable by others, so its secrets must be real; production's
  durability and exposure rules (R3 streams, a verified ``sync_interval: always``, the
  real carrier, https) are not enforced, so it may run on one node with the simulators.
- ``production``, and ENVIRONMENT unset: real secrets and all production rules. A
  deployment that forgot to say what it is gets the strict rules, never the lax ones.

Variables (all services):

==========================  ==========================================================
ENVIRONMENT                 development | test | production (unset: production rules)
DATABASE_URL                Postgres DSN (one database; each service owns a schema)
DB_SCHEMA                   the schema this service owns (defaults to the service name)
DB_POOL_MIN / DB_POOL_MAX   asyncpg pool bounds
NATS_URL                    NATS server(s), comma separated
NATS_MONITOR_URL            NATS monitoring endpoint, used to verify sync_interval: always
NATS_STREAM_REPLICAS        JetStream replicas for the streams this service declares
UNREADY_LIVENESS_SECONDS    connected to NATS but not ready for longer than this (streams
                            or consumers not ensured, server refused): /health fails, so
                            the orchestrator restarts the process (120)
JWT_SECRET                  HS256 key shared by all services (>= 32 bytes; a public
                            development default only with ENVIRONMENT=development)
JWT_TTL_SECONDS             token lifetime, 24 h by default (seed 002)
INTERNAL_TOKEN              bearer token for service-to-service calls (likewise)
LOG_LEVEL / LOG_JSON        logging
HTTP_HOST / HTTP_PORT       where the service listens
MAX_BODY_BYTES              larger request bodies answer 413 before they are parsed
WS_MAX_BYTES                largest websocket message accepted
==========================  ==========================================================
"""

from __future__ import annotations

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
    environment: Environment = Environment.PRODUCTION

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

    def development_values_in_use(self) -> list[str]:
        """The variables that still hold a public development value. A service with
        secrets of its own extends this list (calling ``super()``)."""
        return [
            name
            for name, value, public in (
                ("JWT_SECRET", self.jwt_secret, _DEV_JWT_SECRET),
                ("INTERNAL_TOKEN", self.internal_token, _DEV_INTERNAL_TOKEN),
            )
            if value.get_secret_value() in ("", public)
        ]

    def production_problems(self) -> list[str]:
        """What production requires beyond real secrets; extended like the above."""
        problems: list[str] = []
        if self.nats_monitor_url is None:
            problems.append(
                "NATS_MONITOR_URL is required: readiness must verify sync_interval: always"
            )
        if self.nats_stream_replicas < 3:
            problems.append("NATS_STREAM_REPLICAS must be >= 3 (R3) in production")
        return problems

    @model_validator(mode="after")
    def _refuse_public_secrets_outside_development(self) -> Self:
        if self.environment is Environment.DEVELOPMENT:
            return self
        problems: list[str] = []
        if public := self.development_values_in_use():
            problems.append(
                "set " + ", ".join(public) + " (each still has its public development "
                "value, which only ENVIRONMENT=development allows)"
            )
        elif len(self.jwt_secret.get_secret_value().encode()) < 32:
            problems.append("JWT_SECRET must be at least 32 bytes")
        if self.environment is Environment.PRODUCTION:
            problems += self.production_problems()
        if problems:
            said = ("ENVIRONMENT is not set, so production rules apply"
                    if "environment" not in self.model_fields_set
                    else f"ENVIRONMENT={self.environment.value}")
            raise ValueError(said + ":" + "".join(f"\n  - {p}" for p in problems))
        return self
