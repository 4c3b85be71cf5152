"""media-bridge settings: the shared ones, plus how long a silent stream may live.

==============================  ======================================================
MEDIA_RECEIVE_TIMEOUT_SECONDS   a stream that sends nothing for this long is ended
                                (Twilio sends a media frame every 20 ms, so silence
                                means a dead peer or a half-open TCP connection)
==============================  ======================================================
"""

from __future__ import annotations

from pydantic import Field
from ringbook.settings import ServiceSettings


class MediaBridgeSettings(ServiceSettings):
    service_name: str = "media-bridge"
    http_port: int = 8002
    media_receive_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
