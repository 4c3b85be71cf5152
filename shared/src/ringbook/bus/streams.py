"""Declaring streams in code and ensuring them at start-up (idempotent)."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ringbook.contracts.streams import DUPLICATE_WINDOW_SECONDS, StreamSpec


def stream_config(spec: StreamSpec, *, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        subjects=spec.subjects,
        storage=StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        # No max_age / max_msgs: replaying from sequence 1 rebuilds any projection.
    )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec, *, replicas: int) -> None:
    config = stream_config(spec, replicas=replicas)
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)
