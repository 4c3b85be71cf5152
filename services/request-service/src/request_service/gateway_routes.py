"""The gateway's route table: which service answers each public path prefix.

The frontend knows one base URL, the gateway's. Every public path belongs to exactly one
service; this table says which, and it is the only place that says so: the gateway's
reverse proxy (:mod:`request_service.entrypoints.gateway_proxy`) forwards by it, the
merged ``/openapi.json`` keeps each upstream's paths by it, and the Kubernetes routes are
generated from its JSON form::

    python -m request_service.gateway_routes

A prefix matches whole path segments: ``/api/tools`` matches ``/api/tools``,
``/api/tools/`` and ``/api/tools/{id}/x``, never ``/api/toolsX``. When two prefixes
match, the longer wins. A path no prefix matches is the gateway's own (its ``/health``,
``/ready``, ``/metrics``), and anything else there answers the gateway's 404, so a
service's ``/internal/*`` and ``/webhook/*`` are never reachable through it.

Adding a route is adding a row to :data:`ROUTES`. Adding an upstream service is adding
a :class:`Service` (its name, its port, the setting holding its base URL) and that
setting to :class:`request_service.settings.RequestServiceSettings`.

Pure data and a lookup: no I/O, nothing read from the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Service:
    """A service behind the gateway. ``url_setting`` names the gateway's setting that
    holds its base URL; the gateway itself has none."""

    name: str
    port: int
    url_setting: str | None


@dataclass(frozen=True)
class GatewayRoute:
    """Public paths under ``prefix`` (whole segments) are answered by ``service``.

    ``seed_001_errors``: the paths' contract (seed 001) puts ``"success": false`` in
    every error body; the errors the gateway answers itself for them (an upstream down
    or slow) must keep it too, or a frontend reading ``success`` would take a 502 for
    something else."""

    prefix: str
    service: Service
    seed_001_errors: bool = False

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")


GATEWAY = Service("request-service", 8000, None)
CATALOG = Service("catalog-service", 8003, "CATALOG_SERVICE_URL")
ANALYTICS = Service("analytics-service", 8004, "ANALYTICS_SERVICE_URL")

ROUTES: tuple[GatewayRoute, ...] = (
    # request-service, the gateway itself
    GatewayRoute("/api/auth", GATEWAY),
    GatewayRoute("/token", GATEWAY),
    GatewayRoute("/api/process-request", GATEWAY),
    GatewayRoute("/api/requests", GATEWAY),
    GatewayRoute("/docs", GATEWAY),
    GatewayRoute("/openapi.json", GATEWAY),
    # catalog-service
    GatewayRoute("/api/assistants", CATALOG, seed_001_errors=True),
    GatewayRoute("/api/tools", CATALOG, seed_001_errors=True),
    GatewayRoute("/api/files", CATALOG, seed_001_errors=True),
    GatewayRoute("/api/phone-numbers", CATALOG, seed_001_errors=True),
    GatewayRoute("/api/clients", CATALOG),
    GatewayRoute("/api/business-hours", CATALOG, seed_001_errors=True),
    GatewayRoute("/api/bookings", CATALOG),
    GatewayRoute("/api/function-handler", CATALOG),
    # seed 003's sales leads (its own paths outside /api are contracts too)
    GatewayRoute("/api/leads", CATALOG),
    GatewayRoute("/import/leads", CATALOG),
    GatewayRoute("/leads", CATALOG),
    GatewayRoute("/ai", CATALOG),
    # analytics-service
    GatewayRoute("/api/analytics", ANALYTICS),
    GatewayRoute("/api/calls", ANALYTICS),
    GatewayRoute("/api/api-keys", ANALYTICS),
    GatewayRoute("/dashboard", ANALYTICS),
)


def route_for(path: str, routes: tuple[GatewayRoute, ...] = ROUTES) -> GatewayRoute | None:
    """The route answering ``path`` (a request path or an OpenAPI path template), or
    None when no prefix matches it."""
    best: GatewayRoute | None = None
    for route in routes:
        if route.matches(path) and (best is None or len(route.prefix) > len(best.prefix)):
            best = route
    return best


def upstream_for(path: str, routes: tuple[GatewayRoute, ...] = ROUTES) -> Service | None:
    """The service the gateway forwards ``path`` to; None when the gateway answers it
    itself (its own routes, and every path the table does not name)."""
    route = route_for(path, routes)
    if route is None or route.service == GATEWAY:
        return None
    return route.service


def upstreams(routes: tuple[GatewayRoute, ...] = ROUTES) -> tuple[Service, ...]:
    """Every service the gateway forwards to, in table order."""
    found: list[Service] = []
    for route in routes:
        if route.service != GATEWAY and route.service not in found:
            found.append(route.service)
    return tuple(found)


def table_as_json(routes: tuple[GatewayRoute, ...] = ROUTES) -> dict[str, Any]:
    """The table as the deployment tooling reads it::

        {"gateway": "request-service",
         "services": {"catalog-service": {"port": 8003, "url_setting": "CATALOG_SERVICE_URL"},
                      ...},
         "routes": [{"prefix": "/api/tools", "service": "catalog-service"}, ...]}
    """
    services: dict[str, dict[str, Any]] = {}
    for route in routes:
        services[route.service.name] = {
            "port": route.service.port, "url_setting": route.service.url_setting,
        }
    return {
        "gateway": GATEWAY.name,
        "services": services,
        "routes": [{"prefix": r.prefix, "service": r.service.name} for r in routes],
    }


def main() -> None:
    print(json.dumps(table_as_json(), indent=2))


if __name__ == "__main__":
    main()
