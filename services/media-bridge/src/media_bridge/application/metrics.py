"""Prometheus instruments of the media path (module-level: one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ACTIVE_STREAMS = Gauge("ringbook_media_active_streams", "Media streams started and not ended")
FRAMES = Counter("ringbook_media_frames_total", "Media frames", ["direction"])
# Bound once: ``labels()`` takes a lock and a dict lookup, 100 times a second per call.
FRAMES_IN, FRAMES_OUT = FRAMES.labels("in"), FRAMES.labels("out")
PROTOCOL_ERRORS = Counter(
    "ringbook_media_protocol_errors_total", "Malformed or unexpected Media Streams frames"
)

RESPONSE_LATENCY = Histogram(
    "ringbook_media_response_latency_seconds",
    "From the callee's end of speech (speech_stopped) to the first agent audio sent to Twilio",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0),
)
INTERRUPTIONS = Counter(
    "ringbook_media_interruptions_total", "Barge-ins: the callee spoke over the agent's audio"
)
TOOL_CALLS = Counter("ringbook_media_tool_calls_total", "Tool calls by the model", ["tool"])
CONVERSATIONS = Counter(
    "ringbook_media_conversations_total", "Conversations ended, by outcome", ["outcome"]
)
