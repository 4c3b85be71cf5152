"""analytics-service's projections, as ``ringbook.store.rebuild`` rebuilds them: the
tables each owns and the consumers (the same spec and handler pairs the runtime runs,
from ``entrypoints.consumers``) that fill them.

A new projection of this service is added here, with every consumer that writes its
tables; ``python -m analytics_service.entrypoints.rebuild`` then rebuilds it with the
others. The views over these tables (``requests_per_day``, and the call log's
``call_log``, ``calls_per_day``, ``sentiment``, ``client_stats``) are recreated by the
swap, with their grants to the analysts' role.

Not projections, so never rebuilt: ``api_keys`` (the owners' keys are state of their
own, not derived from events) and ``analysis_jobs`` (post-call analysis's work queue:
rebuilding it would analyse every call again; its results are events, which the call
log projects).
"""

from __future__ import annotations

from ringbook.store.rebuild import Projection

from analytics_service.domain.call_cost import Prices
from analytics_service.entrypoints.consumers import (
    call_log_consumers,
    calls_consumer,
    requests_consumer,
)
from analytics_service.settings import AnalyticsSettings


def projections(prices: Prices | None = None) -> list[Projection]:
    """``prices``: what the call log prices calls at; by default the service's own
    settings (``PRICE_*`` in the environment), as the live consumers do."""
    prices = prices or AnalyticsSettings().prices
    return [
        Projection(
            name="request_facts",
            tables=("request_facts",),
            consumers=(requests_consumer(), calls_consumer()),
        ),
        Projection(
            name="call_log",
            tables=("calls", "clients", "phone_numbers", "assistants"),
            consumers=tuple(call_log_consumers(prices)),
        ),
    ]
