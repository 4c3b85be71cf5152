"""The app factory: wires the runtime, the gateway's collaborators and the routers.

Nothing happens at import or in ``create_app`` beyond building objects: migrations, the
pool, NATS, the CALLS consumer and the timeline listener all start in the lifespan.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import CALLS, REQUESTS
from ringbook.runtime import ServiceRuntime
from ringbook.web.app import create_service_app

import request_service
from request_service.adapters.passwords import Argon2PasswordHasher
from request_service.adapters.pg_requests import PgRequestQueries, PgUnitOfWork
from request_service.adapters.pg_users import PgUserRepository
from request_service.adapters.timeline_hub import TimelineHub
from request_service.application.auth import AuthService
from request_service.application.ports import StoreUnavailable
from request_service.entrypoints import auth_routes, process_request, request_routes, stream_routes
from request_service.entrypoints.consumers import calls_consumer
from request_service.entrypoints.dependencies import Gateway
from request_service.entrypoints.proxy import proxy_router
from request_service.entrypoints.routing import store_unavailable_handler
from request_service.entrypoints.seed_error_body import SeedErrorBodyMiddleware
from request_service.settings import RequestServiceSettings


def migrations_dir() -> Path:
    """``services/request-service/migrations``, found from the installed package."""
    return Path(request_service.__file__).resolve().parents[2] / "migrations"


def create_app(settings: RequestServiceSettings, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[REQUESTS, CALLS],
        clock=clock,
    )
    runtime.add_consumer(*calls_consumer(clock))
    hub = TimelineHub(dsn=settings.database_url, schema=settings.schema_name)

    async def listen_for_timeline(_: ServiceRuntime) -> None:
        await hub.run()

    # A runtime job: tracked by its supervisor and cancelled on shutdown.
    runtime.add_job("timeline-listener", listen_for_timeline)

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        hasher = Argon2PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        auth = AuthService(
            users=PgUserRepository(rt.pool), hasher=hasher, tokens=rt.tokens, clock=clock
        )
        await auth.prepare()
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.proxy_read_seconds,
                                  connect=settings.proxy_connect_seconds, pool=1.0),
            limits=httpx.Limits(max_connections=settings.proxy_max_connections),
            follow_redirects=False,
        )
        app.state.gateway = Gateway(
            settings=settings,
            clock=clock,
            tokens=rt.tokens,
            auth=auth,
            uow=PgUnitOfWork(rt.pool),
            queries=PgRequestQueries(rt.pool),
            hub=hub,
            http=http,
            upstreams=settings.upstreams(),
        )

    async def on_stop(app: FastAPI, _: ServiceRuntime) -> None:
        gateway = getattr(app.state, "gateway", None)
        if gateway is not None:
            await gateway.http.aclose()

    app = create_service_app(
        runtime,
        title="Ringbook request-service",
        routers=[
            auth_routes.router,
            auth_routes.token_router,
            process_request.router,
            request_routes.router,
            stream_routes.router,
            proxy_router(),
        ],
        on_start=on_start,
        on_stop=on_stop,
    )
    app.add_exception_handler(StoreUnavailable, store_unavailable_handler)
    # Middleware added last runs first: CORS outermost, so even a 413 carries its
    # headers and the browser can read it.
    app.add_middleware(SeedErrorBodyMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,  # bearer tokens, no cookies
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "X-Correlation-Id"],
        expose_headers=["X-Correlation-Id"],
    )
    return app
