"""What a durable consumer is (``ConsumerSpec``), what handles its events (``Handler``),
and what came of one message (``Outcome``): shared by the pull worker and its batches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ringbook.contracts.streams import StreamSpec
from ringbook.events import Envelope
from ringbook.store.database import Conn

Handler = Callable[[Conn, Envelope], Awaitable[None]]
Outcome = Literal[
    "applied", "duplicate", "already_dead", "dead_letter", "failed", "waiting", "transient"
]


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: StreamSpec
    filter_subjects: list[str] = field(default_factory=list)
    # Failures caused by the event's content before it is dead-lettered (counted by us,
    # in Postgres; JetStream itself redelivers without limit).
    max_deliver: int = 10
    ack_wait_seconds: float = 30.0
    max_ack_pending: int = 1000
    # Delay before the n-th redelivery after a content failure: base * 2**(n-1), capped.
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 30.0
    # Cap of the delay after an infrastructure failure (the pause does the waiting).
    transient_retry_max_seconds: float = 5.0
    # First deliveries of a fetch committed in one transaction (ringbook.bus.batch).
    # False for a handler with an effect outside its connection (an SMS, an HTTP call):
    # a batch that cannot commit redelivers every event of it, so every such effect of
    # the batch would happen again, not just the one in flight.
    batch_commit: bool = True

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=self.filter_subjects or self.stream.subjects,
            max_deliver=-1,
            ack_wait=self.ack_wait_seconds,
            max_ack_pending=self.max_ack_pending,
        )

    def backoff(self, attempt: int) -> float:
        return float(min(self.retry_base_seconds * 2 ** max(attempt - 1, 0),
                         self.retry_max_seconds))

    def transient_delay(self, deliveries: int) -> float:
        return min(self.backoff(deliveries), self.transient_retry_max_seconds)
