"""request-service settings: the shared ones (see :mod:`ringbook.settings`) plus the
gateway's own.

==========================  ==========================================================
CORS_ORIGINS                browser origins allowed to call the API: a JSON list or a
                            comma-separated string (default: the Next.js dev server)
PASSWORD_TIME_COST          argon2id passes
PASSWORD_MEMORY_KIB         argon2id memory per hash, in KiB
PASSWORD_PARALLELISM        argon2id lanes
SSE_PING_SECONDS            keep-alive comment interval on timeline streams
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

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value
