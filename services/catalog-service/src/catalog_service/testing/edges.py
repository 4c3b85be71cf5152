"""A stand-in for the outside world the catalog talks to, speaking the same contract.

:class:`FakeDns` is the resolver of tool endpoints (no test may need the internet).
Literal addresses go through ``ringbook.net_guard.resolve_public`` itself; names are
looked up in a table instead of DNS, and the answers are judged by the same rule
(``is_public_address``), so a name resolving to 10.0.0.1 is refused as in production.
"""

from __future__ import annotations

from ringbook.net_guard import (
    Destination,
    RefusedDestination,
    is_public_address,
    literal_address,
    resolve_public,
)

# Public addresses (documentation ranges are not global, so real ones are used).
PUBLIC_ADDRESS = "93.184.215.14"


class FakeDns:
    def __init__(self, records: dict[str, list[str]] | None = None) -> None:
        self.records = {"api.calendar.com": [PUBLIC_ADDRESS], "tools.example.com": [PUBLIC_ADDRESS],
                        **(records or {})}
        self.asked: list[str] = []

    async def __call__(self, destination: Destination, *, allow_private: bool) -> str:
        if literal_address(destination.host) is not None:
            return await resolve_public(destination, allow_private=allow_private)
        self.asked.append(destination.host)
        addresses = self.records.get(destination.host.lower(), [])
        if not addresses:
            raise RefusedDestination(f"the host {destination.host!r} does not resolve")
        if not allow_private and not all(is_public_address(a) for a in addresses):
            raise RefusedDestination("the URL's host resolves to a private or local address")
        return addresses[0]
