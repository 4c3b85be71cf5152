"""JetStream streams, one per bounded context.

Subjects are ``ringbook.<context>.<aggregate>.<aggregate_id>.<type>``. Streams keep the
whole history (no ``max_age``): projections are rebuilt by replay from sequence 1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    context: str

    @property
    def subjects(self) -> list[str]:
        return [f"ringbook.{self.context}.>"]

    def subject_filter(self, *, aggregate: str = "*", event_type: str = "*") -> str:
        return f"ringbook.{self.context}.{aggregate}.*.{event_type}"


REQUESTS = StreamSpec(name="REQUESTS", context="requests")
CALLS = StreamSpec(name="CALLS", context="calls")
CATALOG = StreamSpec(name="CATALOG", context="catalog")
# The call log's own facts (calls logged by other agents, post-call analyses).
ANALYTICS = StreamSpec(name="ANALYTICS", context="analytics")

ALL_STREAMS: tuple[StreamSpec, ...] = (REQUESTS, CALLS, CATALOG, ANALYTICS)

# JetStream's de-duplication window: long enough to cover a relay that crashed after
# publishing and before marking its outbox row, short enough to bound server memory.
# docs/architecture.md (Streams) asks for 10 to 30 minutes.
DUPLICATE_WINDOW_SECONDS = 20 * 60
