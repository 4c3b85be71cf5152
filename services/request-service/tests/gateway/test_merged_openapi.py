"""The gateway's ``/openapi.json`` lists its own endpoints and every upstream's public
ones, fetched from the upstream, never its internal ones; an upstream that is down is
left out (and said to be), the gateway's own paths always listed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from request_service.testing_upstream import (
    StartGateway,
    Upstream,
    serving,
    stand_in_app,
    unused_url,
)
from ringbook.clock import FakeClock

OWN = ["/api/auth/login", "/token", "/api/process-request", "/api/requests/{request_id}",
       "/health"]


async def merged(gateway: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def served_by(document: dict[str, Any], path: str) -> set[str | None]:
    return {op.get("x-ringbook-service") for op in document["paths"][path].values()}


async def test_an_upstreams_public_paths_are_listed_and_its_internal_ones_are_not(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url,
                                  analytics_service_url=unused_url())
    document = await merged(gateway)
    paths = document["paths"]
    for path in OWN:
        assert served_by(document, path) == {None}, path
    for path in ("/api/tools/{tool_id}", "/api/tools/echo/{rest}", "/api/tools/hold"):
        assert served_by(document, path) == {"catalog-service"}, path
    assert "/internal/tools/{tool_id}" not in paths
    assert "/webhook/tool-callback" not in paths
    assert served_by(document, "/health") == {None}  # the gateway's own, not catalog's
    # The echo route's validation error refers to schemas the gateway has too: shared.
    assert "catalog-service.HTTPValidationError" not in document["components"]["schemas"]
    ref = (document["paths"]["/api/tools/{tool_id}"]["get"]["responses"]["422"]["content"]
           ["application/json"]["schema"]["$ref"])
    assert ref == "#/components/schemas/HTTPValidationError"
    description = document["info"]["description"]
    assert "catalog-service" in description
    assert "Left out" in description and "analytics-service (unreachable)" in description


async def test_with_every_upstream_down_the_gateways_own_paths_are_listed(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(catalog_service_url=unused_url(),
                                  analytics_service_url=unused_url())
    document = await merged(gateway)
    for path in OWN:
        assert path in document["paths"], path
    assert not any(p.startswith(("/api/tools", "/api/analytics")) for p in document["paths"])
    description = document["info"]["description"]
    assert "catalog-service (unreachable)" in description
    assert "analytics-service (unreachable)" in description


async def test_an_upstreams_document_is_kept_briefly_then_fetched_again(
    start_gateway: StartGateway, clock: FakeClock,
) -> None:
    url = unused_url()
    gateway = await start_gateway(catalog_service_url=url, openapi_cache_seconds=30)
    assert "/api/tools/{tool_id}" not in (await merged(gateway))["paths"]
    async with serving(stand_in_app(Upstream()), port=int(url.rsplit(":", 1)[1])):
        # Its absence is kept for the cache period, like a document would be ...
        assert "/api/tools/{tool_id}" not in (await merged(gateway))["paths"]
        clock.advance(timedelta(seconds=30))
        # ... and then it is fetched again.
        assert "/api/tools/{tool_id}" in (await merged(gateway))["paths"]


async def test_docs_shows_the_merged_document(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text and "'/openapi.json'" in docs.text
