"""The app factory: wires the runtime, the gateway's collaborators, the routers and the
reverse proxy to the other services (``entrypoints/gateway_proxy.py``).

Nothing happens at import or in ``create_app`` beyond building objects: migrations, the
pool, NATS, the CALLS consumer, the timeline listener and the upstream client all start
in the lifespan.
"""

from __future__ import annotations

from pathlib import Path

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
from request_service.entrypoints.gateway_proxy import GatewayDispatch, GatewayProxy
from request_service.entrypoints.merged_openapi import UpstreamDocuments, serve_merged_openapi
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
        # The accept's commit sends no NOTIFY; the unit of work wakes the relay instead.
        notify_outbox=False,
    )
    runtime.add_consumer(*calls_consumer(clock))
    hub = TimelineHub(dsn=settings.database_url, schema=settings.schema_name)

    async def listen_for_timeline(_: ServiceRuntime) -> None:
        await hub.run()

    # A runtime job: tracked by its supervisor and cancelled on shutdown.
    runtime.add_job("timeline-listener", listen_for_timeline)

    proxy = GatewayProxy(settings, clock)

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        await proxy.open()
        hasher = Argon2PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        auth = AuthService(
            users=PgUserRepository(rt.pool), hasher=hasher, tokens=rt.tokens, clock=clock
        )
        await auth.prepare()
        app.state.gateway = Gateway(
            settings=settings,
            clock=clock,
            tokens=rt.tokens,
            auth=auth,
            uow=PgUnitOfWork(rt.pool, after_commit=rt.outbox_written),
            queries=PgRequestQueries(rt.pool),
            hub=hub,
        )

    async def on_stop(_: FastAPI, __: ServiceRuntime) -> None:
        await proxy.close()

    app = create_service_app(
        runtime,
        title="Ringbook request-service",
        routers=[
            auth_routes.router,
            auth_routes.token_router,
            process_request.router,
            request_routes.router,
            stream_routes.router,
        ],
        on_start=on_start,
        on_stop=on_stop,
    )
    app.add_exception_handler(StoreUnavailable, store_unavailable_handler)
    serve_merged_openapi(
        app,
        UpstreamDocuments(lambda: proxy.client, clock,
                          timeout=settings.openapi_fetch_timeout_seconds,
                          keep_seconds=settings.openapi_cache_seconds),
        proxy.upstream_urls,
    )
    # Middleware added last runs first: CORS outermost, so even a 413 carries its
    # headers and the browser can read it, and a preflight of a forwarded path is
    # answered here. Then forwarded paths leave for their upstream, past the platform
    # middleware of the gateway's own routes (and its body limit).
    app.add_middleware(GatewayDispatch, proxy=proxy,
                       max_body_bytes=settings.proxy_max_body_bytes)
    app.add_middleware(SeedErrorBodyMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,  # bearer tokens, no cookies
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "X-Correlation-Id",
                       "X-API-Key", "Idempotency-Key"],
        expose_headers=["X-Correlation-Id"],
    )
    return app
