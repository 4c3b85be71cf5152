"""Reading a JetStream stream's stored messages directly, for tests that check what was
published without a consumer of their own."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError


async def stored_messages(js: JetStreamContext, stream: str) -> list[bytes]:
    """Every message the stream holds now, in sequence order.

    An empty stream reports its first sequence as 0, which ``get_msg`` refuses as a bad
    request, so it is answered without asking; a sequence deleted from the middle of the
    stream (a purge, a discard) is skipped rather than failing the read.
    """
    info = await js.stream_info(stream)
    if not info.state.messages:
        return []
    found: list[bytes] = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            message = await js.get_msg(stream, seq)
        except NotFoundError:
            continue
        found.append(message.data or b"")
    return found
