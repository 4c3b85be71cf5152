"""The consumers' Prometheus metrics, shared by the pull worker and the replayer."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS_HANDLED = Counter(
    "ringbook_events_handled_total",
    "Events consumed, by outcome (applied, duplicate, dead_letter, replayed, ...)",
    ["consumer", "outcome"],
)
CONSUMER_PAUSED = Gauge(
    "ringbook_consumer_paused",
    "1 while the consumer stopped fetching because Postgres does not answer",
    ["consumer"],
)
CONSUMER_PENDING = Gauge(
    "ringbook_consumer_pending",
    "Messages of the stream the consumer has not been handed yet (JetStream's num_pending "
    "at its last fetch; 0 once a fetch finds nothing): its lag, in messages",
    ["consumer"],
)
