"""Prometheus instruments of the media path (module-level: one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

ACTIVE_STREAMS = Gauge("ringbook_media_active_streams", "Media streams started and not ended")
FRAMES = Counter("ringbook_media_frames_total", "Media frames", ["direction"])
PROTOCOL_ERRORS = Counter(
    "ringbook_media_protocol_errors_total", "Malformed or unexpected Media Streams frames"
)
