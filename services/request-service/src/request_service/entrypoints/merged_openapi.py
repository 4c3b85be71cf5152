"""The gateway's ``/openapi.json`` (and so its ``/docs``): its own document merged with
each upstream's public part, fetched when asked for.

Each upstream's document is fetched with a short timeout
(``OPENAPI_FETCH_TIMEOUT_SECONDS``) and kept for ``OPENAPI_CACHE_SECONDS``, its absence
too, so a page of Swagger UI costs the upstreams at most one request each per period
and an upstream that is down costs at most one timeout per period. An upstream that
cannot be fetched is left out and the document's ``info.description`` names it: the
gateway's own paths are always there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from ringbook.clock import Clock
from starlette.routing import Route

from request_service.entrypoints.openapi_merge import UpstreamDocument, merge_openapi
from request_service.gateway_routes import Service

ClientSource = Callable[[], httpx.AsyncClient]


@dataclass(frozen=True)
class _Kept:
    at: float
    fetched: UpstreamDocument


class UpstreamDocuments:
    """Fetches and briefly keeps each upstream's ``/openapi.json``."""

    def __init__(self, client: ClientSource, clock: Clock, *, timeout: float,
                 keep_seconds: float) -> None:
        self._client, self._clock = client, clock
        self._timeout, self._keep = timeout, keep_seconds
        self._kept: dict[str, _Kept] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def document(self, service: Service, base_url: str) -> UpstreamDocument:
        # One fetch at a time per upstream: a burst of page loads is answered by one.
        lock = self._locks.setdefault(service.name, asyncio.Lock())
        async with lock:
            now = self._clock.now().timestamp()
            kept = self._kept.get(service.name)
            if kept is not None and now - kept.at < self._keep:
                return kept.fetched
            fetched = await self._fetch(service, base_url)
            self._kept[service.name] = _Kept(now, fetched)
            return fetched

    async def _fetch(self, service: Service, base_url: str) -> UpstreamDocument:
        try:
            response = await self._client().get(f"{base_url}/openapi.json",
                                                 timeout=self._timeout)
        except httpx.TimeoutException:
            return UpstreamDocument(service, None, "no answer in time")
        except httpx.HTTPError:
            return UpstreamDocument(service, None, "unreachable")
        if response.status_code != 200:
            return UpstreamDocument(service, None, f"answered {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            return UpstreamDocument(service, None, "answered something that is not JSON")
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            return UpstreamDocument(service, None, "answered something that is not OpenAPI")
        return UpstreamDocument(service, document)


def serve_merged_openapi(
    app: FastAPI, documents: UpstreamDocuments,
    upstream_urls: Callable[[], dict[Service, str]],
) -> None:
    """Replace the app's ``/openapi.json`` route (FastAPI's, which can only describe the
    app itself) by the merged document; ``/docs`` reads whatever that route answers."""

    async def merged(_: Request) -> JSONResponse:
        fetches: list[Awaitable[UpstreamDocument]] = [
            documents.document(service, url) for service, url in upstream_urls().items()]
        return JSONResponse(merge_openapi(app.openapi(), await asyncio.gather(*fetches)))

    path = app.openapi_url
    if path is None:
        raise ValueError("the app serves no OpenAPI document to merge into")
    app.router.routes[:] = [r for r in app.router.routes
                            if not (isinstance(r, Route) and r.path == path)]
    app.router.routes.append(Route(path, merged, methods=["GET"], include_in_schema=False))
