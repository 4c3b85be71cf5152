"""The app factory every service uses: lifespan-wired runtime, /health, /ready, /metrics,
/docs, the JSON error format and the platform middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ringbook.runtime import ServiceRuntime
from ringbook.web.errors import install_error_handlers
from ringbook.web.middleware import PlatformMiddleware

Hook = Callable[[FastAPI, ServiceRuntime], Awaitable[None]]


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    on_start: Hook | None = None,
    on_stop: Hook | None = None,
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """``body_limits``: exact paths whose request bodies may exceed MAX_BODY_BYTES (an
    upload route), each with its own limit."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        app.state.runtime = runtime
        app.state.tokens = runtime.tokens
        app.state.internal_token = runtime.settings.internal_token.get_secret_value()
        if on_start is not None:
            await on_start(app, runtime)
        try:
            yield
        finally:
            if on_stop is not None:
                await on_stop(app, runtime)
            await runtime.stop()

    # No OpenTelemetry here (metrics are Prometheus): off, or FastAPI would look for a
    # configured provider on every request.
    app = FastAPI(title=title, lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    install_error_handlers(app)
    app.add_middleware(PlatformMiddleware, max_body_bytes=runtime.settings.max_body_bytes,
                       body_limits=body_limits)

    @app.get("/health", tags=["platform"])
    async def health() -> JSONResponse:
        # Liveness: 503 means "restart me" (see ServiceRuntime.liveness).
        problems = runtime.liveness()
        if problems:
            return JSONResponse({"error": "Service is not live", "details": problems},
                                status_code=503)
        return JSONResponse({"status": "ok", "service": runtime.settings.service_name})

    @app.get("/ready", tags=["platform"])
    async def ready() -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(v == "ok" for v in checks.values())
        body = {"status": "ready", "checks": checks} if ok else {
            "error": "Service not ready", "details": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["platform"])
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app
