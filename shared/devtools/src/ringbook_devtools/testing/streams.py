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


async def settled_everything(js: JetStreamContext, stream: str, durable: str) -> bool:
    """Whether ``durable`` has settled (acked, or terminated as a dead letter) every
    message ``stream`` held when asked: what was published was handled, so an effect it
    did not have is not merely late.

    Read from the ack floor against the stream's last sequence, not from the consumer's
    ``num_pending`` and ``num_ack_pending`` alone: in CI, under load, both read 0 just
    after a publish had been acknowledged and before its event was handled, so a test
    went on too early. The last sequence is the stream's own state, which holds the
    message before its publish is acknowledged; the ack floor passes it only once the
    consumer has settled it. This suits a consumer of the whole stream (or of every
    subject a test publishes on).
    """
    last = (await js.stream_info(stream)).state.last_seq
    info = await js.consumer_info(stream, durable)
    return info.ack_floor.stream_seq >= last and not info.num_ack_pending
