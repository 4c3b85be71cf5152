"""Admitting a media stream: is this ``start`` one of our calls?

The upgrade's Twilio signature (checked by the endpoint before the handshake) proves
that Twilio opens the socket, but it covers only the stream URL, the same for every
call. What names the call is the stream token call-orchestrator put into the call's
TwiML (``<Parameter name="stream_token">``): it must verify (our secret, our audience,
not expired), be minted for the call sid of this ``start``, and never have been used.

"Never used" is a row per token id in Postgres, inserted before the stream is served:
the row is shared by every replica and survives restarts, so a second stream with the
same token is refused wherever and whenever it arrives, and of two racing ones exactly
one inserts the row. A token whose use cannot be recorded (Postgres down) is not
admitted either: unverifiable is refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter
from ringbook.clock import Clock
from ringbook.logging import get_logger
from ringbook.stream_tokens import TOKEN_PARAMETER, InvalidStreamToken, StreamGrant, StreamTokens

from media_bridge.application.ports import UsedStreamTokens
from media_bridge.domain.call_stream import StreamRefused

log = get_logger(__name__)

STREAMS_REFUSED = Counter(
    "ringbook_media_streams_refused_total",
    "Media streams refused before they started: unsigned upgrade, bad or reused token",
    ["reason"],
)


class StreamAdmission:
    def __init__(self, tokens: StreamTokens, used: UsedStreamTokens, clock: Clock) -> None:
        self._tokens, self._used, self._clock = tokens, used, clock

    async def admit(self, call_sid: str, parameters: Mapping[str, str]) -> StreamGrant:
        try:
            grant = self._tokens.verify(parameters.get(TOKEN_PARAMETER), call_sid=call_sid)
        except InvalidStreamToken as exc:
            raise self._refused(exc.reason, call_sid) from None
        try:
            first = await self._used.first_use(grant, self._clock.now())
        except Exception:
            STREAMS_REFUSED.labels("unverifiable").inc()
            raise
        if not first:
            raise self._refused("replayed", call_sid)
        return grant

    @staticmethod
    def _refused(reason: str, call_sid: str) -> StreamRefused:
        STREAMS_REFUSED.labels(reason).inc()
        # The call sid is the peer's claim, logged to trace an attack, never trusted.
        log.warning("media_stream_refused", reason=reason, claimed_call_sid=call_sid[:64])
        return StreamRefused(reason)
