"""analytics-service's projections, as ``ringbook.store.rebuild`` rebuilds them: the
tables each owns and the consumers (the same spec and handler pairs the runtime runs,
from ``entrypoints.consumers``) that fill them.

A new projection of this service is added here, with every consumer that writes its
tables; ``python -m analytics_service.entrypoints.rebuild`` then rebuilds it with the
others. The views over these tables (``requests_per_day``) are recreated by the swap.
"""

from __future__ import annotations

from ringbook.store.rebuild import Projection

from analytics_service.entrypoints.consumers import calls_consumer, requests_consumer


def projections() -> list[Projection]:
    return [
        Projection(
            name="request_facts",
            tables=("request_facts",),
            consumers=(requests_consumer(), calls_consumer()),
        ),
    ]
