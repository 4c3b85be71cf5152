"""Reading what a stream holds, from the start: for tools and tests, not for consumers
(those are durable pull workers, :mod:`ringbook.bus.worker`)."""

from __future__ import annotations

import nats
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from ringbook.contracts.catalogue import parse_envelope
from ringbook.events import Envelope


async def subject_events(js: JetStreamContext, subject: str, *, stream: str) -> list[Envelope]:
    """Every event stored under ``subject`` (wildcards allowed), via an ephemeral consumer."""
    sub = await js.pull_subscribe(
        subject, stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE))
    events: list[Envelope] = []
    try:
        while True:
            msgs = await sub.fetch(100, timeout=0.3)
            events += [parse_envelope(m.data) for m in msgs]
    except (nats.errors.TimeoutError, TimeoutError):
        pass  # no more messages: fetch times out once the subject is drained
    finally:
        await sub.unsubscribe()
    return events
