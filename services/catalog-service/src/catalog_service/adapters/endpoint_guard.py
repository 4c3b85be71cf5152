"""A tool's endpoint must be reachable on the public internet only (``ringbook.net_guard``):
its URL is checked, then its host resolved, and one private, loopback or link-local
address among the answers refuses it. Private addresses are allowed only when the
operator says so for local demos (TOOL_ALLOW_PRIVATE_ADDRESSES in development)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ringbook.net_guard import Destination, RefusedDestination, check_url, resolve_public

from catalog_service.application.ports import EndpointRefused

Resolver = Callable[..., Awaitable[str]]


class NetGuardEndpoints:
    def __init__(self, *, allow_private: bool, resolve: Resolver = resolve_public) -> None:
        self._allow_private, self._resolve = allow_private, resolve

    async def check(self, url: str) -> None:
        try:
            destination: Destination = check_url(url, allow_private=self._allow_private)
            await self._resolve(destination, allow_private=self._allow_private)
        except RefusedDestination as exc:
            raise EndpointRefused(str(exc)) from None
