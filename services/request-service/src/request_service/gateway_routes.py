"""The gateway's route table: which service answers each public path.

The one place that says it. The gateway forwards by it, and the Kubernetes routes (a
later change) are generated from it: ``python -m request_service.gateway_routes``
prints it as JSON. Adding a public endpoint of another service is adding its prefix
here. Prefixes match whole path segments: ``/api/tools`` matches ``/api/tools``,
``/api/tools/`` and ``/api/tools/7/x``, never ``/api/toolshed``. Pure data: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

GATEWAY = "request-service"  # served by the gateway itself


@dataclass(frozen=True)
class PublicRoute:
    prefix: str
    service: str


ROUTES: tuple[PublicRoute, ...] = (
    PublicRoute("/api/auth", GATEWAY),
    PublicRoute("/token", GATEWAY),
    PublicRoute("/api/process-request", GATEWAY),
    PublicRoute("/api/requests", GATEWAY),
    PublicRoute("/api/analytics", "analytics-service"),
)


def owner_of(path: str) -> str | None:
    """The service answering ``path``, or None if it is not a public path."""
    for route in ROUTES:
        if path == route.prefix or path.startswith(route.prefix + "/"):
            return route.service
    return None


def forwarded() -> dict[str, list[str]]:
    """Each other service and the prefixes the gateway forwards to it."""
    table: dict[str, list[str]] = {}
    for route in ROUTES:
        if route.service != GATEWAY:
            table.setdefault(route.service, []).append(route.prefix)
    return table


def main() -> None:
    print(json.dumps([{"prefix": r.prefix, "service": r.service} for r in ROUTES], indent=2))


if __name__ == "__main__":
    main()
