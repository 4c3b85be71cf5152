"""uvicorn's sans-I/O websocket protocol, plus an inline lane for hot text frames.

Through ASGI every received frame costs a queue put, a future, a wake-up of the app's
task and the resumption of its whole ``await`` chain (uvicorn's middleware, Starlette's
router, our endpoint); uvicorn's sans-I/O protocol also pauses and resumes reading
around each queued message, two more system calls. For a socket that carries 50 small
frames a second per call (Twilio Media Streams), that is most of what a frame costs.

So the ASGI scope of each websocket carries an extension, :data:`INLINE_EXTENSION`,
whose ``"lane"`` is the :class:`InlineLane` of the connection. An app that registers a sink
with :meth:`InlineLane.deliver_to` is offered each complete text message inside the
protocol's ``data_received``; the sink returns True when it has fully handled the
message, False to have it queued for ``receive()`` as usual. Everything else (binary,
the handshake, close, disconnect) takes the ASGI path unchanged.

Order is kept: a message is only offered when nothing is waiting in the ASGI queue, so
once one message has been queued, every later one queues behind it until the app has
read them all. (The sink must also refuse while the app is still busy with a message it
read through ``receive()``; only the app knows that.)

:meth:`InlineLane.send_now` is the way back without an ``await``: it writes frames at
once when the socket is open and the transport is not applying back-pressure.

Both lanes also skip ``websockets``' Python framing for the frames they carry (see
:mod:`ringbook.websocket_frames`): while a sink is set and nothing is queued, whole
simple text frames are cut from the bytes read before the sans-I/O protocol sees them
(:meth:`InlineWebSocketProtocol.data_received`; anything else, from the first frame that
is not one, goes to the protocol unchanged), and :meth:`InlineLane.send_now` frames its
messages itself when the protocol has nothing of its own waiting to be written.

Servers opt in with ``uvicorn.Config(ws=InlineWebSocketProtocol)``; without it the
extension is simply absent and apps use plain ASGI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

from ringbook.websocket_frames import (
    at_frame_boundary,
    can_write_frames,
    next_text_frame,
    text_frame,
)

INLINE_EXTENSION = "ringbook.websocket.inline"

TextSink = Callable[[str], bool]


class InlineLane:
    """The app's handle on one connection's inline lane (see the module doc)."""

    def __init__(self, protocol: InlineWebSocketProtocol) -> None:
        self._protocol = protocol

    def deliver_to(self, sink: TextSink | None) -> None:
        """Offer later text messages to ``sink`` first (None: stop offering)."""
        self._protocol.inline_sink = sink

    def can_send_now(self) -> bool:
        """True if :meth:`send_now` would write at once (open, no back-pressure)."""
        p = self._protocol
        return (
            p.handshake_complete
            and not p.close_sent
            and not p.disconnected
            and p.initial_response is None
            and p.writable.is_set()
            and not p.transport.is_closing()
        )

    def send_now(self, texts: Sequence[str]) -> bool:
        """Write ``texts`` as text frames in one transport write, if :meth:`can_send_now`;
        False (nothing written) otherwise, and the app uses the awaited ``send``."""
        if not self.can_send_now():
            return False
        conn = self._protocol.conn
        if can_write_frames(conn):  # nothing of the protocol's own to write first
            self._protocol.transport.write(b"".join([text_frame(t.encode()) for t in texts]))
            return True
        try:
            for text in texts:
                conn.send_text(text.encode())
        except InvalidState:  # the peer's close frame was read: the ASGI path reports it
            return False
        self._protocol.transport.write(b"".join(conn.data_to_send()))
        return True


class InlineWebSocketProtocol(WebSocketsSansIOProtocol):
    inline_sink: TextSink | None = None

    def data_received(self, data: bytes) -> None:
        if (
            self.inline_sink is not None
            and not self.close_sent
            and not self.frames  # no fragmented message half read
            and self.queue.empty()
            and at_frame_boundary(self.conn)
        ):
            taken = self._take_frames(data)
            if taken == len(data):
                return
            if taken:
                data = data[taken:]
        super().data_received(data)

    def _take_frames(self, data: bytes) -> int:
        """Hand the whole simple text frames at the start of ``data`` to the sink (as
        :meth:`send_receive_event_to_app` would); how many bytes were handled."""
        pos, max_size = 0, self.conn.max_message_size
        while pos < len(data):
            sink = self.inline_sink
            if sink is None or self.close_sent or not self.queue.empty():
                break
            frame = next_text_frame(data, pos, masked=True, max_size=max_size)
            if frame is None:
                break
            payload, end = frame
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                break  # the protocol's path closes with 1007
            pos = end
            self._offer(sink, text)
        return pos

    def _offer(self, sink: TextSink, text: str) -> None:
        try:
            taken = sink(text)
        except Exception:
            # A sink must not raise; if one does, the connection lives on without
            # that message (queuing it again could handle it twice).
            self.logger.exception("Inline websocket sink failed; message dropped")
            return
        if not taken:
            self._queue_text(text)

    async def run_asgi(self) -> None:
        # ASGI extension values are dicts by convention.
        self.scope["extensions"][INLINE_EXTENSION] = {"lane": InlineLane(self)}
        await super().run_asgi()

    def send_receive_event_to_app(self) -> None:
        sink = self.inline_sink
        if (
            sink is None
            or self.curr_msg_data_type != "text"
            or self.close_sent
            or not self.queue.empty()
        ):
            super().send_receive_event_to_app()
            return
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        try:
            text = data.decode()
        except UnicodeDecodeError:
            super().send_receive_event_to_app()  # uvicorn closes with 1007
            return
        self.frames = []
        self._offer(sink, text)

    def _queue_text(self, text: str) -> None:
        """What uvicorn does with a received text message: queue it for ``receive()``
        and stop reading until the app has caught up."""
        message: Any = {"type": "websocket.receive", "text": text}
        self.queue.put_nowait(message)
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()
